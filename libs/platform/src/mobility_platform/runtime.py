"""What one service process owns while it runs: pools, clients, supervised background tasks.

Built in the service's lifespan (`async with Runtime(settings, ...) as rt`), never at import.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from mobility_platform.db import asyncpg_dsn, make_engine, make_sessionmaker
from mobility_platform.health import Check
from mobility_platform.kafka import KafkaProbe
from mobility_platform.outbox import OutboxRelay
from mobility_platform.settings import PlatformSettings

logger = logging.getLogger(__name__)


def make_redis(url: str, *, timeout_s: float = 0.25) -> Redis:
    """Short timeouts: every Redis read path must fall back quickly when Redis is slow or down."""
    return Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        decode_responses=False,
        max_connections=100,
    )


class Runtime:
    def __init__(self, settings: PlatformSettings, *, outbox_table: Table | None = None) -> None:
        self.settings = settings
        self._outbox_table = outbox_table
        self.engine: AsyncEngine
        self.sessionmaker: async_sessionmaker[AsyncSession]
        self.redis: Redis | None = None
        self.relay: OutboxRelay | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Self:
        s = self.settings
        self.engine = make_engine(s)
        self.sessionmaker = make_sessionmaker(self.engine)
        if s.redis_url is not None:
            self.redis = make_redis(str(s.redis_url))
        if self._outbox_table is not None and s.outbox.enabled:
            self.relay = OutboxRelay(
                service=s.service_name,
                dsn=asyncpg_dsn(s.database_url.unicode_string()),
                kafka=s.kafka,
                settings=s.outbox,
            )
            self.spawn("outbox-relay", self.relay.run)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()

    def spawn(self, name: str, factory: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run a background loop for the life of the process, restarting it if it crashes."""
        task = asyncio.create_task(_supervise(name, factory), name=name)
        self._tasks.append(task)
        return task

    def readiness_checks(self) -> dict[str, Check]:
        checks: dict[str, Check] = {"db": self._check_db}
        if self.redis is not None:
            checks["redis"] = self._check_redis
        checks["kafka"] = KafkaProbe(self.settings.kafka).check
        return checks

    def install(self, app: FastAPI) -> None:
        """Expose this runtime and its readiness checks on the app."""
        app.state.runtime = self
        app.state.readiness_checks = self.readiness_checks()
        app.state.readiness_required = self.settings.readiness_requires

    async def _check_db(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _check_redis(self) -> None:
        assert self.redis is not None
        await self.redis.ping()


async def _supervise(name: str, factory: Callable[[], Awaitable[None]]) -> None:
    delay = 0.5
    while True:
        started = time.monotonic()
        try:
            await factory()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            if time.monotonic() - started > 60:
                delay = 0.5  # it ran fine for a while: this is a new incident
            logger.exception("background task %s crashed; restarting in %.1fs", name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
