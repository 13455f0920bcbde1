"""Unit of work: what use cases depend on (a Protocol) and its SQL implementation."""

from __future__ import annotations

from typing import Protocol

from contracts.types import BookingId, PaymentId, RiderId
from mobility_platform.ports import UnitOfWorkBase
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


class AbstractUnitOfWork(UnitOfWorkBase, Protocol):
    payments: Payments
    customers: Customers
    webhook_events: WebhookEvents


class SqlPaymentUnitOfWork(SqlUnitOfWork):
    payments: PaymentRepository
    customers: CustomerRepository
    webhook_events: WebhookEventLog

    def _bind(self, session: AsyncSession) -> None:
        self.payments = PaymentRepository(session)
        self.customers = CustomerRepository(session)
        self.webhook_events = WebhookEventLog(session)
