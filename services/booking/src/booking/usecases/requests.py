"""Rider POSTs as replayable operations: the API runs them under an Idempotency-Key and the
completer re-drives a stored one by name, from the key alone."""

from __future__ import annotations

from uuid import UUID

from contracts.api.booking import BookingCreate, GroupBookingCreate, PaymentConfirmation
from contracts.types import BookingId, BookingStatus

from booking.domain import Booking, IdempotencyKey
from booking.usecases import views
from booking.usecases.cancel import cancel_booking
from booking.usecases.confirm import confirm_payment
from booking.usecases.context import Caller, Services, StoredResponse
from booking.usecases.create import create_booking
from booking.usecases.group import create_group
from booking.usecases.jobs import run_tasks_quietly
from booking.usecases.trip import end_trip

CREATE = "create_booking"
GROUP = "create_group"
CONFIRM = "confirm_payment"
CANCEL = "cancel_booking"
END = "end_trip"


def _answer(svc: Services, booking: Booking, status: int = 200) -> StoredResponse:
    return StoredResponse(status, svc.json(views.booking_read(booking)))


async def perform(
    svc: Services, key: IdempotencyKey, *, token: str | None = None
) -> StoredResponse:
    """Run (or resume) the operation a key stands for, then carry out at once (best effort)
    the compensations it queued; what cannot run now stays queued for the task worker."""
    try:
        return await _perform(svc, key, Caller(key.rider_id, key.rider_contact, token))
    finally:
        for booking_id in touched(key):
            await run_tasks_quietly(svc, booking_id)


def touched(key: IdempotencyKey) -> set[BookingId]:
    """The bookings a request may have queued compensations for."""
    ids = {key.params.get("booking_id") or str(key.resource_id), key.recovery_data.get("abandoned")}
    return {BookingId(UUID(value)) for value in ids if value}


async def _perform(svc: Services, key: IdempotencyKey, caller: Caller) -> StoredResponse:
    body = key.params.get("body", {})
    target = UUID(key.params["booking_id"]) if "booking_id" in key.params else key.resource_id
    if key.operation == CREATE:
        booking = await create_booking(svc, key, caller, BookingCreate.model_validate(body))
        return _answer(svc, booking, 201)
    if key.operation == GROUP:
        return await create_group(svc, key, caller, GroupBookingCreate.model_validate(body))
    if key.operation == CONFIRM:
        method = PaymentConfirmation.model_validate(body).payment_method_id
        booking = await confirm_payment(
            svc,
            rider_id=caller.rider_id,
            booking_id=target,
            payment_method_id=method,
            attempt=key.id,
        )
        return _answer(svc, booking)
    if key.operation == CANCEL:
        return _answer(svc, await cancel_booking(svc, rider_id=caller.rider_id, booking_id=target))
    if key.operation == END:
        booking = await end_trip(svc, rider_id=caller.rider_id, booking_id=target)
        return _answer(svc, booking, 200 if booking.status is BookingStatus.COMPLETED else 202)
    raise ValueError(f"unknown operation {key.operation!r}")


async def replay(svc: Services, key: IdempotencyKey) -> StoredResponse:
    """The completer's entry point (no rider token at hand)."""
    return await perform(svc, key)
