"""Compensations: what must be undone at the peers when a booking ends early, recorded as
tasks in the same transaction as the state change, and the task handlers that undo it."""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

from contracts.types import PaymentId, PaymentStatus, VehicleId

from booking.domain import Booking, Compensation, InvalidPaymentStateError
from booking.domain.tasks import Task, release_task, void_task
from booking.ports import UnitOfWork
from booking.usecases.context import Services

logger = logging.getLogger(__name__)


async def schedule_compensation(
    uow: UnitOfWork, booking: Booking, compensation: Compensation, *, reason: str, now: datetime
) -> None:
    """Record (in the caller's transaction) what must be undone at the peers."""
    if compensation.release_vehicle:
        await uow.tasks.ensure(release_task(booking.id, booking.vehicle_id, reason=reason, now=now))
    if compensation.void_payment and booking.payment is not None:
        await uow.tasks.ensure(
            void_task(booking.id, booking.payment.payment_id, reason=reason, now=now)
        )


async def release_vehicle(svc: Services, task: Task) -> datetime | None:
    await svc.fleet.release(
        vehicle_id=VehicleId(UUID(task.args["vehicle_id"])),
        booking_id=task.booking_id,
        reason=task.args.get("reason", "other"),
    )
    return None


async def void_payment(svc: Services, task: Task) -> datetime | None:
    payment_id = PaymentId(UUID(task.args["payment_id"]))
    try:
        await svc.payment.void(payment_id, reason=task.args.get("reason", "requested"))
    except InvalidPaymentStateError:
        logger.error("payment %s of booking %s cannot be voided", payment_id, task.booking_id)
        return None
    async with svc.uow() as uow:
        booking = await uow.bookings.get_for_update(task.booking_id)
        if booking is not None:
            booking.record_payment_status(PaymentStatus.VOIDED, svc.clock.now())
            await uow.bookings.save(booking)
        await uow.commit()
    return None
