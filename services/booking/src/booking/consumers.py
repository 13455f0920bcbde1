"""Inbound events -> use cases, each inside the inbox consumer's transaction (so a redelivered
event has no second effect)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from contracts import topics
from contracts.clock import Clock
from contracts.envelope import CloudEvent
from contracts.events.fleet import VehicleReleased, VehicleUnlocked
from contracts.events.payment import PaymentAuthorized, PaymentFailed
from mobility_platform.inbox import Handler, InboxConsumer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking import db
from booking.ports import UnitOfWork
from booking.settings import Settings
from booking.usecases import expiry, reconcile, trip

JoinedUow = Callable[[AsyncSession], UnitOfWork]


async def on_vehicle_unlocked(
    uow: JoinedUow, clock: Clock, session: AsyncSession, event: CloudEvent[Any]
) -> None:
    data: VehicleUnlocked = event.data
    await trip.start_trip(
        uow(session),
        booking_id=data.booking_id,
        vehicle_id=data.vehicle_id,
        started_at=data.unlocked_at,
        position=data.position,
        now=clock.now(),
    )


async def on_vehicle_released(
    uow: JoinedUow, clock: Clock, session: AsyncSession, event: CloudEvent[Any]
) -> None:
    data: VehicleReleased = event.data
    if data.reason == "hold_expired":
        await expiry.expire_released_hold(uow(session), booking_id=data.booking_id, now=clock.now())


async def on_payment_authorized(
    uow: JoinedUow, clock: Clock, session: AsyncSession, event: CloudEvent[Any]
) -> None:
    data: PaymentAuthorized = event.data
    await reconcile.payment_authorized(uow(session), booking_id=data.booking_id, now=clock.now())


async def on_payment_failed(
    uow: JoinedUow,
    clock: Clock,
    max_attempts: int,
    session: AsyncSession,
    event: CloudEvent[Any],
) -> None:
    data: PaymentFailed = event.data
    await reconcile.payment_failed(
        uow(session),
        booking_id=data.booking_id,
        code=data.code,
        max_attempts=max_attempts,
        now=clock.now(),
    )


def build_consumer(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    uow: JoinedUow,
    clock: Clock,
) -> InboxConsumer:
    handlers: dict[str, Handler] = {
        "VehicleUnlocked": partial(on_vehicle_unlocked, uow, clock),
        "VehicleReleased": partial(on_vehicle_released, uow, clock),
        "PaymentAuthorized": partial(on_payment_authorized, uow, clock),
        "PaymentFailed": partial(on_payment_failed, uow, clock, settings.rules.payment_attempts),
    }
    return InboxConsumer(
        consumer=settings.service_name,
        topics=[topics.FLEET, topics.PAYMENT],
        handlers=handlers,
        sessionmaker=sessionmaker,
        inbox_table=db.inbox,
        kafka=settings.kafka,
    )
