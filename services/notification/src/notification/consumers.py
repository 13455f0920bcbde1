"""Inbound events -> `usecases.notify`, inside the inbox consumer's transaction.

The handlers only decide and log (one delivery row per channel); they never talk to SMTP,
FCM or an SMS provider, so the consumer's transaction stays short and the booking path never
waits on a mail server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.envelope import CloudEvent
from contracts.events.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingExpired,
    BookingFailed,
    TripEnded,
)
from contracts.events.iot import VehicleCommandRejected
from contracts.events.payment import PaymentFailed
from contracts.types import CommandAction
from mobility_platform.inbox import Handler
from sqlalchemy.ext.asyncio import AsyncSession

from notification import usecases
from notification.domain import NotificationKind, NotificationRequest
from notification.uow import NotificationUnitOfWork

Builder = Callable[[CloudEvent[Any]], NotificationRequest]


def _request(event: CloudEvent[Any], kind: NotificationKind, **context: Any) -> NotificationRequest:
    data = event.data
    return NotificationRequest(
        kind=kind,
        rider_id=data.rider_id,
        source_event_id=event.id,
        booking_id=data.booking_id,
        context={"vehicle_id": getattr(data, "vehicle_id", None), **context},
        contact=getattr(data, "rider_contact", None),
    )


def booking_confirmed(event: CloudEvent[BookingConfirmed]) -> NotificationRequest:
    d = event.data
    return _request(
        event,
        NotificationKind.BOOKING_CONFIRMED,
        confirmation_code=d.confirmation_code,
        vehicle_type=d.vehicle_type,
        authorized_amount=d.authorized_amount,
        unlock_deadline=d.unlock_deadline,
    )


def booking_cancelled(event: CloudEvent[BookingCancelled]) -> NotificationRequest:
    d = event.data
    return _request(
        event, NotificationKind.BOOKING_CANCELLED, reason=d.reason, cancelled_at=d.cancelled_at
    )


def booking_expired(event: CloudEvent[BookingExpired]) -> NotificationRequest:
    d = event.data
    return _request(
        event,
        NotificationKind.BOOKING_EXPIRED,
        previous_status=d.previous_status.value,
        expired_at=d.expired_at,
    )


def booking_failed(event: CloudEvent[BookingFailed]) -> NotificationRequest:
    d = event.data
    return _request(
        event,
        NotificationKind.BOOKING_FAILED,
        reason=d.reason,
        attempts=d.attempts,
        failed_at=d.failed_at,
    )


def trip_ended(event: CloudEvent[TripEnded]) -> NotificationRequest:
    d = event.data
    return _request(
        event,
        NotificationKind.TRIP_RECEIPT,
        fare=d.fare,
        captured_amount=d.captured_amount,
        started_at=d.started_at,
        ended_at=d.ended_at,
    )


def payment_failed(event: CloudEvent[PaymentFailed]) -> NotificationRequest:
    d = event.data
    return _request(
        event,
        NotificationKind.PAYMENT_FAILED,
        amount=d.amount,
        code=d.code,
        message=d.message,
        failed_at=d.failed_at,
    )


BUILDERS: dict[str, Builder] = {
    "BookingConfirmed": booking_confirmed,
    "BookingCancelled": booking_cancelled,
    "BookingExpired": booking_expired,
    "BookingFailed": booking_failed,
    "TripEnded": trip_ended,
    "PaymentFailed": payment_failed,
}


@dataclass(frozen=True)
class ConsumerDeps:
    uow: NotificationUnitOfWork
    """A template: each event gets `uow.joined(session)`, the consumer's transaction."""
    renderer: usecases.Renderer
    options: usecases.NotifyOptions


def handlers(deps: ConsumerDeps) -> dict[str, Handler]:
    """The inbox consumer's handler table, by CloudEvent type."""

    def handler_for(build: Builder) -> Handler:
        async def handle(session: AsyncSession, event: CloudEvent[Any]) -> None:
            await usecases.notify(
                deps.uow.joined(session),
                request=build(event),
                renderer=deps.renderer,
                options=deps.options,
            )

        return handle

    async def command_rejected(
        session: AsyncSession, event: CloudEvent[VehicleCommandRejected]
    ) -> None:
        d = event.data
        if d.booking_id is None or d.action not in (CommandAction.UNLOCK, CommandAction.LOCK):
            return
        uow = deps.uow.joined(session)
        rider_id = await usecases.find_rider_for_booking(uow, booking_id=d.booking_id)
        if rider_id is None:  # not a booking we ever notified about: nobody to tell
            return
        request = NotificationRequest(
            kind=NotificationKind.UNLOCK_REJECTED,
            rider_id=rider_id,
            source_event_id=event.id,
            booking_id=d.booking_id,
            context={
                "vehicle_id": d.vehicle_id,
                "action": d.action.value,
                "reason": d.reason,
                "rejected_at": d.rejected_at,
            },
        )
        await usecases.notify(uow, request=request, renderer=deps.renderer, options=deps.options)

    table: dict[str, Handler] = {name: handler_for(build) for name, build in BUILDERS.items()}
    table["VehicleCommandRejected"] = command_rejected
    return table
