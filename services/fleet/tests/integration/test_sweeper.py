"""Several replicas sweeping at once release each expired hold exactly once."""

from __future__ import annotations

import asyncio
import uuid

from contracts.clock import SystemClock
from fleet.cache import UnavailableCache
from fleet.uow import FleetUnitOfWork
from fleet.usecases import release_expired_holds
from fleet_testing import ALEMBIC_INI, FleetDb, Row, new_region, offset
from mobility_platform.testing.plugin import Databases
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine


async def test_concurrent_sweepers_release_every_expired_hold_once(databases: Databases) -> None:
    fleet_db = FleetDb(await databases.migrated("fleet_sweep", ALEMBIC_INI))  # its own holds only
    lat, lon = new_region()
    await fleet_db.add_zone(lat, lon, 1_000)
    rows = [Row(uuid.uuid4(), "scooter", *offset(lat, lon, 10 * i, 0)) for i in range(30)]
    await fleet_db.add_vehicles(rows)
    ids = [r.id for r in rows]
    await fleet_db.fetch(
        "UPDATE vehicles SET status = 'reserved', reserved_booking_id = gen_random_uuid(), "
        "reserved_rider_id = gen_random_uuid(), hold_until = now() - interval '1 minute' "
        "WHERE id = ANY($1::uuid[])",
        ids,
    )
    engine = create_async_engine(fleet_db.url, pool_size=4)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    def uow() -> FleetUnitOfWork:
        return FleetUnitOfWork(sessions, cache=UnavailableCache(), clock=SystemClock())

    try:
        released = await asyncio.gather(*(release_expired_holds(uow(), limit=7) for _ in range(4)))
        while sum(released) < len(ids):
            more = await release_expired_holds(uow(), limit=50)
            assert more > 0, "holds left behind"
            released.append(more)
    finally:
        await engine.dispose()

    assert sum(released) == len(ids)
    statuses = await fleet_db.fetch(
        "SELECT DISTINCT status FROM vehicles WHERE id = ANY($1::uuid[])", ids
    )
    assert [s["status"] for s in statuses] == ["available"]
    events = await fleet_db.fetch(
        "SELECT key, count(*) AS n FROM outbox_message WHERE type = 'VehicleReleased' "
        "AND key = ANY($1::text[]) GROUP BY key",
        [str(i) for i in ids],
    )
    assert len(events) == len(ids)
    assert {e["n"] for e in events} == {1}
