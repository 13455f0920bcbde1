"""Deferred work (a DB-backed job queue): scheduled promotions, compensations, trip billing.

A task is written in the same transaction as the state change that needs it (rocket-rides'
staged jobs), so the work can never be forgotten; workers claim due tasks with
FOR UPDATE SKIP LOCKED and a lease, so several replicas never run one task at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from contracts.types import BookingId


class TaskKind(StrEnum):
    PROMOTE = "promote"
    """Turn a scheduled booking into a held, payable one at its time."""
    RELEASE_VEHICLE = "release_vehicle"
    VOID_PAYMENT = "void_payment"
    FINISH_TRIP = "finish_trip"
    """Fare + capture + completion after the vehicle was locked."""
    CONFIRM_BOOKING = "confirm_booking"
    """Confirm the hold of a booking whose payment was authorised by webhook (3-D Secure)."""


@dataclass
class Task:
    booking_id: BookingId
    kind: TaskKind
    run_at: datetime
    args: dict[str, Any] = field(default_factory=dict)
    id: UUID = field(default_factory=uuid4)
    attempts: int = 0
    last_error: str | None = None
    done_at: datetime | None = None


def release_task(booking_id: BookingId, vehicle_id: UUID, *, reason: str, now: datetime) -> Task:
    return Task(
        booking_id=booking_id,
        kind=TaskKind.RELEASE_VEHICLE,
        run_at=now,
        args={"vehicle_id": str(vehicle_id), "reason": reason},
    )


def void_task(booking_id: BookingId, payment_id: UUID, *, reason: str, now: datetime) -> Task:
    return Task(
        booking_id=booking_id,
        kind=TaskKind.VOID_PAYMENT,
        run_at=now,
        args={"payment_id": str(payment_id), "reason": reason},
    )
