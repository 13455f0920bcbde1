"""Turning a peer's problem+json answer back into booking's own DomainErrors."""

from __future__ import annotations

import httpx
from mobility_platform.http import problem_of

from booking.domain import BookingError, PeerContractError

ErrorTable = dict[str, type[BookingError]]


def peer_error(peer: str, response: httpx.Response, table: ErrorTable) -> Exception:
    """The DomainError a documented problem code stands for; PeerContractError otherwise."""
    problem = problem_of(response)
    error_cls = table.get(problem.code)
    if error_cls is None:
        return PeerContractError(
            f"{peer} answered {response.status_code} {problem.code}: {problem.detail or ''}"
        )
    extensions = {k: v for k, v in (problem.model_extra or {}).items() if k == "alternatives"}
    return error_cls(problem.detail or error_cls.title, extensions=extensions)


def expect(peer: str, response: httpx.Response, ok: set[int], table: ErrorTable) -> httpx.Response:
    if response.status_code in ok:
        return response
    raise peer_error(peer, response, table)
