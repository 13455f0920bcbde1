"""Inbound events (through the platform inbox consumer) -> use cases.

booking.events.v1 BookingCreated: one booking = demand in the zone of its quote. The inbox
records the event id in the same transaction, so a redelivery has no second effect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.envelope import CloudEvent
from contracts.events.booking import BookingCreated
from mobility_platform.inbox import Handler
from sqlalchemy.ext.asyncio import AsyncSession

from pricing import domain, usecases
from pricing.uow import PricingUnitOfWork


def booking_handlers(
    uow_factory: Callable[[], PricingUnitOfWork], config: domain.PricingConfig
) -> dict[str, Handler]:
    async def on_booking_created(session: AsyncSession, event: CloudEvent[Any]) -> None:
        booking: BookingCreated = event.data
        uow = uow_factory().joined(session)
        await usecases.record_booking_demand(uow, event=booking, config=config)

    return {"BookingCreated": on_booking_created}
