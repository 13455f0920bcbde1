"""Background loops (spawned by app.py, restarted by the runtime if they crash). Each step is
safe with several replicas: claims use FOR UPDATE SKIP LOCKED."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from booking.usecases import expiry, idempotency, jobs, requests
from booking.usecases.context import Services

logger = logging.getLogger(__name__)

Step = Callable[[], Awaitable[int]]


async def run_every(name: str, step: Step, interval_s: float) -> None:
    """Run `step` forever; go again at once while it finds work, else wait `interval_s`."""
    while True:
        try:
            done = await step()
        except Exception:
            logger.exception("worker %s failed", name)
            done = 0
        if done == 0:
            await asyncio.sleep(interval_s)


def loops(svc: Services) -> dict[str, Callable[[], Awaitable[None]]]:
    poll = svc.workers.poll_interval_s
    steps: dict[str, tuple[Step, float]] = {
        "expiry-sweeper": (partial(expiry.expire_overdue, svc), poll),
        "task-runner": (partial(jobs.run_due_tasks, svc), poll),
        "idempotency-completer": (
            partial(idempotency.complete_stale, svc, partial(requests.replay, svc)),
            svc.idempotency.completer_interval_s,
        ),
        "idempotency-reaper": (partial(_reap, svc), svc.idempotency.reaper_interval_s),
    }
    return {
        name: partial(run_every, name, step, interval) for name, (step, interval) in steps.items()
    }


async def _reap(svc: Services) -> int:
    await idempotency.reap_keys(svc)
    return 0  # one sweep per interval is plenty
