"""The part of a unit of work every use case relies on, as a typing-only Protocol.

Each service's own protocol extends it with its repositories
(`class AbstractUnitOfWork(UnitOfWorkBase, Protocol): payments: Payments`), so use cases and
their unit-test fakes depend on this shape, never on the SQL plumbing in `uow.py`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from contracts.clock import Clock
from contracts.envelope import Event


class Outbox(Protocol):
    def add(self, event: Event) -> object:
        """Queue an event to be written with the transaction's commit."""
        ...


class UnitOfWorkBase(Protocol):
    @property
    def outbox(self) -> Outbox: ...

    @property
    def clock(self) -> Clock: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...
