"""The ports use cases depend on: peers, storage, rate limiter, receipt signer.

Adapters: fleet_client/pricing_client/payment_client (HTTP), uow/repository (PostgreSQL),
rate_limit (Redis), receipts (Ed25519). Unit tests pass the fakes in tests/unit/booking_fakes.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from contracts.api.fleet import ReservationRead, TripLockRead, VehicleRead
from contracts.api.payment import PaymentCreate, PaymentRead
from contracts.api.pricing import FareCreate, FareRead, InternalQuoteCreate, QuoteLock, QuoteRead
from contracts.types import BookingId, Money, PaymentId, QuoteId, RiderId, VehicleId
from mobility_platform.ports import UnitOfWorkBase

from booking.domain import Booking, IdempotencyKey
from booking.domain.rules import RateDecision
from booking.domain.tasks import Task, TaskKind

# --- peers ----------------------------------------------------------------------------------


class FleetPort(Protocol):
    async def reserve(
        self,
        *,
        vehicle_id: VehicleId,
        booking_id: BookingId,
        rider_id: RiderId,
        hold_until: datetime,
    ) -> ReservationRead: ...

    async def confirm_reservation(
        self, *, vehicle_id: VehicleId, booking_id: BookingId, hold_until: datetime
    ) -> ReservationRead: ...

    async def release(
        self, *, vehicle_id: VehicleId, booking_id: BookingId, reason: str
    ) -> None: ...

    async def lock_trip(self, *, vehicle_id: VehicleId, booking_id: BookingId) -> TripLockRead: ...

    async def get_vehicle(
        self, vehicle_id: VehicleId, *, rider_token: str | None
    ) -> VehicleRead: ...


class PricingPort(Protocol):
    async def create_quote(
        self, request: InternalQuoteCreate, *, idempotency_key: str
    ) -> QuoteRead: ...

    async def lock_quote(self, quote_id: QuoteId, request: QuoteLock) -> QuoteRead: ...

    async def fare(self, request: FareCreate) -> FareRead: ...


class PaymentPort(Protocol):
    async def create(self, request: PaymentCreate) -> PaymentRead: ...

    async def confirm(
        self, payment_id: PaymentId, *, payment_method_id: str, idempotency_key: str
    ) -> PaymentRead: ...

    async def capture(self, payment_id: PaymentId, *, amount: Money) -> PaymentRead: ...

    async def void(self, payment_id: PaymentId, *, reason: str) -> PaymentRead: ...


class RateLimiter(Protocol):
    async def hit(self, rider_id: RiderId, *, cost: int = 1) -> RateDecision:
        """Count `cost` booking attempts; fails open (allowed) when the store is down."""
        ...


class ReceiptSigner(Protocol):
    key_id: str

    def sign(self, document: dict[str, Any]) -> str: ...

    def verify(self, document: dict[str, Any], signature: str, key_id: str) -> bool: ...


# --- storage --------------------------------------------------------------------------------


class BookingRepository(Protocol):
    async def get(self, booking_id: UUID) -> Booking | None: ...

    async def get_for_update(self, booking_id: UUID) -> Booking | None: ...

    async def add(self, booking: Booking) -> None: ...

    async def save(self, booking: Booking) -> None:
        """Write the booking if nobody changed it since it was read (version check);
        ConcurrentUpdateError otherwise. Bumps `booking.version`."""
        ...

    async def list_for_rider(
        self, rider_id: RiderId, *, limit: int, offset: int
    ) -> tuple[Sequence[Booking], int]: ...

    async def claim_overdue(self, now: datetime, *, limit: int) -> Sequence[Booking]:
        """Unpaid/unlocked bookings past their deadline, locked (SKIP LOCKED) for this tx."""
        ...


class IdempotencyRepository(Protocol):
    async def insert_if_absent(self, key: IdempotencyKey) -> bool: ...

    async def get_for_update(self, rider_id: RiderId, key: str) -> IdempotencyKey | None: ...

    async def get(self, rider_id: RiderId, key: str) -> IdempotencyKey | None: ...

    async def save(self, key: IdempotencyKey) -> None: ...

    async def claim_stale(
        self, *, locked_before: datetime, now: datetime, limit: int
    ) -> Sequence[IdempotencyKey]:
        """Unfinished keys whose lock is older than `locked_before` (their request crashed),
        re-locked at `now` for this worker (SKIP LOCKED)."""
        ...

    async def delete_created_before(self, cutoff: datetime) -> int: ...


class TaskRepository(Protocol):
    async def ensure(self, task: Task) -> None:
        """Schedule `task`, one per booking and kind: a pending one is kept, a done one re-armed."""
        ...

    async def claim_due(
        self, now: datetime, *, lease_until: datetime, limit: int, booking_id: UUID | None = None
    ) -> Sequence[Task]:
        """Due tasks (SKIP LOCKED), pushed to `lease_until` and their attempts counted."""
        ...

    async def complete(self, task_id: UUID, now: datetime) -> None: ...

    async def retry_at(self, task_id: UUID, run_at: datetime, error: str) -> None: ...

    async def cancel(self, booking_id: UUID, kind: TaskKind, now: datetime) -> None: ...


class UnitOfWork(UnitOfWorkBase, Protocol):
    @property
    def bookings(self) -> BookingRepository: ...

    @property
    def keys(self) -> IdempotencyRepository: ...

    @property
    def tasks(self) -> TaskRepository: ...

    async def rollback(self) -> None: ...
