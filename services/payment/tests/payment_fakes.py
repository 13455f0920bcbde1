"""Fakes at payment's ports for unit tests: clock, unit of work, payment provider.

FakeUnitOfWork stages every write and applies it only on commit, so a use case that fails
half-way leaves nothing behind (like a rolled-back transaction). FakeProvider behaves like
Stripe with idempotency keys: the same key answers the saved result; failures are not saved.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from uuid import uuid4

from contracts.envelope import Event
from contracts.types import BookingId, Money, PaymentId, RiderId
from mobility_platform.testing import FakeClock
from payment import domain
from payment.domain import Intent, IntentState, ProviderEvent


@dataclass
class _State:
    payments: dict[PaymentId, domain.Payment] = field(default_factory=dict)
    customers: dict[RiderId, str] = field(default_factory=dict)
    webhook_ids: set[str] = field(default_factory=set)


class FakePayments:
    def __init__(self, data: dict[PaymentId, domain.Payment]) -> None:
        self.data = data

    async def add_or_get_for_update(self, candidate: domain.Payment) -> domain.Payment:
        for p in self.data.values():
            if p.booking_id == candidate.booking_id:
                return copy.deepcopy(p)
        self.data[candidate.id] = copy.deepcopy(candidate)
        return copy.deepcopy(candidate)

    async def get(self, payment_id: PaymentId) -> domain.Payment | None:
        return copy.deepcopy(self.data.get(payment_id))

    async def get_for_update(self, payment_id: PaymentId) -> domain.Payment | None:
        return await self.get(payment_id)

    async def get_by_booking(self, booking_id: BookingId) -> domain.Payment | None:
        found = [p for p in self.data.values() if p.booking_id == booking_id]
        return copy.deepcopy(found[0]) if found else None

    async def get_by_provider_ref_for_update(self, provider_ref: str) -> domain.Payment | None:
        found = [p for p in self.data.values() if p.provider_ref == provider_ref]
        return copy.deepcopy(found[0]) if found else None

    async def save(self, p: domain.Payment) -> None:
        assert self.data[p.id].version == p.version, "lost update"
        p.version += 1
        stored = copy.deepcopy(p)
        stored.changes = []
        self.data[p.id] = stored


class FakeCustomers:
    def __init__(self, data: dict[RiderId, str]) -> None:
        self.data = data

    async def get(self, rider_id: RiderId) -> str | None:
        return self.data.get(rider_id)

    async def add(self, rider_id: RiderId, customer_ref: str) -> str:
        return self.data.setdefault(rider_id, customer_ref)


class FakeWebhookEvents:
    def __init__(self, data: set[str]) -> None:
        self.data = data

    async def record(self, event_id: str, event_type: str) -> bool:
        if event_id in self.data:
            return False
        self.data.add(event_id)
        return True


class FakeOutbox:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, event: Event) -> Event:
        self.events.append(event)
        return event


class FakeUnitOfWork:
    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.committed = _State()
        self.events: list[Event] = []
        """Every event committed so far, in order."""
        self.commits = 0
        self.outbox = FakeOutbox()
        self._begin()

    def _begin(self) -> None:
        self._staged = copy.deepcopy(self.committed)
        self.payments = FakePayments(self._staged.payments)
        self.customers = FakeCustomers(self._staged.customers)
        self.webhook_events = FakeWebhookEvents(self._staged.webhook_ids)
        self.outbox = FakeOutbox()

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._begin()  # anything not committed is gone

    async def commit(self) -> None:
        self.committed = copy.deepcopy(self._staged)
        self.events.extend(self.outbox.events)
        self.outbox = FakeOutbox()
        self.commits += 1

    def payment(self, payment_id: PaymentId) -> domain.Payment:
        return self.committed.payments[payment_id]

    def event_types(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


@dataclass(frozen=True)
class ProviderCall:
    op: str
    idempotency_key: str
    ref: str | None = None
    args: dict[str, Any] = field(default_factory=dict)


class FakeProvider:
    """A PaymentProvider double. Queue outcomes per operation with `script(op, *outcomes)`:
    an Intent (or str for refunds) is answered, an exception is raised. Unscripted calls
    succeed. Like Stripe, a key that already succeeded answers the saved result."""

    def __init__(self) -> None:
        self.calls: list[ProviderCall] = []
        self._scripts: dict[str, deque[Any]] = defaultdict(deque)
        self._saved: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self.intent_amounts: dict[str, int] = {}

    def script(self, op: str, *outcomes: Any) -> None:
        self._scripts[op].extend(outcomes)

    def keys(self, op: str) -> list[str]:
        return [c.idempotency_key for c in self.calls if c.op == op]

    async def create_customer(
        self, *, rider_id: RiderId, email: str | None, idempotency_key: str
    ) -> str:
        return self._answer(
            ProviderCall("create_customer", idempotency_key, args={"rider_id": rider_id}),
            lambda: f"cus_{next(self._ids)}",
        )

    async def create_intent(
        self,
        *,
        amount: Money,
        customer_ref: str,
        booking_id: BookingId,
        payment_id: PaymentId,
        rider_id: RiderId,
        description: str,
        idempotency_key: str,
    ) -> Intent:
        def new() -> Intent:
            ref = f"pi_{next(self._ids)}"
            self.intent_amounts[ref] = amount.amount_minor
            return Intent(ref=ref, state=IntentState.REQUIRES_PAYMENT_METHOD, client_secret=ref)

        call = ProviderCall("create_intent", idempotency_key, args={"amount": amount})
        return self._answer(call, new)

    async def confirm_intent(
        self, ref: str, *, payment_method_id: str, idempotency_key: str
    ) -> Intent:
        call = ProviderCall("confirm_intent", idempotency_key, ref, {"pm": payment_method_id})
        return self._answer(call, lambda: Intent(ref=ref, state=IntentState.AUTHORIZED))

    async def capture_intent(self, ref: str, *, amount: Money, idempotency_key: str) -> Intent:
        call = ProviderCall("capture_intent", idempotency_key, ref, {"amount": amount})
        return self._answer(call, lambda: Intent(ref=ref, state=IntentState.CAPTURED))

    async def cancel_intent(self, ref: str, *, reason: str, idempotency_key: str) -> Intent:
        call = ProviderCall("cancel_intent", idempotency_key, ref, {"reason": reason})
        return self._answer(call, lambda: Intent(ref=ref, state=IntentState.CANCELED))

    async def refund(self, ref: str, *, amount: Money, reason: str, idempotency_key: str) -> str:
        call = ProviderCall("refund", idempotency_key, ref, {"amount": amount})
        return self._answer(call, lambda: f"re_{next(self._ids)}")

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        if signature != "valid":
            raise domain.InvalidSignatureError("bad signature")
        data = json.loads(payload)
        intent = Intent(ref=data["intent"], state=IntentState(data["state"]))
        return ProviderEvent(event_id=data["id"], event_type=data["type"], intent=intent)

    def _answer(self, call: ProviderCall, default: Any) -> Any:
        self.calls.append(call)
        if call.idempotency_key in self._saved:
            return self._saved[call.idempotency_key]
        queue = self._scripts[call.op]
        outcome = queue.popleft() if queue else default()
        if isinstance(outcome, BaseException):
            raise outcome
        self._saved[call.idempotency_key] = outcome
        return outcome


def new_ids() -> tuple[BookingId, RiderId]:
    return BookingId(uuid4()), RiderId(uuid4())


def eur(minor: int) -> Money:
    return Money(amount_minor=minor, currency="EUR")
