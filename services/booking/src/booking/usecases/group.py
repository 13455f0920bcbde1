"""Group booking: one request reserves several vehicles for a party; each item succeeds or
fails on its own. Every item runs as its own idempotent creation under a key derived from the
group's key, so a replayed or resumed group never books an item twice."""

from __future__ import annotations

import asyncio
import json
import logging
from uuid import UUID

from contracts.api.booking import (
    BookingCreate,
    BookingRead,
    BookingResult,
    GroupBookingCreate,
    GroupBookingRead,
)
from contracts.types import BookingId

from booking.domain import IdempotencyKey
from booking.usecases import views
from booking.usecases.context import Caller, Services, StoredResponse
from booking.usecases.create import check_rate, create_booking
from booking.usecases.idempotency import IdempotentRequest, run_idempotent
from booking.usecases.jobs import run_tasks_quietly

logger = logging.getLogger(__name__)


async def create_group(
    svc: Services, key: IdempotencyKey, caller: Caller, request: GroupBookingCreate
) -> StoredResponse:
    """Book every item of the party; the answer lists each item's outcome."""
    if not key.recovery_data.get("rate_checked"):
        await check_rate(svc, caller, cost=len(request.items))
        async with svc.uow() as uow:
            key.advance(key.recovery_point, rate_checked=True)
            await uow.keys.save(key)
            await uow.commit()
    outcomes = await asyncio.gather(
        *(_item(svc, key, caller, index, item) for index, item in enumerate(request.items))
    )
    items = [result for result, _ in outcomes]
    succeeded = sum(1 for result in items if result.outcome == "success")
    read = GroupBookingRead(items=items, succeeded=succeeded, failed=len(items) - succeeded)
    # Keep the answer only when every item reached a definitive outcome; otherwise the
    # rider may retry the same key and only the unfinished items run again.
    return StoredResponse(200, svc.json(read), final=all(final for _, final in outcomes))


async def _item(
    svc: Services, parent: IdempotencyKey, caller: Caller, index: int, item: BookingCreate
) -> tuple[BookingResult, bool]:
    sub = IdempotentRequest(
        rider_id=caller.rider_id,
        key=f"group:{parent.id}:{index}",
        method="POST",
        path="/bookings",
        operation="create_booking",
        body=item.model_dump(mode="json"),
        rider_contact=caller.contact,
    )

    async def create(key: IdempotencyKey) -> StoredResponse:
        try:
            booking = await create_booking(svc, key, caller, item, rate=False)
        finally:
            abandoned = key.recovery_data.get("abandoned")
            if abandoned:
                await run_tasks_quietly(svc, BookingId(UUID(abandoned)))
        return StoredResponse(201, svc.json(views.booking_read(booking)))

    try:
        response = await run_idempotent(svc, sub, create)
    except Exception as exc:  # noqa: BLE001 - transient: this item only, retryable
        logger.warning("group item %s of %s not booked yet: %r", index, parent.id, exc)
        code = str(getattr(exc, "code", "dependency_unavailable"))
        return BookingResult.failure(item, code=code, message=str(exc) or code), False
    return _result(item, response), True


def _result(item: BookingCreate, response: StoredResponse) -> BookingResult:
    if response.status == 201:
        return BookingResult.success(BookingRead.model_validate_json(response.body), item)
    problem = json.loads(response.body)
    message = problem.get("detail") or problem.get("title") or problem["code"]
    return BookingResult.failure(item, code=problem["code"], message=message)
