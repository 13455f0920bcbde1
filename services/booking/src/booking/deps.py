"""FastAPI dependencies: they only provide (services, caller, idempotency key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from mobility_platform.auth import RiderDep

from booking.usecases.context import Caller, Services


async def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _caller(rider: RiderDep, request: Request) -> Caller:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return Caller(
        rider_id=rider.id,
        contact=rider.contact,
        token=token.strip() if scheme.lower() == "bearer" and token else None,
    )


ServicesDep = Annotated[Services, Depends(_services)]
CallerDep = Annotated[Caller, Depends(_caller)]
IdempotencyKeyDep = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Required on every POST: a retry with the same key and body gets the "
        "same answer; the same key with another body is refused (422).",
    ),
]
