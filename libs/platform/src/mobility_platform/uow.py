"""Unit of work base: one session, one transaction, the outbox written at commit.

A service subclasses `SqlUnitOfWork` and builds its repositories in `_bind(session)`. A use
case runs `async with uow: ...; await uow.commit()`; leaving without commit rolls back.
`SqlUnitOfWork.joined(session)` makes a UoW that lives inside a transaction somebody else owns
(the inbox consumer): commit() then only flushes the outbox rows into that transaction.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from contracts.clock import Clock
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mobility_platform.outbox import OutboxWriter


class SqlUnitOfWork:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession] | None,
        *,
        outbox_table: Table,
        source: str,
        clock: Clock,
        topic_prefix: str = "",
    ) -> None:
        self._sessionmaker = sessionmaker
        self._outbox_table = outbox_table
        self._source = source
        self._topic_prefix = topic_prefix
        self.clock = clock
        self._session: AsyncSession | None = None
        self._owned = sessionmaker is not None
        self.outbox = self._new_outbox()

    def joined(self, session: AsyncSession) -> Self:
        """A copy of this UoW bound to a session whose transaction the caller owns."""
        uow = type(self).__new__(type(self))
        uow.__dict__.update(self.__dict__)
        uow._owned = False
        uow._session = session
        uow.outbox = uow._new_outbox()
        uow._bind(session)
        return uow

    def _new_outbox(self) -> OutboxWriter:
        return OutboxWriter(
            source=self._source, topic_prefix=self._topic_prefix, now=self.clock.now
        )

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    def _bind(self, session: AsyncSession) -> None:
        """Subclasses create their repositories on `session` here."""

    async def __aenter__(self) -> Self:
        if self._owned:
            assert self._sessionmaker is not None
            self._session = self._sessionmaker()
            self.outbox = self._new_outbox()
            self._bind(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._owned:
            return
        session, self._session = self._session, None
        if session is not None:
            await session.rollback()  # no-op after commit
            await session.close()

    async def commit(self) -> None:
        await self.outbox.flush(self.session, self._outbox_table)
        if self._owned:
            await self.session.commit()
        else:
            await self.session.flush()

    async def rollback(self) -> None:
        self.outbox.events = []
        if self._owned:
            await self.session.rollback()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} owned={self._owned}>"

    def __getstate__(self) -> dict[str, Any]:  # pragma: no cover - never pickled
        raise TypeError("a unit of work is not serialisable")
