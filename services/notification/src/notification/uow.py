"""Unit of work: one transaction over recipients, devices, the delivery log and the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from contracts.api.notification import (
    DeviceRead,
    NotificationPage,
    NotificationSettingsRead,
)
from contracts.types import BookingId, RiderContact, RiderId
from mobility_platform.ports import UnitOfWorkBase
from mobility_platform.uow import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from notification import domain
from notification.repository import DeliveryRepository, DeviceRepository, RecipientRepository


class Recipients(Protocol):
    async def get(self, rider_id: RiderId) -> domain.Recipient | None: ...
    async def merge_contact(
        self, rider_id: RiderId, contact: RiderContact, now: datetime
    ) -> None: ...
    async def save(self, recipient: domain.Recipient, now: datetime) -> None: ...
    async def read(self, rider_id: RiderId) -> NotificationSettingsRead | None: ...


class Devices(Protocol):
    async def add(
        self, *, device_id: UUID, rider_id: RiderId, token: str, platform: str, now: datetime
    ) -> DeviceRead: ...
    async def list_for_rider(self, rider_id: RiderId) -> list[DeviceRead]: ...
    async def tokens(self, rider_id: RiderId) -> list[str]: ...
    async def remove(self, rider_id: RiderId, device_id: UUID) -> bool: ...
    async def remove_token(self, token: str) -> None: ...


class Deliveries(Protocol):
    async def add_many(self, deliveries: Sequence[domain.Delivery]) -> None: ...
    async def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[domain.OutgoingMessage]: ...
    async def finish(
        self, delivery_id: UUID, transition: domain.Transition, *, attempts: int, now: datetime
    ) -> bool: ...
    async def rider_for_booking(self, booking_id: BookingId) -> RiderId | None: ...
    async def page_for_rider(
        self, rider_id: RiderId, *, limit: int, offset: int
    ) -> NotificationPage: ...


class AbstractUnitOfWork(UnitOfWorkBase, Protocol):
    @property
    def recipients(self) -> Recipients: ...
    @property
    def devices(self) -> Devices: ...
    @property
    def deliveries(self) -> Deliveries: ...


class NotificationUnitOfWork(SqlUnitOfWork):
    recipients: RecipientRepository
    devices: DeviceRepository
    deliveries: DeliveryRepository

    def _bind(self, session: AsyncSession) -> None:
        self.recipients = RecipientRepository(session)
        self.devices = DeviceRepository(session)
        self.deliveries = DeliveryRepository(session)
