"""The unit of work: one transaction over pricing's repositories (plus the platform outbox).

Use cases depend on the `AbstractUnitOfWork` protocol so unit tests can pass fakes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from contracts.types import BookingId
from mobility_platform.ports import UnitOfWorkBase
from mobility_platform.uow import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from pricing import domain
from pricing.repository import (
    BookingDemandRepository,
    QuoteRepository,
    RuleRepository,
    SurgeRepository,
)


class Rules(Protocol):
    async def in_force(
        self, city_keys: Collection[str], at: datetime
    ) -> list[domain.PriceRule]: ...
    async def in_force_and_scheduled(
        self, city_key: str, at: datetime
    ) -> list[domain.PriceRule]: ...
    async def cities(self) -> dict[str, str]: ...
    async def next_change(self, city_keys: Collection[str], after: datetime) -> datetime | None: ...
    async def add(self, rule: domain.PriceRule, *, if_absent: bool = False) -> bool: ...


class Quotes(Protocol):
    async def get(self, quote_id: UUID) -> domain.Quote | None: ...
    async def get_for_update(self, quote_id: UUID) -> domain.Quote | None: ...
    async def add(self, quote: domain.Quote) -> None: ...
    async def set_booking(self, quote: domain.Quote, *, locked_at: datetime) -> None: ...
    async def latest_for_vehicle(
        self, vehicle_id: UUID, since: datetime
    ) -> domain.Quote | None: ...
    async def counts_since(self, since: datetime) -> domain.ZoneCounts: ...


class Surges(Protocol):
    async def multipliers(
        self, keys: Iterable[domain.ZoneKey]
    ) -> dict[domain.ZoneKey, Decimal]: ...
    async def for_city(self, city_key: str) -> dict[domain.ZoneKey, domain.ZoneSurge]: ...
    async def save(self, zones: Collection[domain.ZoneSurge]) -> None: ...
    async def last_run_for_update(self) -> datetime | None: ...
    async def mark_run(self, at: datetime) -> None: ...


class BookingDemand(Protocol):
    async def add(
        self, booking_id: BookingId, key: domain.ZoneKey, occurred_at: datetime
    ) -> None: ...
    async def counts_since(self, since: datetime) -> domain.ZoneCounts: ...


class AbstractUnitOfWork(UnitOfWorkBase, Protocol):
    @property
    def rules(self) -> Rules: ...
    @property
    def quotes(self) -> Quotes: ...
    @property
    def surges(self) -> Surges: ...
    @property
    def booking_demand(self) -> BookingDemand: ...


class PricingUnitOfWork(SqlUnitOfWork):
    rules: RuleRepository
    quotes: QuoteRepository
    surges: SurgeRepository
    booking_demand: BookingDemandRepository

    def _bind(self, session: AsyncSession) -> None:
        self.rules = RuleRepository(session)
        self.quotes = QuoteRepository(session)
        self.surges = SurgeRepository(session)
        self.booking_demand = BookingDemandRepository(session)
