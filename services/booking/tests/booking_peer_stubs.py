"""PeerStubs: a small local HTTP server that implements fleet's, pricing's and payment's
internal routes as docs/internal-apis.md documents them, for booking's integration tests.

These are STUBS, not the real services (which other teams are building): in-memory state,
deterministic prices, a card `pm_card_chargeDeclined` that is declined. `down` makes a peer
answer 503 so tests can exercise booking's compensations. The e2e suite runs the real peers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import uvicorn
from contracts.api.common import PriceRead
from contracts.api.fleet import (
    ReservationConfirm,
    ReservationCreate,
    ReservationRead,
    ReservationRelease,
    TripLockRead,
    TripLockRequest,
    VehicleRead,
)
from contracts.api.payment import PaymentCapture, PaymentConfirm, PaymentCreate, PaymentRead
from contracts.api.pricing import FareCreate, FareRead, InternalQuoteCreate, QuoteLock, QuoteRead
from contracts.events.booking import FareBreakdown
from contracts.types import GeoPoint, Money, PaymentStatus, VehicleStatus, VehicleType
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from mobility_platform.testing import wait_until

DECLINED_CARD = "pm_card_chargeDeclined"
UNLOCK_FEE, PER_MINUTE = 100, 25
POSITION = GeoPoint(lat=52.52, lon=13.405)


def eur(amount_minor: int) -> Money:
    return Money(amount_minor=amount_minor, currency="EUR")


def _now() -> datetime:
    return datetime.now(UTC)


def _problem(status: int, code: str, **extra: Any) -> JSONResponse:
    body = {"type": f"about:{code}", "title": code, "status": status, "code": code, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


@dataclass
class StubState:
    held: dict[UUID, UUID] = field(default_factory=dict)
    """vehicle -> booking holding it."""
    holds: dict[UUID, ReservationRead] = field(default_factory=dict)
    """booking -> its reservation."""
    in_use: set[UUID] = field(default_factory=set)
    missing: set[UUID] = field(default_factory=set)
    quotes: dict[UUID, QuoteRead] = field(default_factory=dict)
    payments: dict[UUID, PaymentRead] = field(default_factory=dict)
    by_booking: dict[UUID, UUID] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    down: set[str] = field(default_factory=set)
    """Peers ("fleet", "pricing", "payment") answering 503."""

    def called(self, method: str, fragment: str) -> list[str]:
        return [path for m, path in self.calls if m == method and fragment in path]


def _peer_of(path: str) -> str:
    if "/quotes" in path or "/fares" in path:
        return "pricing"
    if "/payments" in path:
        return "payment"
    return "fleet"


def build_stub_app(state: StubState) -> FastAPI:
    app = FastAPI(title="booking test stubs of fleet, pricing and payment")

    @app.middleware("http")
    async def gate(request: Request, call_next: Any) -> Any:
        path = request.url.path
        state.calls.append((request.method, path))
        if path.startswith("/internal") and not request.headers.get("authorization"):
            return _problem(401, "unauthenticated")
        if _peer_of(path) in state.down:
            return _problem(503, "dependency_unavailable")
        return await call_next(request)

    _fleet_routes(app, state)
    _pricing_routes(app, state)
    _payment_routes(app, state)
    return app


def _fleet_routes(app: FastAPI, state: StubState) -> None:
    @app.post("/internal/vehicles/{vehicle_id}/reservations", status_code=201, response_model=None)
    async def reserve(vehicle_id: UUID, body: ReservationCreate) -> Any:
        if vehicle_id in state.missing:
            return _problem(404, "vehicle_not_found")
        holder = state.held.get(vehicle_id)
        if vehicle_id in state.in_use or holder not in (None, body.booking_id):
            return _problem(409, "vehicle_unavailable", alternatives=[])
        if holder is None:
            state.held[vehicle_id] = body.booking_id
            state.holds[body.booking_id] = ReservationRead(
                vehicle_id=vehicle_id,  # type: ignore[arg-type]
                booking_id=body.booking_id,
                rider_id=body.rider_id,
                vehicle_type=VehicleType.SCOOTER,
                vehicle_status=VehicleStatus.RESERVED,
                hold_until=body.hold_until,
                position=POSITION,
                battery_pct=90,
                city="berlin",
                zone_id="mitte",
            )
        return state.holds[body.booking_id]

    @app.post(
        "/internal/vehicles/{vehicle_id}/reservations/{booking_id}/confirm", response_model=None
    )
    async def confirm(vehicle_id: UUID, booking_id: UUID, body: ReservationConfirm) -> Any:
        if state.held.get(vehicle_id) != booking_id:
            return _problem(409, "reservation_not_found")
        hold = state.holds[booking_id].model_copy(
            update={"confirmed": True, "hold_until": body.hold_until}
        )
        state.holds[booking_id] = hold
        return hold

    @app.post("/internal/vehicles/{vehicle_id}/reservations/{booking_id}/release")
    async def release(vehicle_id: UUID, booking_id: UUID, body: ReservationRelease) -> Any:
        if state.held.get(vehicle_id) == booking_id:
            del state.held[vehicle_id]
        hold = state.holds.get(booking_id)
        return hold.model_dump(mode="json") if hold else {}

    @app.post("/internal/vehicles/{vehicle_id}/trip/lock")
    async def lock(vehicle_id: UUID, body: TripLockRequest) -> TripLockRead:
        state.in_use.discard(vehicle_id)
        state.held.pop(vehicle_id, None)
        return TripLockRead(
            vehicle_id=vehicle_id,  # type: ignore[arg-type]
            booking_id=body.booking_id,
            acknowledged=True,
            position=POSITION,
            battery_pct=80,
            distance_m=1500,
            locked_at=_now(),
            vehicle_status=VehicleStatus.AVAILABLE,
        )

    @app.get("/vehicles/{vehicle_id}", response_model=None)
    async def vehicle(vehicle_id: UUID) -> Any:
        if vehicle_id in state.missing:
            return _problem(404, "vehicle_not_found")
        return VehicleRead(
            id=vehicle_id,  # type: ignore[arg-type]
            type=VehicleType.SCOOTER,
            status=VehicleStatus.AVAILABLE,
            position=POSITION,
            battery_pct=90,
            city="berlin",
        )


def _pricing_routes(app: FastAPI, state: StubState) -> None:
    @app.post("/internal/quotes", status_code=201)
    async def quote(body: InternalQuoteCreate) -> QuoteRead:
        estimated = UNLOCK_FEE + PER_MINUTE * body.estimated_duration_min
        created = QuoteRead(
            quote_id=uuid4(),  # type: ignore[arg-type]
            rider_id=body.rider_id,
            vehicle_id=body.vehicle_id,
            vehicle_type=body.vehicle_type,
            price=PriceRead(unlock_fee=eur(UNLOCK_FEE), per_minute=eur(PER_MINUTE)),
            estimated_duration_min=body.estimated_duration_min,
            estimated_amount=eur(estimated),
            authorized_amount=eur(estimated * 2),
            expires_at=_now() + timedelta(minutes=10),
        )
        state.quotes[created.quote_id] = created
        return created

    @app.post("/internal/quotes/{quote_id}/lock", response_model=None)
    async def lock(quote_id: UUID, body: QuoteLock) -> Any:
        found = state.quotes.get(quote_id)
        if found is None:
            return _problem(404, "quote_not_found")
        if found.booking_id not in (None, body.booking_id):
            return _problem(409, "quote_already_used")
        state.quotes[quote_id] = found.model_copy(update={"booking_id": body.booking_id})
        return state.quotes[quote_id]

    @app.post("/internal/fares")
    async def fare(body: FareCreate) -> FareRead:
        minutes = max(1, int((body.ended_at - body.started_at).total_seconds() // 60))
        return FareRead(
            quote_id=body.quote_id,
            booking_id=body.booking_id,
            fare=FareBreakdown(
                unlock_fee=eur(UNLOCK_FEE),
                time_charge=eur(PER_MINUTE * minutes),
                minutes=minutes,
                distance_m=body.distance_m,
                total=eur(UNLOCK_FEE + PER_MINUTE * minutes),
            ),
        )


def _payment_routes(app: FastAPI, state: StubState) -> None:
    def update(payment_id: UUID, **changes: Any) -> PaymentRead:
        state.payments[payment_id] = state.payments[payment_id].model_copy(
            update={**changes, "updated_at": _now()}
        )
        return state.payments[payment_id]

    @app.post("/internal/payments", status_code=201)
    async def create(body: PaymentCreate) -> PaymentRead:
        if body.booking_id not in state.by_booking:
            payment = PaymentRead(
                payment_id=uuid4(),  # type: ignore[arg-type]
                booking_id=body.booking_id,
                rider_id=body.rider_id,
                status=PaymentStatus.REQUIRES_PAYMENT_METHOD,
                amount=body.amount,
                client_secret=f"pi_{body.booking_id.hex[:12]}_secret",
                created_at=_now(),
                updated_at=_now(),
            )
            state.payments[payment.payment_id] = payment
            state.by_booking[body.booking_id] = payment.payment_id
        return state.payments[state.by_booking[body.booking_id]]

    @app.post("/internal/payments/{payment_id}/confirm", response_model=None)
    async def confirm(payment_id: UUID, body: PaymentConfirm) -> Any:
        status = state.payments[payment_id].status
        if status in (PaymentStatus.CAPTURED, PaymentStatus.VOIDED, PaymentStatus.REFUNDED):
            return _problem(409, "invalid_payment_state")
        if body.payment_method_id == DECLINED_CARD:
            return update(payment_id, status=PaymentStatus.FAILED, failure_code="card_declined")
        return update(payment_id, status=PaymentStatus.AUTHORIZED)

    @app.post("/internal/payments/{payment_id}/capture", response_model=None)
    async def capture(payment_id: UUID, body: PaymentCapture) -> Any:
        payment = state.payments[payment_id]
        if payment.status is PaymentStatus.CAPTURED:
            return payment
        if payment.status is not PaymentStatus.AUTHORIZED:
            return _problem(409, "invalid_payment_state")
        return update(payment_id, status=PaymentStatus.CAPTURED, captured_amount=body.amount)

    @app.post("/internal/payments/{payment_id}/void")
    async def void(payment_id: UUID) -> PaymentRead:
        return update(payment_id, status=PaymentStatus.VOIDED)


def free_port(first: int = 18100, last: int = 18199) -> int:
    """A free port in the range reserved for manual servers."""
    for port in range(first, last + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{last}")


@contextlib.asynccontextmanager
async def serve_stubs() -> AsyncIterator[tuple[str, StubState]]:
    """Run the stubs on a free local port; yields (base URL, state)."""
    state = StubState()
    port = free_port()
    config = uvicorn.Config(
        build_stub_app(state), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, timeout=10, message="peer stubs to start")
        yield f"http://127.0.0.1:{port}", state
    finally:
        server.should_exit = True
        await task
