"""fleet-seed: a realistic demo fleet, repeatable with --seed, safe to run again."""

from __future__ import annotations

import asyncio
import sys

from fleet.seed import load
from fleet_testing import ALEMBIC_INI, FleetDb
from mobility_platform.testing.plugin import Databases


async def _cli(*args: str, url: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fleet.seed", *args, "--database-url", url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_seed_loads_cities_with_zones_repeatably_and_skips_when_present(
    databases: Databases,
) -> None:
    db = FleetDb(await databases.migrated("fleet_seed", ALEMBIC_INI))

    first = await _cli("--count", "3000", "--seed", "7", url=db.url)
    assert "seeded 3000 vehicles" in first
    ids = {r["id"] for r in await db.fetch("SELECT id FROM vehicles")}
    by_city = {r["city"]: r["n"] for r in await db.fetch(
        "SELECT city, count(*) AS n FROM vehicles GROUP BY city")}  # fmt: skip
    assert set(by_city) == {"Frankfurt", "Berlin", "Munich", "Hamburg", "Cologne"}
    assert by_city["Frankfurt"] > by_city["Cologne"]
    zones = await db.fetch("SELECT kind, count(*) AS n FROM zones GROUP BY kind ORDER BY kind")
    assert [(z["kind"], z["n"]) for z in zones] == [("no_parking", 10), ("operating", 45)]
    inside = await db.fetchval("SELECT count(*) FROM vehicles WHERE zone_id IS NOT NULL")
    assert 0.85 * 3000 < inside < 3000  # a few stand outside the operating areas
    central = await db.fetchval(
        "SELECT count(*) FROM vehicles WHERE ST_DWithin(position, "
        "ST_SetSRID(ST_MakePoint(8.6821, 50.1109), 4326)::geography, 2000)"
    )
    remote = await db.fetchval(
        "SELECT count(*) FROM vehicles WHERE ST_DWithin(position, "
        "ST_SetSRID(ST_MakePoint(8.7621, 50.1109), 4326)::geography, 2000)"
    )
    assert central > 3 * remote  # denser in the centre

    again = await _cli("--count", "3000", "--seed", "7", url=db.url)
    assert "already seeded" in again

    await load(db.dsn, count=3000, seed=7, replace=True)
    assert {r["id"] for r in await db.fetch("SELECT id FROM vehicles")} == ids
    await load(db.dsn, count=500, seed=8, replace=True)
    assert await db.count("vehicles") == 500
