"""Rider routes. Every POST runs under its Idempotency-Key; reads show only own bookings."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from contracts.api.booking import (
    BookingCreate,
    BookingPage,
    BookingRead,
    GroupBookingCreate,
    GroupBookingRead,
    PaymentConfirmation,
)
from contracts.base import Problem
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from booking.api.problems import to_response
from booking.deps import CallerDep, IdempotencyKeyDep, ServicesDep
from booking.usecases import queries, requests, views
from booking.usecases.context import Caller, Services
from booking.usecases.idempotency import IdempotentRequest, run_idempotent

router = APIRouter(tags=["bookings"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (401, 404, 409, 422, 429, 503)
}


async def _run(
    svc: Services,
    caller: Caller,
    key: str,
    request: Request,
    operation: str,
    *,
    body: BaseModel | None = None,
    booking_id: UUID | None = None,
) -> Response:
    """Run a rider POST as an idempotent operation and answer its (stored) response."""
    idempotent = IdempotentRequest(
        rider_id=caller.rider_id,
        key=key,
        method=request.method,
        path=request.url.path,
        operation=operation,
        body={} if body is None else body.model_dump(mode="json"),
        params={} if booking_id is None else {"booking_id": str(booking_id)},
        rider_contact=caller.contact,
    )
    stored = await run_idempotent(
        svc, idempotent, lambda k: requests.perform(svc, k, token=caller.token)
    )
    return to_response(stored)


@router.post("/bookings", status_code=201, response_model=BookingRead, responses=PROBLEMS)
async def create_booking(
    body: BookingCreate,
    caller: CallerDep,
    key: IdempotencyKeyDep,
    svc: ServicesDep,
    request: Request,
) -> Response:
    """Reserve a vehicle now (or at `start_time`) and open its payment."""
    return await _run(svc, caller, key, request, requests.CREATE, body=body)


@router.post("/bookings/group", response_model=GroupBookingRead, responses=PROBLEMS)
async def create_group_booking(
    body: GroupBookingCreate,
    caller: CallerDep,
    key: IdempotencyKeyDep,
    svc: ServicesDep,
    request: Request,
) -> Response:
    """Book several vehicles for a party; each item succeeds or fails on its own."""
    return await _run(svc, caller, key, request, requests.GROUP, body=body)


@router.post(
    "/bookings/{booking_id}/confirm-payment", response_model=BookingRead, responses=PROBLEMS
)
async def confirm_booking_payment(
    booking_id: UUID,
    body: PaymentConfirmation,
    caller: CallerDep,
    key: IdempotencyKeyDep,
    svc: ServicesDep,
    request: Request,
) -> Response:
    """Pay for a booking: authorised -> confirmed; a decline is recorded on the booking."""
    return await _run(svc, caller, key, request, requests.CONFIRM, body=body, booking_id=booking_id)


@router.post("/bookings/{booking_id}/cancel", response_model=BookingRead, responses=PROBLEMS)
async def cancel_booking(
    booking_id: UUID, caller: CallerDep, key: IdempotencyKeyDep, svc: ServicesDep, request: Request
) -> Response:
    """Cancel a booking before its trip: the vehicle is released, nothing is charged."""
    return await _run(svc, caller, key, request, requests.CANCEL, booking_id=booking_id)


@router.post(
    "/bookings/{booking_id}/end",
    response_model=BookingRead,
    responses={**PROBLEMS, 202: {"model": BookingRead, "description": "Locked; billing continues"}},
)
async def end_booking(
    booking_id: UUID, caller: CallerDep, key: IdempotencyKeyDep, svc: ServicesDep, request: Request
) -> Response:
    """End the trip: 200 when billed, 202 when the vehicle is locked and billing continues."""
    return await _run(svc, caller, key, request, requests.END, booking_id=booking_id)


@router.get("/bookings/{booking_id}", response_model=BookingRead, responses=PROBLEMS)
async def get_booking(booking_id: UUID, caller: CallerDep, svc: ServicesDep) -> BookingRead:
    """One of your bookings."""
    booking = await queries.get_booking(svc, rider_id=caller.rider_id, booking_id=booking_id)
    return views.booking_read(booking)


@router.get("/bookings", response_model=BookingPage, responses=PROBLEMS)
async def list_bookings(
    caller: CallerDep,
    svc: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> BookingPage:
    """Your bookings, newest first."""
    return await queries.list_bookings(svc, rider_id=caller.rider_id, limit=limit, offset=offset)
