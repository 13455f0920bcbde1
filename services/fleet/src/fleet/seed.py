"""`fleet-seed`: a demo fleet around real cities, loaded with COPY (50 000 vehicles in seconds).

Vehicles cluster like real ones: most around the city centre, many around hotspots (main
station, shopping streets, nightlife), a few scattered, some of those outside the operating
area (so search has something to leave out). Each city gets a 3 x 3 grid of operating zones
(12 x 12 km) and a few no-parking areas. The same `--seed` gives the same fleet, ids included.
A bulk loader on purpose: it writes rows directly instead of going through the use cases.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import asyncpg
import typer
from mobility_platform.db import asyncpg_dsn
from pydantic import PostgresDsn
from pydantic_settings import BaseSettings, SettingsConfigDict

KM_PER_DEG_LAT = 111.32


@dataclass(frozen=True)
class City:
    name: str
    code: str
    lat: float
    lon: float
    weight: float
    hotspots: tuple[tuple[float, float], ...]


CITIES = (
    City("Frankfurt", "fra", 50.1109, 8.6821, 0.30,
         ((50.1071, 8.6638), (50.1155, 8.6842), (50.1025, 8.6852), (50.1276, 8.6676))),
    City("Berlin", "ber", 52.5200, 13.4050, 0.25,
         ((52.5219, 13.4132), (52.5251, 13.3694), (52.4990, 13.4030), (52.5380, 13.4240))),
    City("Munich", "muc", 48.1372, 11.5756, 0.20,
         ((48.1402, 11.5600), (48.1374, 11.5755), (48.1600, 11.5860), (48.1300, 11.5600))),
    City("Hamburg", "ham", 53.5511, 9.9937, 0.15,
         ((53.5530, 10.0069), (53.5530, 9.9930), (53.5500, 9.9650), (53.5510, 9.9350))),
    City("Cologne", "cgn", 50.9375, 6.9603, 0.10,
         ((50.9413, 6.9583), (50.9490, 6.9200), (50.9230, 6.9580), (50.9370, 6.9750))),
)  # fmt: skip
ZONE_KM = 4.0
ZONE_NAMES = (("nw", "n", "ne"), ("w", "c", "e"), ("sw", "s", "se"))
TYPES = (("scooter", 0.6), ("ebike", 0.3), ("car", 0.1))


class SeedSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLEET_", env_file=".env", extra="ignore")
    database_url: PostgresDsn


def _offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    return (
        lat + north_km / KM_PER_DEG_LAT,
        lon + east_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat))),
    )


def _square_wkt(lat: float, lon: float, height_km: float, width_km: float) -> str:
    south, west = _offset(lat, lon, -height_km / 2, -width_km / 2)
    north, east = _offset(lat, lon, height_km / 2, width_km / 2)
    ring = f"{west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}"
    return f"MULTIPOLYGON((({ring})))"


def zone_rows(city: City) -> list[tuple[str, str, str, str, str]]:
    """(id, city, kind, name, wkt): the operating grid and the no-parking areas."""
    rows = []
    for r, names in enumerate(ZONE_NAMES):
        for c, short in enumerate(names):
            lat, lon = _offset(city.lat, city.lon, (1 - r) * ZONE_KM, (c - 1) * ZONE_KM)
            wkt = _square_wkt(lat, lon, ZONE_KM, ZONE_KM)
            rows.append(
                (f"{city.code}-{short}", city.name, "operating", f"{city.name} {short}", wkt)
            )
    for i, (lat, lon) in enumerate(city.hotspots[:2], start=1):
        plat, plon = _offset(lat, lon, 0.25, 0.25)  # next to the hotspot, like a park or square
        wkt = _square_wkt(plat, plon, 0.3, 0.4)
        rows.append((f"{city.code}-np-{i}", city.name, "no_parking", f"{city.name} np {i}", wkt))
    return rows


def position_near(rng: random.Random, city: City) -> tuple[float, float]:
    """Where a vehicle (or a rider) tends to be: the centre, a hotspot, or anywhere."""
    roll = rng.random()
    if roll < 0.55:  # the centre
        return _offset(city.lat, city.lon, rng.gauss(0, 1.8), rng.gauss(0, 1.8))
    if roll < 0.9:  # a hotspot
        lat, lon = rng.choice(city.hotspots)
        return _offset(lat, lon, rng.gauss(0, 0.6), rng.gauss(0, 0.6))
    return _offset(city.lat, city.lon, rng.uniform(-8, 8), rng.uniform(-8, 8))


def vehicle_rows(count: int, seed: int, now: datetime) -> list[tuple[object, ...]]:
    """(id, type, status, online, lat, lon, battery, city, last_seen_at, odometer_m)."""
    rng = random.Random(seed)
    cities = rng.choices(CITIES, weights=[c.weight for c in CITIES], k=count)
    kinds = rng.choices([t for t, _ in TYPES], weights=[w for _, w in TYPES], k=count)
    rows: list[tuple[object, ...]] = []
    for city, kind in zip(cities, kinds, strict=True):
        lat, lon = position_near(rng, city)
        roll = rng.random()
        status = "available" if roll < 0.95 else "offline" if roll < 0.98 else "maintenance"
        battery = max(0, min(100, round(rng.gauss(70 if kind == "car" else 62, 24))))
        seen = now - timedelta(seconds=rng.randint(5, 600 if status != "offline" else 86_400))
        vehicle_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        odometer = rng.randint(0, 20_000_000 if kind == "car" else 3_000_000)
        rows.append(
            (vehicle_id, kind, status, status != "offline", lat, lon, battery, city.name, seen,
             odometer)
        )  # fmt: skip
    return rows


_LOAD = """
INSERT INTO vehicles (id, type, position, status, online, battery_pct, city, zone_id,
                      last_seen_at, odometer_m)
