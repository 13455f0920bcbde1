"""Rows <-> domain objects, and the read queries. Repositories never commit (the UoW does)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts.types import BookingId, QuoteId, RiderId, VehicleId, VehicleType
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from pricing import domain
from pricing.db import BookingDemandRow, PriceRuleRow, QuoteRow, SurgeRunRow, ZoneSurgeRow


class RuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def in_force(self, city_keys: Collection[str], at: datetime) -> list[domain.PriceRule]:
        """Per city and vehicle type, the version in force at `at`."""
        query = (
            select(PriceRuleRow)
            .ext(distinct_on(PriceRuleRow.city_key, PriceRuleRow.vehicle_type))
            .where(PriceRuleRow.city_key.in_(city_keys), PriceRuleRow.valid_from <= at)
            .order_by(
                PriceRuleRow.city_key, PriceRuleRow.vehicle_type, PriceRuleRow.valid_from.desc()
            )
        )
        return [_rule(row) for row in await self._s.scalars(query)]

    async def in_force_and_scheduled(self, city_key: str, at: datetime) -> list[domain.PriceRule]:
        current = await self.in_force([city_key], at)
        query = select(PriceRuleRow).where(
            PriceRuleRow.city_key == city_key, PriceRuleRow.valid_from > at
        )
        scheduled = [_rule(row) for row in await self._s.scalars(query)]
        return sorted([*current, *scheduled], key=lambda r: (r.vehicle_type, r.valid_from))

    async def cities(self) -> dict[str, str]:
        """city_key -> the city's name as ops wrote it, for every city with a rule."""
        query = select(PriceRuleRow.city_key, func.min(PriceRuleRow.city)).group_by(
            PriceRuleRow.city_key
        )
        return {key: name for key, name in await self._s.execute(query)}

    async def next_change(self, city_keys: Collection[str], after: datetime) -> datetime | None:
        """When the next scheduled version in these cities takes effect, if any."""
        return await self._s.scalar(
            select(func.min(PriceRuleRow.valid_from)).where(
                PriceRuleRow.city_key.in_(city_keys), PriceRuleRow.valid_from > after
            )
        )

    async def add(self, rule: domain.PriceRule, *, if_absent: bool = False) -> bool:
        """Insert a version; with `if_absent`, an existing (city, type, valid_from) wins."""
        statement = insert(PriceRuleRow).values(
            id=rule.id,
            city=rule.city,
            city_key=rule.city_key,
            vehicle_type=rule.vehicle_type.value,
            currency=rule.currency,
            unlock_fee_minor=rule.unlock_fee,
            per_minute_minor=rule.per_minute,
            per_km_minor=rule.per_km,
            valid_from=rule.valid_from,
        )
        if if_absent:
            statement = statement.on_conflict_do_nothing()
        result = await self._s.execute(statement.returning(PriceRuleRow.id))
        return result.first() is not None


class QuoteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, quote_id: UUID) -> domain.Quote | None:
        row = await self._s.get(QuoteRow, quote_id)
        return None if row is None else _quote(row)

    async def get_for_update(self, quote_id: UUID) -> domain.Quote | None:
        row = await self._s.scalar(
            select(QuoteRow).where(QuoteRow.id == quote_id).with_for_update()
        )
        return None if row is None else _quote(row)

    async def add(self, quote: domain.Quote) -> None:
        price = quote.price
        self._s.add(
            QuoteRow(
                id=quote.id,
                rider_id=quote.rider_id,
                vehicle_id=quote.vehicle_id,
                vehicle_type=quote.vehicle_type.value,
                city=quote.city,
                city_key=domain.city_key(quote.city),
                zone_id=quote.zone_id,
                rule_id=quote.rule_id,
                currency=price.currency,
                unlock_fee_minor=price.unlock_fee,
                per_minute_minor=price.per_minute,
                per_km_minor=price.per_km,
                surge_multiplier=price.surge,
                estimated_duration_min=quote.estimated_duration_min,
                estimated_amount_minor=quote.estimated_amount,
                authorized_amount_minor=quote.authorized_amount,
                created_at=quote.created_at,
                expires_at=quote.expires_at,
            )
        )

    async def set_booking(self, quote: domain.Quote, *, locked_at: datetime) -> None:
        await self._s.execute(
            update(QuoteRow)
            .where(QuoteRow.id == quote.id)
            .values(booking_id=quote.booking_id, locked_at=locked_at)
        )

    async def latest_for_vehicle(self, vehicle_id: UUID, since: datetime) -> domain.Quote | None:
        row = await self._s.scalar(
            select(QuoteRow)
            .where(QuoteRow.vehicle_id == vehicle_id, QuoteRow.created_at >= since)
            .order_by(QuoteRow.created_at.desc())
            .limit(1)
        )
        return None if row is None else _quote(row)

    async def counts_since(self, since: datetime) -> domain.ZoneCounts:
        """Quotes per zone since `since` (a demand signal)."""
        return await _zone_counts(
            self._s, QuoteRow, QuoteRow.created_at >= since, QuoteRow.zone_id.is_not(None)
        )


class SurgeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def multipliers(self, keys: Iterable[domain.ZoneKey]) -> dict[domain.ZoneKey, Decimal]:
        wanted = [(k.city, k.zone_id, k.vehicle_type.value) for k in keys]
        if not wanted:
            return {}
        columns = (ZoneSurgeRow.city_key, ZoneSurgeRow.zone_id, ZoneSurgeRow.vehicle_type)
        query = select(*columns, ZoneSurgeRow.multiplier).where(tuple_(*columns).in_(wanted))
        rows = await self._s.execute(query)
        return {domain.ZoneKey(c, z, VehicleType(t)): m for c, z, t, m in rows}

    async def for_city(self, city_key: str) -> dict[domain.ZoneKey, domain.ZoneSurge]:
        query = select(ZoneSurgeRow).where(ZoneSurgeRow.city_key == city_key)
        zones = [_zone(row) for row in await self._s.scalars(query)]
        return {zone.key: zone for zone in zones}

    async def save(self, zones: Collection[domain.ZoneSurge]) -> None:
        if not zones:
            return
        rows = [_zone_values(zone) for zone in zones]
        statement = insert(ZoneSurgeRow)
        excluded = statement.excluded
        await self._s.execute(
            statement.on_conflict_do_update(
                index_elements=["city_key", "zone_id", "vehicle_type"],
                set_={name: excluded[name] for name in rows[0] if name in _ZONE_STATE},
            ),
            rows,
        )

    async def last_run_for_update(self) -> datetime | None:
        """When surge last ran, locking the marker until this transaction ends (one replica
        decides at a time)."""
        await self._s.execute(
            insert(SurgeRunRow).values(id=1, ran_at=None).on_conflict_do_nothing()
        )
        return await self._s.scalar(
            select(SurgeRunRow.ran_at).where(SurgeRunRow.id == 1).with_for_update()
        )

    async def mark_run(self, at: datetime) -> None:
        await self._s.execute(update(SurgeRunRow).where(SurgeRunRow.id == 1).values(ran_at=at))


class BookingDemandRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, booking_id: BookingId, key: domain.ZoneKey, occurred_at: datetime) -> None:
        await self._s.execute(
            insert(BookingDemandRow)
            .values(
                booking_id=booking_id,
                city_key=key.city,
                zone_id=key.zone_id,
                vehicle_type=key.vehicle_type.value,
                occurred_at=occurred_at,
            )
            .on_conflict_do_nothing()
        )

    async def counts_since(self, since: datetime) -> domain.ZoneCounts:
        return await _zone_counts(self._s, BookingDemandRow, BookingDemandRow.occurred_at >= since)


_ZONE_STATE = {"level", "multiplier", "searches", "quotes", "bookings", "supply", "updated_at"}


async def _zone_counts(session: AsyncSession, table: Any, *where: Any) -> domain.ZoneCounts:
    query = (
        select(table.city_key, table.zone_id, table.vehicle_type, func.count())
        .where(*where)
        .group_by(table.city_key, table.zone_id, table.vehicle_type)
    )
    rows = await session.execute(query)
    return {domain.ZoneKey(c, z, VehicleType(t)): n for c, z, t, n in rows}


def _rule(row: PriceRuleRow) -> domain.PriceRule:
    return domain.PriceRule(
        id=row.id,
        city=row.city,
        vehicle_type=VehicleType(row.vehicle_type),
        currency=row.currency,
        unlock_fee=row.unlock_fee_minor,
        per_minute=row.per_minute_minor,
        per_km=row.per_km_minor,
        valid_from=row.valid_from,
    )


def _quote(row: QuoteRow) -> domain.Quote:
    return domain.Quote(
        id=QuoteId(row.id),
        rider_id=RiderId(row.rider_id),
        vehicle_id=VehicleId(row.vehicle_id),
        vehicle_type=VehicleType(row.vehicle_type),
        city=row.city,
        zone_id=row.zone_id,
        rule_id=row.rule_id,
        price=domain.Price(
            currency=row.currency,
            unlock_fee=row.unlock_fee_minor,
            per_minute=row.per_minute_minor,
            per_km=row.per_km_minor,
            surge=row.surge_multiplier,
        ),
        estimated_duration_min=row.estimated_duration_min,
        estimated_amount=row.estimated_amount_minor,
        authorized_amount=row.authorized_amount_minor,
        created_at=row.created_at,
        expires_at=row.expires_at,
        booking_id=None if row.booking_id is None else BookingId(row.booking_id),
    )


def _zone(row: ZoneSurgeRow) -> domain.ZoneSurge:
    return domain.ZoneSurge(
        key=domain.ZoneKey(row.city_key, row.zone_id, VehicleType(row.vehicle_type)),
        level=row.level,
        demand=domain.Demand(searches=row.searches, quotes=row.quotes, bookings=row.bookings),
        supply=row.supply,
        updated_at=row.updated_at,
    )


def _zone_values(zone: domain.ZoneSurge) -> dict[str, Any]:
    return {
        "city_key": zone.key.city,
        "zone_id": zone.key.zone_id,
        "vehicle_type": zone.key.vehicle_type.value,
        "level": zone.level,
        "multiplier": zone.multiplier,
        "searches": zone.demand.searches,
        "quotes": zone.demand.quotes,
        "bookings": zone.demand.bookings,
        "supply": zone.supply,
        "updated_at": zone.updated_at,
    }
