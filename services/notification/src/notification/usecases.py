"""One async function per command or query; each owns its transaction and emits events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID, uuid4

from contracts.api.notification import (
    DeviceRead,
    NotificationPage,
    NotificationSettingsRead,
)
from contracts.events.notification import NotificationSent
from contracts.types import (
    BookingId,
    NotificationId,
    NotificationStatus,
    RiderContact,
    RiderId,
)

from notification import domain
from notification.domain import (
    Channel,
    Delivery,
    DeliveryStatus,
    NotificationKind,
    NotificationRequest,
    RenderedNotification,
)
from notification.uow import AbstractUnitOfWork


class Renderer(Protocol):
    def render(
        self, kind: NotificationKind, locale: str | None, context: Mapping[str, Any]
    ) -> RenderedNotification: ...


@dataclass(frozen=True)
class NotifyOptions:
    configured: frozenset[Channel]
    """Channels with a provider; the others are logged as suppressed."""
    message_id_domain: str = "notification.mobilitycorp.example"


async def notify(
    uow: AbstractUnitOfWork,
    *,
    request: NotificationRequest,
    renderer: Renderer,
    options: NotifyOptions,
) -> list[Delivery]:
    """Decide what to send on which channel and log it; sending happens in the delivery worker."""
    async with uow:
        now = uow.clock.now()
        if request.contact is not None:
            await uow.recipients.merge_contact(request.rider_id, request.contact, now)
        recipient = await uow.recipients.get(request.rider_id) or domain.Recipient(
            rider_id=request.rider_id
        )
        plan = domain.plan_deliveries(request.kind, recipient, configured=options.configured)
        context = {**request.context, "name": recipient.name, "booking_id": request.booking_id}
        rendered = renderer.render(request.kind, recipient.locale, context)
        deliveries = _deliveries(request, plan, rendered, now=now, options=options)
        await uow.deliveries.add_many(deliveries)
        for delivery in deliveries:
            if delivery.status is DeliveryStatus.SUPPRESSED:
                uow.outbox.add(
                    _sent_event(delivery, status=delivery.status, at=now, reason=delivery.reason)
                )
        await uow.commit()
        return deliveries


def _deliveries(
    request: NotificationRequest,
    plan: list[domain.PlannedDelivery],
    rendered: RenderedNotification,
    *,
    now: datetime,
    options: NotifyOptions,
) -> list[Delivery]:
    notification_id = NotificationId(uuid4())
    out = []
    for planned in plan:
        delivery_id = uuid4()
        out.append(
            Delivery(
                id=delivery_id,
                notification_id=notification_id,
                rider_id=request.rider_id,
                kind=request.kind,
                channel=planned.channel,
                status=DeliveryStatus.SUPPRESSED if planned.suppressed else DeliveryStatus.PENDING,
                reason=None if planned.suppressed is None else planned.suppressed.value,
                address=planned.address,
                content=rendered.content_for(planned.channel),
                message_id=f"<{delivery_id}@{options.message_id_domain}>",
                source_event_id=request.source_event_id,
                booking_id=request.booking_id,
                created_at=now,
                next_attempt_at=None if planned.suppressed else now,
            )
        )
    return out


def _sent_event(
    delivery: Delivery | domain.OutgoingMessage,
    *,
    status: DeliveryStatus,
    at: datetime,
    provider_id: str | None = None,
    reason: str | None = None,
) -> NotificationSent:
    return NotificationSent(
        notification_id=delivery.notification_id,
        rider_id=delivery.rider_id,
        channel=delivery.channel,
        kind=delivery.kind.value,
        status=NotificationStatus(status.value),
        booking_id=delivery.booking_id,
        source_event_id=delivery.source_event_id,
        provider_id=provider_id,
        reason=reason,
        sent_at=at,
    )


async def claim_due_deliveries(
    uow: AbstractUnitOfWork, *, limit: int, lease: timedelta
) -> list[domain.OutgoingMessage]:
    """Lease due deliveries to this worker in one short transaction (FOR UPDATE SKIP LOCKED)."""
    async with uow:
        now = uow.clock.now()
        claimed = await uow.deliveries.claim_due(now=now, lease_until=now + lease, limit=limit)
        await uow.commit()
        return claimed


async def record_attempt(
    uow: AbstractUnitOfWork,
    *,
    message: domain.OutgoingMessage,
    outcome: domain.SendOutcome,
    policy: domain.RetryPolicy,
    jitter: float,
) -> domain.Transition:
    """Log what the channel said; a final outcome also emits NotificationSent."""
    async with uow:
        now = uow.clock.now()
        transition = domain.after_attempt(
            outcome, attempts=message.attempts, policy=policy, now=now, jitter=jitter
        )
        changed = await uow.deliveries.finish(
            message.delivery_id, transition, attempts=message.attempts, now=now
        )
        if changed and transition.final:
            uow.outbox.add(
                _sent_event(
                    message,
                    status=transition.status,
                    at=now,
                    provider_id=transition.provider_id,
                    reason=transition.reason,
                )
            )
        await uow.commit()
        return transition


async def find_rider_for_booking(
    uow: AbstractUnitOfWork, *, booking_id: BookingId
) -> RiderId | None:
    """Whom a booking belongs to, as far as notifications about it tell."""
    async with uow:
        return await uow.deliveries.rider_for_booking(booking_id)


# --- rider API ------------------------------------------------------------------------------


async def get_settings(
    uow: AbstractUnitOfWork, *, rider_id: RiderId, contact: RiderContact
) -> NotificationSettingsRead:
    """The rider's settings; the first call seeds them from the token's claims."""
    async with uow:
        await uow.recipients.merge_contact(rider_id, contact, uow.clock.now())
        settings = await uow.recipients.read(rider_id)
        await uow.commit()
        assert settings is not None
        return settings


async def update_settings(
    uow: AbstractUnitOfWork, *, recipient: domain.Recipient
) -> NotificationSettingsRead:
    """Replace the rider's contact data and preferences."""
    async with uow:
        await uow.recipients.save(recipient, uow.clock.now())
        settings = await uow.recipients.read(recipient.rider_id)
        await uow.commit()
        assert settings is not None
        return settings


async def register_device(
    uow: AbstractUnitOfWork, *, rider_id: RiderId, contact: RiderContact, token: str, platform: str
) -> DeviceRead:
    """Remember a push token for the rider's app (idempotent per token)."""
    async with uow:
        now = uow.clock.now()
        await uow.recipients.merge_contact(rider_id, contact, now)  # first use seeds settings
        device = await uow.devices.add(
            device_id=uuid4(), rider_id=rider_id, token=token, platform=platform, now=now
        )
        await uow.commit()
        return device


async def list_devices(uow: AbstractUnitOfWork, *, rider_id: RiderId) -> list[DeviceRead]:
    """The rider's registered devices."""
    async with uow:
        return await uow.devices.list_for_rider(rider_id)


async def remove_device(uow: AbstractUnitOfWork, *, rider_id: RiderId, device_id: UUID) -> None:
    """Forget one of the rider's devices; someone else's device is 'not found'."""
    async with uow:
        if not await uow.devices.remove(rider_id, device_id):
            raise domain.DeviceNotFoundError("No such device for this rider.")
        await uow.commit()


async def list_notifications(
    uow: AbstractUnitOfWork, *, rider_id: RiderId, limit: int, offset: int
) -> NotificationPage:
    """The rider's own delivery log, newest first."""
    async with uow:
        return await uow.deliveries.page_for_rider(rider_id, limit=limit, offset=offset)
