"""Background loops started by the lifespan (the runtime restarts them if they crash)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fleet import usecases
from fleet.ports import AbstractUnitOfWork

logger = logging.getLogger(__name__)


def hold_sweeper(
    uow_factory: Callable[[], AbstractUnitOfWork], *, interval_s: float, batch: int
) -> Callable[[], Awaitable[None]]:
    """Release expired holds; drains a backlog batch after batch, then waits."""

    async def run() -> None:
        while True:
            released = await usecases.release_expired_holds(uow_factory(), limit=batch)
            if released:
                logger.info("released %d expired holds", released)
            if released < batch:
                await asyncio.sleep(interval_s)

    return run


def cache_prewarmer(
    nearby: usecases.NearbyVehicles, *, interval_s: float, cells: int
) -> Callable[[], Awaitable[None]]:
    """Refresh the busiest search cells before they expire."""

    async def run() -> None:
        while True:
            await asyncio.sleep(interval_s)
            refreshed = await nearby.prewarm(cells)
            logger.debug("pre-warmed %d search cells", refreshed)

    return run
