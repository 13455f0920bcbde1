"""The job queue's runner: claim due tasks and run them.

Tasks: scheduled promotions, compensations (release the vehicle, void the authorisation),
trip billing. Failures are retried with capped exponential backoff, so a booking ends
consistent once its peers are back. Several replicas may run `run_due_tasks`: claims use
FOR UPDATE SKIP LOCKED plus a lease.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from contracts.types import BookingId

from booking.domain.rules import backoff_delay_s
from booking.domain.tasks import Task, TaskKind
from booking.usecases.compensation import release_vehicle, void_payment
from booking.usecases.confirm import confirm_booking_task
from booking.usecases.context import Services
from booking.usecases.scheduled import promote_scheduled
from booking.usecases.trip import finish_trip_task

logger = logging.getLogger(__name__)

TaskHandler = Callable[[Services, Task], Awaitable[datetime | None]]
"""Runs one task; returns None when it is done, or when to try again."""

HANDLERS: dict[TaskKind, TaskHandler] = {
    TaskKind.RELEASE_VEHICLE: release_vehicle,
    TaskKind.VOID_PAYMENT: void_payment,
    TaskKind.PROMOTE: promote_scheduled,
    TaskKind.FINISH_TRIP: finish_trip_task,
    TaskKind.CONFIRM_BOOKING: confirm_booking_task,
}


async def run_task(svc: Services, task: Task) -> None:
    """Run one claimed task and record the outcome (done, or retry with backoff)."""
    try:
        retry = await HANDLERS[task.kind](svc, task)
        error = "rescheduled"
    except Exception as exc:  # noqa: BLE001 - any failure is retried later with backoff
        logger.warning("task %s %s failed (attempt %s): %r", task.kind, task.id, task.attempts, exc)
        delay = backoff_delay_s(
            task.attempts, initial_s=svc.workers.backoff_initial_s, max_s=svc.workers.backoff_max_s
        )
        retry, error = svc.clock.now() + timedelta(seconds=delay), f"{type(exc).__name__}: {exc}"
    async with svc.uow() as uow:
        if retry is None:
            await uow.tasks.complete(task.id, svc.clock.now())
        else:
            await uow.tasks.retry_at(task.id, retry, error)
        await uow.commit()


async def run_due_tasks(svc: Services, *, booking_id: BookingId | None = None) -> int:
    """Claim the due tasks (of one booking, or any) and run them. Returns how many ran."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        tasks = await uow.tasks.claim_due(
            now,
            lease_until=now + timedelta(seconds=svc.workers.task_lease_s),
            limit=svc.workers.batch_size,
            booking_id=booking_id,
        )
        await uow.commit()
    for task in tasks:
        await run_task(svc, task)
    return len(tasks)


async def run_tasks_quietly(svc: Services, booking_id: BookingId) -> None:
    """Best effort right after a request: anything left is the worker's job."""
    try:
        await run_due_tasks(svc, booking_id=booking_id)
    except Exception as exc:  # noqa: BLE001 - the task stays queued; the worker retries it
        logger.warning("inline compensation for %s deferred: %r", booking_id, exc)
