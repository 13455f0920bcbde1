"""Unit of work: what use cases depend on (a Protocol) and its SQL implementation."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, Self

from contracts.clock import Clock
from contracts.envelope import Event
from contracts.types import BookingId, PaymentId, RiderId
from mobility_platform.uow import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from payment import domain
from payment.repository import CustomerRepository, PaymentRepository, WebhookEventLog


class Payments(Protocol):
    async def add_or_get_for_update(self, candidate: domain.Payment) -> domain.Payment: ...
    async def get(self, payment_id: PaymentId) -> domain.Payment | None: ...
    async def get_for_update(self, payment_id: PaymentId) -> domain.Payment | None: ...
    async def get_by_booking(self, booking_id: BookingId) -> domain.Payment | None: ...
    async def get_by_provider_ref_for_update(self, provider_ref: str) -> domain.Payment | None: ...
    async def save(self, p: domain.Payment) -> None: ...


class Customers(Protocol):
    async def get(self, rider_id: RiderId) -> str | None: ...
    async def add(self, rider_id: RiderId, customer_ref: str) -> str: ...


class WebhookEvents(Protocol):
    async def record(self, event_id: str, event_type: str) -> bool: ...


class Outbox(Protocol):
    def add(self, event: Event) -> Any: ...


class AbstractUnitOfWork(Protocol):
    payments: Payments
    customers: Customers
    webhook_events: WebhookEvents
    clock: Clock

    @property
    def outbox(self) -> Outbox: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class SqlPaymentUnitOfWork(SqlUnitOfWork):
    payments: PaymentRepository
    customers: CustomerRepository
    webhook_events: WebhookEventLog

    def _bind(self, session: AsyncSession) -> None:
        self.payments = PaymentRepository(session)
        self.customers = CustomerRepository(session)
        self.webhook_events = WebhookEventLog(session)