SELECT s.id, s.type, p.pt, s.status, s.online, s.battery_pct, s.city, z.id, s.last_seen_at,
       s.odometer_m
FROM seed_vehicles s
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)::geography AS pt) p
LEFT JOIN LATERAL (
    SELECT id FROM zones WHERE kind = 'operating' AND ST_Covers(area, p.pt) ORDER BY id LIMIT 1
) z ON true
"""


async def load(dsn: str, *, count: int, seed: int, replace: bool) -> str:
    """Load the fleet; returns what happened, for the operator."""
    conn = await asyncpg.connect(dsn)
    try:
        existing = await conn.fetchval("SELECT count(*) FROM vehicles")
        if existing and not replace:
            return f"fleet already seeded ({existing} vehicles); pass --replace to reseed"
        started = time.perf_counter()
        rows = vehicle_rows(count, seed, datetime.now(UTC))
        async with conn.transaction():
            await conn.execute("TRUNCATE vehicles, zones, reservations")
            await conn.executemany(
                "INSERT INTO zones (id, city, kind, name, area) "
                "VALUES ($1, $2, $3, $4, ST_GeogFromText($5))",
                [row for city in CITIES for row in zone_rows(city)],
            )
            await conn.execute(
                "CREATE TEMP TABLE seed_vehicles (id uuid, type text, status text, online bool,"
                " lat float8, lon float8, battery_pct smallint, city text,"
                " last_seen_at timestamptz, odometer_m bigint) ON COMMIT DROP"
            )
            await conn.copy_records_to_table("seed_vehicles", records=rows)
            await conn.execute(_LOAD)
        await conn.execute("ANALYZE vehicles")
        inside = await conn.fetchval("SELECT count(*) FROM vehicles WHERE zone_id IS NOT NULL")
        elapsed = time.perf_counter() - started
        return f"seeded {count} vehicles ({inside} inside operating areas) in {elapsed:.2f} s"
    finally:
        await conn.close()


app = typer.Typer(add_completion=False)


@app.command()
def main(
    count: Annotated[int, typer.Option(min=1, help="How many vehicles")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same fleet")] = 42,
    replace: Annotated[bool, typer.Option(help="Wipe vehicles, zones, reservations first")] = False,
    database_url: Annotated[
        str | None, typer.Option(help="Default: FLEET_DATABASE_URL (postgresql+asyncpg://...)")
    ] = None,
) -> None:
    """Seed a demo fleet (skips when vehicles exist, unless --replace)."""
    url = database_url or SeedSettings().database_url.unicode_string()
    typer.echo(asyncio.run(load(asyncpg_dsn(url), count=count, seed=seed, replace=replace)))


if __name__ == "__main__":
    app()
