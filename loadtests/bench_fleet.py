"""Fleet benchmark (run by hand, not in CI): search at cache hit and miss, reserve, and the hit
rate under a rider-like mix, against a real fleet app on real PostgreSQL/PostGIS and Redis.

    uv run python loadtests/bench_fleet.py                 # 50 000 vehicles, 10 s per phase
    uv run python loadtests/bench_fleet.py --count 5000 --seconds 3 --concurrency 8

What it does: creates a scratch database on the local infra (deploy/local/infra.sh up), runs
the migrations, seeds the fleet with `fleet-seed`'s loader (and reports how long that took),
starts ONE fleet process under uvicorn on 127.0.0.1:18200-18299 (outbox relay, iot consumer
and sweeper off: this measures the HTTP paths), drives it from this process with a closed loop
of `--concurrency` workers per phase (loopback only, bounded in time), prints P50/P95/P99 and
throughput per phase, writes loadtests/out/bench_fleet.json, then stops the server and drops
the database (unless --keep-db). Prices are OFF unless --pricing-url points at a running
pricing service: the numbers are fleet's own cost, and the output says which it was.

Phases:
  search-miss  each query's covering cells are deleted from Redis just before it is sent (not
               timed), so every query fills its cells from PostGIS (the miss path).
  search-hit   200 rider positions, warmed once, then queried at random (the hit path).
  reserve      distinct available vehicles, one booking each (201 path: conditional UPDATE +
               reservation row + outbox row + cell invalidation in one request).
  mix          riders search where riders are (centres and hotspots), 5 % reserve what they
               found; the hit rate is the server's own hit/miss counters over the phase.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fleet import cells
from fleet.seed import CITIES, load, position_near
from mobility_platform.auth import generate_keypair, mint_rider_token, mint_service_token
from mobility_platform.testing import wait_until
from mobility_platform.testing.plugin import migrate
from redis.asyncio import Redis

REPO = Path(__file__).resolve().parents[1]
ALEMBIC_INI = REPO / "services" / "fleet" / "alembic.ini"
PG = (
    f"{os.environ.get('MC_PG_USER', 'postgres')}:{os.environ.get('MC_PG_PASSWORD', 'postgres')}"
    f"@127.0.0.1:{os.environ.get('MC_PG_PORT', '55432')}"
)
REDIS_URL = f"redis://127.0.0.1:{os.environ.get('MC_REDIS_PORT', '56379')}/0"
TYPES = ("scooter", "ebike", "car")


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def report(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        if not lat:
            return {"phase": self.name, "requests": 0, "errors": dict(self.errors)}

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2)

        return {
            "phase": self.name,
            "requests": len(lat),
            "throughput_rps": round(len(lat) / self.seconds, 1),
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "mean_ms": round(statistics.fmean(lat), 2),
            "errors": dict(self.errors),
        }


async def closed_loop(
    phase: Phase,
    request: Callable[[httpx.AsyncClient, random.Random], Awaitable[httpx.Response | None]],
    *,
    base_url: str,
    concurrency: int,
    seconds: float,
    ok: frozenset[int] = frozenset({200, 201}),
) -> Phase:
    """`concurrency` workers, each with its own connection, sending back to back."""
    deadline = time.perf_counter() + seconds

    async def worker(i: int) -> None:
        rng = random.Random(i * 7919 + len(phase.name))
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await request(client, rng)
                if response is None:
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code in ok:
                    phase.latencies_ms.append(elapsed)
                else:
                    phase.errors[str(response.status_code)] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    phase.seconds = time.perf_counter() - started
    return phase


def rider_point(rng: random.Random) -> tuple[float, float]:
    city = rng.choices(CITIES, weights=[c.weight for c in CITIES])[0]
    return position_near(rng, city)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.db_name = f"bench_fleet_{secrets.token_hex(3)}"
        self.db_url = f"postgresql+asyncpg://{PG}/{self.db_name}"
        self.prefix = f"bench-{secrets.token_hex(3)}"
        self.port = args.port
        self.keys_dir = Path(tempfile.mkdtemp(prefix="bench-fleet-keys-"))
        rider_private, rider_public = generate_keypair()
        service_private, service_public = generate_keypair()
        for name, pem in [
            ("rider_public.pem", rider_public),
            ("service_public.pem", service_public),
            ("service_private.pem", service_private),
        ]:
            (self.keys_dir / name).write_text(pem)
        self.rider = {
            "Authorization": "Bearer "
            + mint_rider_token(rider_private, rider_id=uuid.uuid4(), ttl_s=7200)
        }
        self.service = {
            "Authorization": "Bearer "
            + mint_service_token(service_private, service="bench", ttl_s=7200)
        }
        self.redis = Redis.from_url(REDIS_URL)
        self.server: asyncio.subprocess.Process | None = None

    # --- setup / teardown --------------------------------------------------------------------

    async def create_database(self) -> float:
        admin = await asyncpg.connect(f"postgresql://{PG}/postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{self.db_name}"')
        finally:
            await admin.close()
        await asyncio.to_thread(migrate, ALEMBIC_INI, self.db_url)
        started = time.perf_counter()
        message = await load(
            self.db_url.replace("+asyncpg", ""), count=self.args.count, seed=42, replace=True
        )
        elapsed = time.perf_counter() - started
        print(f"seed: {message} (wall {elapsed:.2f} s)")  # noqa: T201
        return elapsed

    async def start_server(self) -> str:
        env = {
            **os.environ,
            "FLEET_DATABASE_URL": self.db_url,
            "FLEET_REDIS_URL": REDIS_URL,
            "FLEET_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092",
            "FLEET_AUTH__RIDER_PUBLIC_KEY": str(self.keys_dir / "rider_public.pem"),
            "FLEET_AUTH__SERVICE_PUBLIC_KEY": str(self.keys_dir / "service_public.pem"),
            "FLEET_AUTH__SERVICE_PRIVATE_KEY": str(self.keys_dir / "service_private.pem"),
            "FLEET_PRICING_URL": self.args.pricing_url or "http://127.0.0.1:9",
            "FLEET_SEARCH_PRICES_ENABLED": "true" if self.args.pricing_url else "false",
            "FLEET_IOT_GATEWAY_URL": "http://127.0.0.1:9",
            "FLEET_CACHE_PREFIX": self.prefix,
            "FLEET_OUTBOX__ENABLED": "false",
            "FLEET_IOT_CONSUMER_ENABLED": "false",
            "FLEET_SWEEPER_ENABLED": "false",
            "FLEET_LOG_LEVEL": "WARNING",
            "FLEET_DB_POOL_SIZE": "20",
        }
        self.server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "uvicorn", "fleet.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
            "--log-level", "warning", env=env, cwd=str(REPO / "services" / "fleet"),
        )  # fmt: skip
        base = f"http://127.0.0.1:{self.port}"
        async with httpx.AsyncClient(base_url=base) as client:

            async def up() -> bool:
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(up, timeout=20, interval=0.1, message="fleet to start")
        return base

    async def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            await self.server.wait()
        async for key in self.redis.scan_iter(match=f"{self.prefix}:*"):
            await self.redis.delete(key)
        await self.redis.aclose()
        shutil.rmtree(self.keys_dir, ignore_errors=True)
        if not self.args.keep_db:
            admin = await asyncpg.connect(f"postgresql://{PG}/postgres")
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            finally:
                await admin.close()

    # --- phases ------------------------------------------------------------------------------

    def _search(self, lat: float, lon: float, vtype: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"lat": lat, "lon": lon}
        if vtype:
            params["type"] = vtype
        return params

    async def search_miss(self, base: str) -> Phase:
        async def one(client: httpx.AsyncClient, rng: random.Random) -> httpx.Response:
            lat, lon = rider_point(rng)
            vtype = rng.choice(TYPES)
            keys = [
                f"{self.prefix}:search:{c.geohash}:{vtype}"
                for c in cells.covering_cells(lat, lon, 500, 6)
            ]
            await self.redis.delete(*keys)  # untimed: make every cell of this query cold
            started = time.perf_counter()
            response = await client.get(
                "/vehicles/search", params=self._search(lat, lon, vtype), headers=self.rider
            )
            response.extensions["bench_started"] = started
            return response

        phase = Phase("search-miss")
        return await self._timed(phase, one, base)

    async def _timed(
        self,
        phase: Phase,
        one: Callable[[httpx.AsyncClient, random.Random], Awaitable[httpx.Response]],
        base: str,
    ) -> Phase:
        """Like closed_loop, but the request function marks where timing starts."""
        deadline = time.perf_counter() + self.args.seconds

        async def worker(i: int) -> None:
            rng = random.Random(1000 + i)
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                while time.perf_counter() < deadline:
                    response = await one(client, rng)
                    elapsed = (time.perf_counter() - response.extensions["bench_started"]) * 1000
                    if response.status_code == 200:
                        phase.latencies_ms.append(elapsed)
                    else:
                        phase.errors[str(response.status_code)] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(self.args.concurrency)))
        phase.seconds = time.perf_counter() - started
        return phase

    async def search_hit(self, base: str) -> Phase:
        rng = random.Random(5)
        points = [(*rider_point(rng), rng.choice(TYPES)) for _ in range(200)]
        async with httpx.AsyncClient(base_url=base) as client:
            for lat, lon, vtype in points:  # warm every cell these queries touch
                await client.get(
                    "/vehicles/search", params=self._search(lat, lon, vtype), headers=self.rider
                )

        async def one(client: httpx.AsyncClient, rng: random.Random) -> httpx.Response:
            lat, lon, vtype = rng.choice(points)
            return await client.get(
                "/vehicles/search", params=self._search(lat, lon, vtype), headers=self.rider
            )

        return await closed_loop(
            Phase("search-hit"), one, base_url=base, concurrency=self.args.concurrency,
            seconds=min(self.args.seconds, 25),  # under the cache TTL: still hits at the end
        )  # fmt: skip

    async def available_ids(self) -> list[str]:
        conn = await asyncpg.connect(self.db_url.replace("+asyncpg", ""))
        try:
            rows = await conn.fetch(
                "SELECT id FROM vehicles WHERE status = 'available' ORDER BY random()"
            )
        finally:
            await conn.close()
        return [str(r["id"]) for r in rows]

    def _reservation(self) -> dict[str, str]:
        return {
            "booking_id": str(uuid.uuid4()),
            "rider_id": str(uuid.uuid4()),
            "hold_until": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
        }

    async def reserve(self, base: str, ids: list[str]) -> Phase:
        async def one(client: httpx.AsyncClient, rng: random.Random) -> httpx.Response | None:
            if not ids:
                return None
            vehicle = ids.pop()
            return await client.post(
                f"/internal/vehicles/{vehicle}/reservations",
                json=self._reservation(),
                headers=self.service,
            )

        return await closed_loop(
            Phase("reserve"), one, base_url=base, concurrency=self.args.concurrency,
            seconds=self.args.seconds, ok=frozenset({201}),
        )  # fmt: skip

    async def mix(self, base: str) -> tuple[Phase, float]:
        before = await self.cache_counters(base)

        async def one(client: httpx.AsyncClient, rng: random.Random) -> httpx.Response:
            lat, lon = rider_point(rng)
            vtype = rng.choice((*TYPES, None))
            response = await client.get(
                "/vehicles/search", params=self._search(lat, lon, vtype), headers=self.rider
            )
            items = response.json().get("items", []) if response.status_code == 200 else []
            if items and rng.random() < 0.05:
                return await client.post(
                    f"/internal/vehicles/{items[0]['id']}/reservations",
                    json=self._reservation(),
                    headers=self.service,
                )
            return response

        phase = await closed_loop(
            Phase("mix"), one, base_url=base, concurrency=self.args.concurrency,
            seconds=self.args.mix_seconds, ok=frozenset({200, 201, 409}),
        )  # fmt: skip
        after = await self.cache_counters(base)
        hits, misses = after[0] - before[0], after[1] - before[1]
        return phase, hits / max(1.0, hits + misses)

    async def cache_counters(self, base: str) -> tuple[float, float]:
        async with httpx.AsyncClient(base_url=base) as client:
            text = (await client.get("/metrics")).text
        values = {"hit": 0.0, "miss": 0.0}
        for line in text.splitlines():
            for outcome in values:
                if line.startswith(f'fleet_search_cache_lookups_total{{outcome="{outcome}"}}'):
                    values[outcome] = float(line.rsplit(" ", 1)[1])
        return values["hit"], values["miss"]


async def main(args: argparse.Namespace) -> None:
    bench = Bench(args)
    try:
        seed_s = await bench.create_database()
        base = await bench.start_server()
        ids = await bench.available_ids()
        results = [
            (await bench.search_miss(base)).report(),
            (await bench.search_hit(base)).report(),
            (await bench.reserve(base, ids)).report(),
        ]
        mix, hit_rate = await bench.mix(base)
        results.append({**mix.report(), "cache_hit_rate": round(hit_rate, 4)})
    finally:
        await bench.close()
    summary = {
        "when": datetime.now(UTC).isoformat(),
        "vehicles": args.count,
        "seed_seconds": round(seed_s, 2),
        "concurrency": args.concurrency,
        "prices": "pricing at " + args.pricing_url if args.pricing_url else "disabled",
        "load_average": os.getloadavg(),
        "phases": results,
    }
    out = REPO / "loadtests" / "out"
    out.mkdir(exist_ok=True)
    (out / "bench_fleet.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase")
    parser.add_argument("--mix-seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--port", type=int, default=18200, choices=range(18200, 18300))
    parser.add_argument("--pricing-url", default=None)
    parser.add_argument("--keep-db", action="store_true")
    asyncio.run(main(parser.parse_args()))
