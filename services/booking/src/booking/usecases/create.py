"""Create a booking: rate limit -> reserve at fleet -> lock a quote -> open a PaymentIntent ->
pending_payment. Each step's result is stored on the idempotency key (its recovery point)
before the next one starts, so a resumed request continues instead of redoing; every peer
call is idempotent per booking id. Any failure after the reservation compensates: the hold is
released and the payment voided (as queued tasks, run at once and retried until done), and the
key restarts with a fresh booking id.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID, uuid4

from contracts.api.booking import BookingCreate
from contracts.api.fleet import ReservationRead
from contracts.api.payment import PaymentCreate, PaymentRead
from contracts.api.pricing import InternalQuoteCreate, QuoteLock, QuoteRead
from contracts.types import BookingId, PaymentId, QuoteId

from booking.domain import (
    Booking,
    ConcurrentUpdateError,
    IdempotencyKey,
    RateLimitedError,
    RecoveryPoint,
)
from booking.domain.rules import is_scheduled_start, promotion_time
from booking.domain.tasks import Task, TaskKind, release_task, void_task
from booking.usecases import translate, views
from booking.usecases.context import Caller, Services

logger = logging.getLogger(__name__)
RP = RecoveryPoint


async def check_rate(svc: Services, caller: Caller, *, cost: int = 1) -> None:
    decision = await svc.limiter.hit(caller.rider_id, cost=cost)
    if not decision.allowed:
        raise RateLimitedError(
            f"At most {svc.rules.rate_limit_per_window} bookings per "
            f"{svc.rules.rate_limit_window_s} s; retry later.",
            retry_after_s=decision.retry_after_s,
        )


async def create_booking(
    svc: Services, key: IdempotencyKey, caller: Caller, request: BookingCreate, *, rate: bool = True
) -> Booking:
    """Reserve, price and open the payment of a booking (or schedule it), resumably."""
    if key.recovery_point is RP.BOOKING_CREATED:
        return await _load(svc, key.resource_id)
    rules, now = svc.rules, svc.clock.now()
    scheduled = is_scheduled_start(
        request.start_time,
        now=now,
        min_advance_s=rules.scheduled_min_advance_s,
        max_advance_days=rules.scheduled_max_advance_days,
    )
    if key.recovery_point is RP.STARTED and rate:
        await check_rate(svc, caller)
    if scheduled:
        return await _schedule(svc, key, caller, request)
    if key.recovery_point is RP.STARTED:
        await _reserve(svc, key, caller, request)
    try:
        return await _after_reservation(svc, key, caller, request)
    except ConcurrentUpdateError:
        raise  # another runner of this very key got there first: nothing to undo
    except Exception:
        await _abandon(svc, key, request)
        raise


async def _load(svc: Services, booking_id: UUID) -> Booking:
    async with svc.uow() as uow:
        booking = await uow.bookings.get(booking_id)
    assert booking is not None, "a key at booking_created has its booking"
    return booking


async def _advance(
    svc: Services, key: IdempotencyKey, point: RecoveryPoint, **data: object
) -> None:
    async with svc.uow() as uow:
        key.advance(point, **data)
        await uow.keys.save(key)
        await uow.commit()


async def _reserve(
    svc: Services, key: IdempotencyKey, caller: Caller, request: BookingCreate
) -> None:
    hold_until = svc.clock.now() + timedelta(seconds=svc.rules.reservation_hold_s)
    reservation = await svc.fleet.reserve(
        vehicle_id=request.vehicle_id,
        booking_id=BookingId(key.resource_id),
        rider_id=caller.rider_id,
        hold_until=hold_until,
    )
    await _advance(svc, key, RP.VEHICLE_RESERVED, reservation=reservation.model_dump(mode="json"))


async def _after_reservation(
    svc: Services, key: IdempotencyKey, caller: Caller, request: BookingCreate
) -> Booking:
    reservation = ReservationRead.model_validate(key.recovery_data["reservation"])
    if key.recovery_point is RP.VEHICLE_RESERVED:
        quote = await _lock_quote(svc, key, caller, request, reservation)
        await _advance(svc, key, RP.QUOTE_LOCKED, quote=quote.model_dump(mode="json"))
    quote = QuoteRead.model_validate(key.recovery_data["quote"])
    if key.recovery_point is RP.QUOTE_LOCKED:
        payment = await svc.payment.create(
            PaymentCreate(
                booking_id=BookingId(key.resource_id),
                rider_id=caller.rider_id,
                amount=quote.authorized_amount,
                rider_email=caller.contact.email,
                description=f"MobilityCorp {reservation.vehicle_type.value} ride",
            )
        )
        await _advance(svc, key, RP.PAYMENT_CREATED, payment=payment.model_dump(mode="json"))
    payment = PaymentRead.model_validate(key.recovery_data["payment"])
    return await _insert_pending(svc, key, caller, request, (reservation, quote, payment))


async def _lock_quote(
    svc: Services,
    key: IdempotencyKey,
    caller: Caller,
    request: BookingCreate,
    reservation: ReservationRead,
) -> QuoteRead:
    booking_id = BookingId(key.resource_id)
    quote_id = request.quote_id
    if quote_id is None:
        created = await svc.pricing.create_quote(
            InternalQuoteCreate(
                vehicle_id=request.vehicle_id,
                vehicle_type=reservation.vehicle_type,
                city=reservation.city,
                zone_id=reservation.zone_id,
                estimated_duration_min=request.estimated_duration_min,
                rider_id=caller.rider_id,
            ),
            idempotency_key=f"booking-{booking_id}-quote",
        )
        quote_id = QuoteId(created.quote_id)
    lock = QuoteLock(booking_id=booking_id, rider_id=caller.rider_id, vehicle_id=request.vehicle_id)
    return await svc.pricing.lock_quote(quote_id, lock)


async def _insert_pending(
    svc: Services,
    key: IdempotencyKey,
    caller: Caller,
    request: BookingCreate,
    peers: tuple[ReservationRead, QuoteRead, PaymentRead],
) -> Booking:
    """The last atomic phase: the booking, its BookingCreated and the recovery point."""
    reservation, quote, payment = peers
    now = svc.clock.now()
    default_hold = now + timedelta(seconds=svc.rules.reservation_hold_s)
    booking = Booking.pending(
        booking_id=BookingId(key.resource_id),
        rider_id=caller.rider_id,
        vehicle_id=request.vehicle_id,
        vehicle_type=reservation.vehicle_type,
        estimated_duration_min=request.estimated_duration_min,
        reservation=translate.reservation(reservation, default_hold_until=default_hold),
        quote=translate.quote(quote),
        payment=translate.payment(payment),
        rider_contact=caller.contact,
        now=now,
    )
    async with svc.uow() as uow:
        await uow.bookings.add(booking)
        uow.outbox.add(views.booking_created(booking))
        key.advance(RP.BOOKING_CREATED)
        await uow.keys.save(key)
        await uow.commit()
    return booking


async def _abandon(svc: Services, key: IdempotencyKey, request: BookingCreate) -> None:
    """Compensate a creation that failed after the reservation, and restart the key with a
    fresh booking id (late compensations for the old id can never hit a retry)."""
    booking_id, now = BookingId(key.resource_id), svc.clock.now()
    payment = key.recovery_data.get("payment")
    try:
        async with svc.uow() as uow:
            await uow.tasks.ensure(
                release_task(booking_id, request.vehicle_id, reason="compensation", now=now)
            )
            if payment is not None:
                payment_id = PaymentId(UUID(payment["payment_id"]))
                await uow.tasks.ensure(
                    void_task(booking_id, payment_id, reason="abandoned", now=now)
                )
            key.restart(uuid4())
            key.recovery_data["abandoned"] = str(booking_id)
            await uow.keys.save(key)
            await uow.commit()
    except Exception as exc:  # the key stays locked: the completer resumes it later
        logger.error("could not record compensation for booking %s: %r", booking_id, exc)
        raise


async def _schedule(
    svc: Services, key: IdempotencyKey, caller: Caller, request: BookingCreate
) -> Booking:
    """An advance booking: checked at fleet, stored `scheduled`, promoted later by a task."""
    assert request.start_time is not None
    vehicle = await svc.fleet.get_vehicle(request.vehicle_id, rider_token=caller.token)
    now = svc.clock.now()
    booking = Booking.scheduled(
        booking_id=BookingId(key.resource_id),
        rider_id=caller.rider_id,
        vehicle_id=request.vehicle_id,
        vehicle_type=vehicle.type,
        estimated_duration_min=request.estimated_duration_min,
        start_time=request.start_time,
        rider_contact=caller.contact,
        now=now,
    )
    run_at = promotion_time(request.start_time, lead_s=svc.rules.scheduled_lead_s)
    async with svc.uow() as uow:
        await uow.bookings.add(booking)
        await uow.tasks.ensure(Task(booking_id=booking.id, kind=TaskKind.PROMOTE, run_at=run_at))
        uow.outbox.add(views.booking_created(booking))
        key.advance(RP.BOOKING_CREATED)
        await uow.keys.save(key)
        await uow.commit()
    return booking
