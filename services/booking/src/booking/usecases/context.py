"""What every use case gets: a unit-of-work factory, the peers, clock, signer and rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.clock import Clock
from contracts.types import RiderContact, RiderId

from booking.domain import BookingError
from booking.ports import (
    FleetPort,
    PaymentPort,
    PricingPort,
    RateLimiter,
    ReceiptSigner,
    UnitOfWork,
)
from booking.settings import BookingRules, IdempotencySettings, WorkerSettings


@dataclass(frozen=True)
class StoredResponse:
    """An HTTP answer as it is kept under an Idempotency-Key (replayed byte for byte).
    `final=False`: answer it now but do not keep it (the request may be retried)."""

    status: int
    body: bytes
    final: bool = True

    @property
    def is_problem(self) -> bool:
        return self.status >= 400


RenderError = Callable[[BookingError, str], StoredResponse]
"""Turns a stored business rejection into its problem+json answer (provided by the API)."""


@dataclass(frozen=True)
class Caller:
    """The rider a request acts for. `token` is their own bearer token, used only to read
    fleet's public vehicle route for advance bookings; absent when the completer replays."""

    rider_id: RiderId
    contact: RiderContact
    token: str | None = None


@dataclass(frozen=True)
class Services:
    uow: Callable[[], UnitOfWork]
    fleet: FleetPort
    pricing: PricingPort
    payment: PaymentPort
    limiter: RateLimiter
    signer: ReceiptSigner
    clock: Clock
    rules: BookingRules
    workers: WorkerSettings
    idempotency: IdempotencySettings
    render_error: RenderError

    def json(self, model: Any) -> bytes:
        return bytes(model.model_dump_json().encode())
