"""Fleet's unit of work: repositories on one session, the outbox, and cache invalidation.

Cells of changed vehicles are dropped from the search cache only after the transaction
commits (dropping them earlier would let a reader refill them from the old state). In the
inbox consumer's transaction, which the platform commits, that happens on the session's
`after_commit` event.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from contracts.clock import Clock
from mobility_platform.uow import SqlUnitOfWork
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fleet import db
from fleet.domain import Vehicle
from fleet.ports import CellCache
from fleet.repository import SqlReservationRepository, SqlVehicleRepository

logger = logging.getLogger(__name__)


class FleetUnitOfWork(SqlUnitOfWork):
    vehicles: SqlVehicleRepository
    reservations: SqlReservationRepository

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession] | None,
        *,
        cache: CellCache,
        clock: Clock,
        source: str = "fleet",
        topic_prefix: str = "",
    ) -> None:
        super().__init__(
            sessionmaker,
            outbox_table=db.outbox,
            source=source,
            clock=clock,
            topic_prefix=topic_prefix,
        )
        self._cache = cache
        self._stale: list[tuple[str, float, float]] = []
        self._background: set[asyncio.Task[None]] = set()

    def _bind(self, session: AsyncSession) -> None:
        self.vehicles = SqlVehicleRepository(session)
        self.reservations = SqlReservationRepository(session)
        self._stale = []

    def invalidate(self, *vehicles: Vehicle) -> None:
        self._stale += [(v.type.value, v.position.lat, v.position.lon) for v in vehicles]

    async def commit(self) -> None:
        await super().commit()
        stale, self._stale = self._stale, []
        if not stale:
            return
        if self._owned:
            await self._cache.invalidate(stale)
        else:
            event.listen(self.session.sync_session, "after_commit", self._after(stale), once=True)

    def _after(self, stale: list[tuple[str, float, float]]) -> Any:
        def invalidate_after_commit(_session: Any) -> None:
            task = asyncio.get_running_loop().create_task(self._cache.invalidate(stale))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        return invalidate_after_commit
