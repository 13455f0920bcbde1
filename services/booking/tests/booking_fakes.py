"""Fakes of booking's ports for unit tests: an in-memory unit of work, the three peers as
their documented contracts describe them, a clock, a rate limiter. No I/O anywhere."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from booking.api import render_problem
from booking.domain import (
    Booking,
    ConcurrentUpdateError,
    HoldExpiredError,
    IdempotencyKey,
    InvalidPaymentStateError,
    QuoteAlreadyUsedError,
    QuoteNotFoundError,
    TripNotActiveError,
    VehicleNotFoundError,
    VehicleUnavailableError,
)
from booking.domain.rules import RateDecision
from booking.domain.tasks import Task, TaskKind
from booking.receipts import Ed25519ReceiptSigner
from booking.settings import BookingRules, IdempotencySettings, WorkerSettings
from booking.usecases.context import Services
from contracts.api.common import PriceRead
from contracts.api.fleet import ReservationRead, TripLockRead, VehicleRead
from contracts.api.payment import PaymentCreate, PaymentRead
from contracts.api.pricing import FareCreate, FareRead, InternalQuoteCreate, QuoteLock, QuoteRead
from contracts.envelope import Event
from contracts.events.booking import FareBreakdown
from contracts.types import (
    BookingId,
    GeoPoint,
    Money,
    PaymentId,
    PaymentStatus,
    QuoteId,
    RiderId,
    VehicleId,
    VehicleStatus,
    VehicleType,
)
from mobility_platform import testing
from mobility_platform.auth import generate_keypair
from mobility_platform.errors import DependencyUnavailableError

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
DECLINED_CARD = "pm_card_chargeDeclined"


def eur(amount_minor: int) -> Money:
    return Money(amount_minor=amount_minor, currency="EUR")


class FakeClock(testing.FakeClock):
    def __init__(self, start: datetime = T0) -> None:
        super().__init__(start)


# --- storage ---------------------------------------------------------------------------------


@dataclass
class FakeStore:
    """What the database would hold after commits."""

    bookings: dict[UUID, Booking] = field(default_factory=dict)
    keys: dict[tuple[UUID, str], IdempotencyKey] = field(default_factory=dict)
    tasks: dict[UUID, Task] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def events_of(self, type_: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, type_)]

    def pending_tasks(self, kind: TaskKind | None = None) -> list[Task]:
        return [
            t for t in self.tasks.values() if t.done_at is None and (kind is None or t.kind is kind)
        ]


class _Bookings:
    def __init__(self, staged: FakeStore, clock: FakeClock) -> None:
        self._s = staged

    async def get(self, booking_id: UUID) -> Booking | None:
        return copy.deepcopy(self._s.bookings.get(booking_id))

    get_for_update = get

    async def add(self, booking: Booking) -> None:
        if booking.id in self._s.bookings:
            raise ConcurrentUpdateError()
        live = {"pending_payment", "confirmed", "active"}
        if booking.status.value in live and any(
            b.vehicle_id == booking.vehicle_id and b.status.value in live
            for b in self._s.bookings.values()
        ):
            raise VehicleUnavailableError("The vehicle already has a live booking.")
        booking.version = 1
        self._s.bookings[booking.id] = copy.deepcopy(booking)

    async def save(self, booking: Booking) -> None:
        current = self._s.bookings.get(booking.id)
        if current is None or current.version != booking.version:
            raise ConcurrentUpdateError()
        booking.version += 1
        self._s.bookings[booking.id] = copy.deepcopy(booking)

    async def list_for_rider(
        self, rider_id: RiderId, *, limit: int, offset: int
    ) -> tuple[list[Booking], int]:
        mine = sorted(
            (b for b in self._s.bookings.values() if b.rider_id == rider_id),
            key=lambda b: b.created_at,
            reverse=True,
        )
        return copy.deepcopy(mine[offset : offset + limit]), len(mine)

    async def claim_overdue(self, now: datetime, *, limit: int) -> list[Booking]:
        due = [b for b in self._s.bookings.values() if b.is_overdue(now)]
        return copy.deepcopy(due[:limit])


class _Keys:
    def __init__(self, staged: FakeStore) -> None:
        self._s = staged

    async def insert_if_absent(self, key: IdempotencyKey) -> bool:
        if (key.rider_id, key.key) in self._s.keys:
            return False
        self._s.keys[(key.rider_id, key.key)] = copy.deepcopy(key)
        return True

    async def get(self, rider_id: RiderId, key: str) -> IdempotencyKey | None:
        return copy.deepcopy(self._s.keys.get((rider_id, key)))

    get_for_update = get

    async def save(self, key: IdempotencyKey) -> None:
        self._s.keys[(key.rider_id, key.key)] = copy.deepcopy(key)

    async def claim_stale(
        self, *, locked_before: datetime, now: datetime, limit: int
    ) -> list[IdempotencyKey]:
        stale = [
            k
            for k in self._s.keys.values()
            if not k.finished and k.locked_at is not None and k.locked_at < locked_before
        ][:limit]
        for key in stale:
            key.lock(now)
        return copy.deepcopy(stale)

    async def delete_created_before(self, cutoff: datetime) -> int:
        old = [ident for ident, k in self._s.keys.items() if k.created_at < cutoff]
        for ident in old:
            del self._s.keys[ident]
        return len(old)


class _Tasks:
    def __init__(self, staged: FakeStore) -> None:
        self._s = staged

    def _find(self, booking_id: UUID, kind: TaskKind) -> Task | None:
        return next(
            (t for t in self._s.tasks.values() if t.booking_id == booking_id and t.kind is kind),
            None,
        )

    async def ensure(self, task: Task) -> None:
        existing = self._find(task.booking_id, task.kind)
        if existing is None:
            self._s.tasks[task.id] = copy.deepcopy(task)
        elif existing.done_at is not None:
            existing.done_at, existing.run_at, existing.args = None, task.run_at, task.args
            existing.attempts, existing.last_error = 0, None

    async def claim_due(
        self, now: datetime, *, lease_until: datetime, limit: int, booking_id: UUID | None = None
    ) -> list[Task]:
        due = sorted(
            (
                t
                for t in self._s.tasks.values()
                if t.done_at is None
                and t.run_at <= now
                and (booking_id is None or t.booking_id == booking_id)
            ),
            key=lambda t: t.run_at,
        )[:limit]
        for task in due:
            task.run_at, task.attempts = lease_until, task.attempts + 1
        return copy.deepcopy(due)

    async def complete(self, task_id: UUID, now: datetime) -> None:
        self._s.tasks[task_id].done_at = now

    async def retry_at(self, task_id: UUID, run_at: datetime, error: str) -> None:
        self._s.tasks[task_id].run_at = run_at
        self._s.tasks[task_id].last_error = error

    async def cancel(self, booking_id: UUID, kind: TaskKind, now: datetime) -> None:
        task = self._find(booking_id, kind)
        if task is not None and task.done_at is None:
            task.done_at = now


class _Outbox:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, event: Event, *, event_id: UUID | None = None) -> Any:
        self.events.append(event)
        return event


class FakeUnitOfWork:
    """A transaction over a FakeStore: changes are staged and applied only on commit."""

    def __init__(self, store: FakeStore, clock: FakeClock) -> None:
        self._store = store
        self._clock = clock
        self.committed = False

    async def __aenter__(self) -> FakeUnitOfWork:
        self._staged = copy.deepcopy(self._store)
        self._staged.events = []
        self.bookings = _Bookings(self._staged, self._clock)
        self.keys = _Keys(self._staged)
        self.tasks = _Tasks(self._staged)
        self.outbox = _Outbox()
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        events = self._store.events
        self._store.__dict__.update(copy.deepcopy(self._staged).__dict__)
        self._store.events = events + self.outbox.events
        self.outbox = _Outbox()
        self._staged = copy.deepcopy(self._store)
        self._staged.events = []
        self.bookings = _Bookings(self._staged, self._clock)
        self.keys = _Keys(self._staged)
        self.tasks = _Tasks(self._staged)
        self.committed = True

    async def rollback(self) -> None:
        self.outbox = _Outbox()


# --- peers -----------------------------------------------------------------------------------


class PeerFaults:
    """`fail("reserve")` makes that call raise (by default: peer down) until `heal()`."""

    def __init__(self, peer: str) -> None:
        self._peer = peer
        self._faults: dict[str, Exception] = {}
        self.calls: list[tuple[str, Any]] = []

    def fail(self, call: str, error: Exception | None = None) -> None:
        self._faults[call] = error or DependencyUnavailableError(self._peer, reason="test")

    def heal(self, call: str | None = None) -> None:
        if call is None:
            self._faults.clear()
        else:
            self._faults.pop(call, None)

    def _enter(self, call: str, arg: Any = None) -> None:
        self.calls.append((call, arg))
        if call in self._faults:
            raise self._faults[call]

    def count(self, call: str) -> int:
        return sum(1 for name, _ in self.calls if name == call)


@dataclass
class _Vehicle:
    type: VehicleType
    held_by: BookingId | None = None
    confirmed: bool = False
    hold_until: datetime | None = None
    in_use: bool = False


class FakeFleet(PeerFaults):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__("fleet")
        self._clock = clock
        self.vehicles: dict[UUID, _Vehicle] = {}
        self.released: list[BookingId] = []
        self.lock_acknowledged = True
        self.distance_m = 1200

    def add_vehicle(self, vehicle_type: VehicleType = VehicleType.SCOOTER) -> VehicleId:
        vehicle_id = VehicleId(uuid4())
        self.vehicles[vehicle_id] = _Vehicle(vehicle_type)
        return vehicle_id

    def holder(self, vehicle_id: UUID) -> BookingId | None:
        vehicle = self.vehicles[vehicle_id]
        return vehicle.held_by

    def _read(self, vehicle_id: UUID, booking_id: BookingId, rider_id: RiderId) -> ReservationRead:
        v = self.vehicles[vehicle_id]
        return ReservationRead(
            vehicle_id=VehicleId(vehicle_id),
            booking_id=booking_id,
            rider_id=rider_id,
            vehicle_type=v.type,
            vehicle_status=VehicleStatus.RESERVED,
            confirmed=v.confirmed,
            hold_until=v.hold_until,
            position=GeoPoint(lat=52.52, lon=13.40),
            battery_pct=80,
            city="berlin",
            zone_id="mitte",
        )

    async def reserve(
        self,
        *,
        vehicle_id: VehicleId,
        booking_id: BookingId,
        rider_id: RiderId,
        hold_until: datetime,
    ) -> ReservationRead:
        self._enter("reserve", booking_id)
        vehicle = self.vehicles.get(vehicle_id)
        if vehicle is None:
            raise VehicleNotFoundError("No such vehicle.")
        if vehicle.held_by not in (None, booking_id) or vehicle.in_use:
            raise VehicleUnavailableError("Taken.", extensions={"alternatives": []})
        if vehicle.held_by is None:
            vehicle.held_by, vehicle.hold_until, vehicle.confirmed = booking_id, hold_until, False
        return self._read(vehicle_id, booking_id, rider_id)

    async def confirm_reservation(
        self, *, vehicle_id: VehicleId, booking_id: BookingId, hold_until: datetime
    ) -> ReservationRead:
        self._enter("confirm_reservation", booking_id)
        vehicle = self.vehicles[vehicle_id]
        if vehicle.held_by != booking_id:
            raise HoldExpiredError("No live hold.")
        vehicle.confirmed, vehicle.hold_until = True, hold_until
        return self._read(vehicle_id, booking_id, RiderId(uuid4()))

    async def release(self, *, vehicle_id: VehicleId, booking_id: BookingId, reason: str) -> None:
        self._enter("release", booking_id)
        vehicle = self.vehicles[vehicle_id]
        if vehicle.held_by == booking_id:
            vehicle.held_by, vehicle.confirmed, vehicle.hold_until = None, False, None
        self.released.append(booking_id)

    def unlock(self, vehicle_id: UUID) -> None:
        self.vehicles[vehicle_id].in_use = True

    async def lock_trip(self, *, vehicle_id: VehicleId, booking_id: BookingId) -> TripLockRead:
        self._enter("lock_trip", booking_id)
        vehicle = self.vehicles[vehicle_id]
        if vehicle.held_by != booking_id:
            raise TripNotActiveError()
        vehicle.in_use = False
        return TripLockRead(
            vehicle_id=vehicle_id,
            booking_id=booking_id,
            acknowledged=self.lock_acknowledged,
            position=GeoPoint(lat=52.50, lon=13.42),
            battery_pct=70,
            distance_m=self.distance_m,
            locked_at=self._clock.now(),
            vehicle_status=VehicleStatus.AVAILABLE
            if self.lock_acknowledged
            else VehicleStatus.MAINTENANCE,
        )

    async def get_vehicle(self, vehicle_id: VehicleId, *, rider_token: str | None) -> VehicleRead:
        self._enter("get_vehicle", vehicle_id)
        vehicle = self.vehicles.get(vehicle_id)
        if vehicle is None:
            raise VehicleNotFoundError("No such vehicle.")
        return VehicleRead(
            id=vehicle_id,
            type=vehicle.type,
            status=VehicleStatus.AVAILABLE,
            position=GeoPoint(lat=52.52, lon=13.40),
            battery_pct=80,
            city="berlin",
        )


UNLOCK_FEE, PER_MINUTE = 100, 25


class FakePricing(PeerFaults):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__("pricing")
        self._clock = clock
        self.quotes: dict[UUID, QuoteRead] = {}

    def quote_for(self, rider_id: RiderId, vehicle_id: VehicleId, minutes: int = 10) -> QuoteId:
        """A quote the rider got from the rider route (to pass as `quote_id`)."""
        quote = self._quote(rider_id, vehicle_id, VehicleType.SCOOTER, minutes)
        return quote.quote_id

    def _quote(
        self, rider_id: RiderId, vehicle_id: VehicleId, vehicle_type: VehicleType, minutes: int
    ) -> QuoteRead:
        estimated = UNLOCK_FEE + PER_MINUTE * minutes
        quote = QuoteRead(
            quote_id=QuoteId(uuid4()),
            rider_id=rider_id,
            vehicle_id=vehicle_id,
            vehicle_type=vehicle_type,
            price=PriceRead(unlock_fee=eur(UNLOCK_FEE), per_minute=eur(PER_MINUTE)),
            estimated_duration_min=minutes,
            estimated_amount=eur(estimated),
            authorized_amount=eur(estimated * 2),
            expires_at=self._clock.now() + timedelta(minutes=10),
        )
        self.quotes[quote.quote_id] = quote
        return quote

    async def create_quote(
        self, request: InternalQuoteCreate, *, idempotency_key: str
    ) -> QuoteRead:
        self._enter("create_quote", request.vehicle_id)
        return self._quote(
            request.rider_id,
            request.vehicle_id,
            request.vehicle_type,
            request.estimated_duration_min,
        )

    async def lock_quote(self, quote_id: QuoteId, request: QuoteLock) -> QuoteRead:
        self._enter("lock_quote", quote_id)
        quote = self.quotes.get(quote_id)
        if quote is None:
            raise QuoteNotFoundError()
        if quote.booking_id not in (None, request.booking_id):
            raise QuoteAlreadyUsedError()
        locked = quote.model_copy(update={"booking_id": request.booking_id})
        self.quotes[quote_id] = locked
        return locked

    async def fare(self, request: FareCreate) -> FareRead:
        self._enter("fare", request.booking_id)
        quote = self.quotes[request.quote_id]
        minutes = max(1, int((request.ended_at - request.started_at).total_seconds() // 60))
        total = min(UNLOCK_FEE + PER_MINUTE * minutes, quote.authorized_amount.amount_minor)
        return FareRead(
            quote_id=request.quote_id,
            booking_id=request.booking_id,
            fare=FareBreakdown(
                unlock_fee=eur(UNLOCK_FEE),
                time_charge=eur(PER_MINUTE * minutes),
                minutes=minutes,
                distance_m=request.distance_m,
                total=eur(total),
            ),
        )


class FakePayment(PeerFaults):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__("payment")
        self._clock = clock
        self.payments: dict[UUID, PaymentRead] = {}
        self.by_booking: dict[UUID, UUID] = {}

    def _update(self, payment_id: UUID, **changes: Any) -> PaymentRead:
        updated = self.payments[payment_id].model_copy(
            update={**changes, "updated_at": self._clock.now()}
        )
        self.payments[payment_id] = updated
        return updated

    def of(self, booking_id: UUID) -> PaymentRead:
        return self.payments[self.by_booking[booking_id]]

    async def create(self, request: PaymentCreate) -> PaymentRead:
        self._enter("create", request.booking_id)
        if request.booking_id in self.by_booking:
            return self.of(request.booking_id)
        payment = PaymentRead(
            payment_id=PaymentId(uuid4()),
            booking_id=request.booking_id,
            rider_id=request.rider_id,
            status=PaymentStatus.REQUIRES_PAYMENT_METHOD,
            amount=request.amount,
            client_secret=f"pi_secret_{request.booking_id.hex[:8]}",
            created_at=self._clock.now(),
            updated_at=self._clock.now(),
        )
        self.payments[payment.payment_id] = payment
        self.by_booking[request.booking_id] = payment.payment_id
        return payment

    async def confirm(
        self, payment_id: PaymentId, *, payment_method_id: str, idempotency_key: str
    ) -> PaymentRead:
        self._enter("confirm", payment_id)
        status = self.payments[payment_id].status
        if status in (PaymentStatus.CAPTURED, PaymentStatus.VOIDED, PaymentStatus.REFUNDED):
            raise InvalidPaymentStateError()
        if status is PaymentStatus.AUTHORIZED:
            return self.payments[payment_id]
        if payment_method_id == DECLINED_CARD:
            return self._update(
                payment_id,
                status=PaymentStatus.FAILED,
                failure_code="card_declined",
                failure_message="Your card was declined.",
            )
        return self._update(payment_id, status=PaymentStatus.AUTHORIZED, failure_code=None)

    async def capture(self, payment_id: PaymentId, *, amount: Money) -> PaymentRead:
        self._enter("capture", payment_id)
        payment = self.payments[payment_id]
        if payment.status is PaymentStatus.CAPTURED:
            return payment
        if payment.status is not PaymentStatus.AUTHORIZED:
            raise InvalidPaymentStateError()
        return self._update(payment_id, status=PaymentStatus.CAPTURED, captured_amount=amount)

    async def void(self, payment_id: PaymentId, *, reason: str) -> PaymentRead:
        self._enter("void", payment_id)
        payment = self.payments[payment_id]
        if payment.status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
            raise InvalidPaymentStateError()
        return self._update(payment_id, status=PaymentStatus.VOIDED)

    def captured_total(self) -> int:
        return sum(
            p.captured_amount.amount_minor
            for p in self.payments.values()
            if p.captured_amount is not None
        )


class FakeLimiter:
    def __init__(self, limit: int = 10) -> None:
        self.limit = limit
        self.counts: dict[UUID, int] = {}

    async def hit(self, rider_id: RiderId, *, cost: int = 1) -> RateDecision:
        self.counts[rider_id] = self.counts.get(rider_id, 0) + cost
        if self.counts[rider_id] <= self.limit:
            return RateDecision(allowed=True)
        return RateDecision(allowed=False, retry_after_s=42)


# --- the world a use case sees ---------------------------------------------------------------

_KEYS = generate_keypair()


@dataclass
class World:
    svc: Services
    store: FakeStore
    clock: FakeClock
    fleet: FakeFleet
    pricing: FakePricing
    payment: FakePayment
    limiter: FakeLimiter

    def booking(self, booking_id: UUID) -> Booking:
        return self.store.bookings[booking_id]


def make_world(
    *,
    rules: BookingRules | None = None,
    workers: WorkerSettings | None = None,
    idempotency: IdempotencySettings | None = None,
) -> World:
    clock, store = FakeClock(), FakeStore()
    fleet, pricing, payment = FakeFleet(clock), FakePricing(clock), FakePayment(clock)
    limiter = FakeLimiter()
    svc = Services(
        uow=lambda: FakeUnitOfWork(store, clock),  # type: ignore[arg-type, return-value]
        fleet=fleet,
        pricing=pricing,
        payment=payment,
        limiter=limiter,
        signer=Ed25519ReceiptSigner(
            private_key_pem=_KEYS[0], public_key_pem=_KEYS[1], key_id="receipt-test"
        ),
        clock=clock,
        rules=rules or BookingRules(),
        workers=workers or WorkerSettings(backoff_initial_s=2, backoff_max_s=60),
        idempotency=idempotency or IdempotencySettings(wait_s=0),
        render_error=render_problem,
    )
    return World(svc, store, clock, fleet, pricing, payment, limiter)
