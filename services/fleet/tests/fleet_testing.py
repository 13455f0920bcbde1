"""Helpers for fleet's integration tests: settings, data on real PostgreSQL, real HTTP servers
(the fleet app itself, and a STUB of the iot-gateway contract), a private redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import shutil
import signal
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fleet.domain import haversine_m
from fleet.settings import Settings
from mobility_platform.db import asyncpg_dsn
from mobility_platform.settings import KafkaSettings, OutboxSettings
from mobility_platform.testing import wait_until
from mobility_platform.testing.plugin import AuthKeys

MakeSettings = Callable[..., Settings]
ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
_names = itertools.count()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fleet_settings(
    *,
    database_url: str,
    redis_url: str | None,
    kafka: KafkaSettings,
    auth_keys: AuthKeys,
    pricing_url: str | None = None,
    iot_gateway_url: str | None = None,
    **overrides: Any,
) -> Settings:
    """Settings for one app under test: its own cache prefix, background loops off unless
    asked for, outbox relay off (tests read the outbox table)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "kafka": kafka,
        "auth": auth_keys.settings(),
        "pricing_url": pricing_url or f"http://127.0.0.1:{free_port()}",
        "iot_gateway_url": iot_gateway_url or f"http://127.0.0.1:{free_port()}",
        "cache_prefix": f"fleet-test-{uuid.uuid4().hex[:8]}",
        "iot_consumer_enabled": False,
        "sweeper_enabled": False,
        "search_prewarm_interval_s": 0,
        "outbox": OutboxSettings(enabled=False),
        "log_json": False,
        "log_level": "WARNING",
        "db_pool_size": 5,
        "environment": "test",
    }
    values.update(overrides)
    return Settings(**values)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A vehicle as the tests insert it (the database computes zone_id)."""

    id: uuid.UUID
    type: str
    lat: float
    lon: float
    status: str = "available"
    battery_pct: int = 80
    city: str = "Testville"
    online: bool = True


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    dlat = math.degrees(north_m / 6_371_008.7714)
    dlon = math.degrees(east_m / (6_371_008.7714 * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


_regions = itertools.count()


def new_region() -> tuple[float, float]:
    """A centre no other test uses (0.5 degrees apart), so tests never see each other's data."""
    k = next(_regions)
    return 20.0 + (k % 60) * 0.5, -40.0 + (k // 60) * 0.5


class FleetDb:
    """Direct access to a fleet database for arranging and inspecting state."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dsn = asyncpg_dsn(url)

    async def _conn(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.dsn)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await self._conn()
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def fetchval(self, query: str, *args: Any) -> Any:
        conn = await self._conn()
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    async def add_zone(
        self, lat: float, lon: float, half_m: float, *, kind: str = "operating"
    ) -> str:
        """A square zone `2 * half_m` wide around a point."""
        zone_id = f"z{next(_names)}-{uuid.uuid4().hex[:6]}"
        s, w = offset(lat, lon, -half_m, -half_m)
        n, e = offset(lat, lon, half_m, half_m)
        wkt = f"MULTIPOLYGON((({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s})))"
        conn = await self._conn()
        try:
            await conn.execute(
                "INSERT INTO zones (id, city, kind, name, area) "
                "VALUES ($1, 'Testville', $2, $1, ST_GeogFromText($3))",
                zone_id,
                kind,
                wkt,
            )
        finally:
            await conn.close()
        return zone_id

    async def add_vehicles(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        conn = await self._conn()
        try:
            await conn.execute(
                """
                INSERT INTO vehicles (id, type, position, status, online, battery_pct, city,
                                      zone_id, last_seen_at, odometer_m)
                SELECT r.id, r.type, p.pt, r.status, r.online, r.battery_pct, r.city, z.id,
                       now(), 1000
                FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::float8[], $5::text[],
                            $6::bool[], $7::smallint[], $8::text[])
                     AS r(id, type, lat, lon, status, online, battery_pct, city)
                CROSS JOIN LATERAL (
                    SELECT ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326)::geography AS pt) p
                LEFT JOIN LATERAL (
                    SELECT id FROM zones WHERE kind = 'operating' AND ST_Covers(area, p.pt)
                    ORDER BY id LIMIT 1) z ON true
                """,
                [r.id for r in rows],
                [r.type for r in rows],
                [r.lat for r in rows],
                [r.lon for r in rows],
                [r.status for r in rows],
                [r.online for r in rows],
                [r.battery_pct for r in rows],
                [r.city for r in rows],
            )
        finally:
            await conn.close()

    async def vehicle(self, vehicle_id: uuid.UUID) -> asyncpg.Record:
        [row] = await self.fetch(
            "SELECT *, ST_Y(position::geometry) AS lat, ST_X(position::geometry) AS lon "
            "FROM vehicles WHERE id = $1",
            vehicle_id,
        )
        return row

    async def events(self, vehicle_id: uuid.UUID) -> list[str]:
        rows = await self.fetch(
            "SELECT type FROM outbox_message WHERE key = $1 ORDER BY seq", str(vehicle_id)
        )
        return [r["type"] for r in rows]

    async def count(self, table: str) -> int:
        return int(await self.fetchval(f"SELECT count(*) FROM {table}"))


def expected_search(
    rows: Iterable[Row],
    searchable: set[uuid.UUID],
    *,
    lat: float,
    lon: float,
    radius_m: int,
    vtype: str | None,
) -> list[tuple[float, uuid.UUID]]:
    """Brute force: every searchable vehicle within the radius, by great-circle distance."""
    found = []
    for r in rows:
        if r.id not in searchable or (vtype is not None and r.type != vtype):
            continue
        distance = haversine_m(lat, lon, r.lat, r.lon)
        if distance <= radius_m:
            found.append((distance, r.id))
    return sorted(found)


def assert_correct_answer(
    items: list[dict[str, Any]],
    candidates: list[tuple[float, uuid.UUID]],
    *,
    radius_m: int,
    limit: int,
    eps: float = 1e-6,
) -> None:
    """The answer is the `limit` nearest within the radius, nearest first, tolerating float
    ties (order among equal distances, membership exactly at the radius or the limit)."""
    true = {vid: d for d, vid in candidates}
    got = [uuid.UUID(i["id"]) for i in items]
    assert len(set(got)) == len(got), "duplicates in the answer"
    assert all(v in true for v in got), "a vehicle that should not be there"
    dist = [true[v] for v in got]
    assert all(b >= a - eps for a, b in itertools.pairwise(dist)), "not nearest first"
    assert all(abs(i["distance_m"] - true[uuid.UUID(i["id"])]) <= 1 for i in items)
    strictly_inside = [d for d, _ in candidates if d <= radius_m - eps]
    assert min(limit, len(strictly_inside)) <= len(got) <= limit
    if got:
        missed = [d for d, v in candidates if v not in set(got) and d <= radius_m - eps]
        if len(got) < limit:
            assert not missed, "a nearer vehicle was left out"
        else:
            assert all(d >= dist[-1] - eps for d in missed), "a nearer vehicle was left out"


# --- real HTTP servers ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """Run an ASGI app on a real uvicorn server (with its lifespan) on a free port."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started or task.done(), timeout=30, message="uvicorn up")
    if task.done():
        task.result()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@dataclass
class GatewayStub:
    """A STUB of iot-gateway's `POST /internal/commands` (the real gateway is built in
    parallel; the lead adds the cross-service e2e test). Per vehicle: 'ack' (default),
    'timeout' (504 vehicle_timeout) or 'reject' (409 command_rejected)."""

    modes: dict[str, str] = field(default_factory=dict)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/internal/commands")
        async def command(request: Request) -> JSONResponse:
            body = await request.json()
            body["authorized"] = request.headers.get("authorization", "").startswith("Bearer ")
            self.calls.append(body)
            mode = self.modes.get(body["vehicle_id"], "ack")
            if mode == "timeout":
                return _problem(504, "vehicle_timeout")
            if mode == "reject":
                return _problem(409, "command_rejected", reason="bad_signature")
            ack = {"position": {"lat": 0.0, "lon": 0.0}, "battery_pct": 50, "odometer_m": 0}
            ack.update(self.acks.get(body["vehicle_id"], {}))
            return JSONResponse(
                {
                    "command_id": str(uuid.uuid4()),
                    "vehicle_id": body["vehicle_id"],
                    "action": body["action"],
                    "acked_at": datetime.now(UTC).isoformat(),
                    "locked": body["action"] == "lock",
                    **ack,
                }
            )

        return app


def _problem(status: int, code: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": code, "status": status, "code": code, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


# --- a private redis-server ----------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of our own on a free port, to stop and start at will (never the shared
    one)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._dir = tempfile.mkdtemp(prefix="fleet-redis-")
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            shutil.which("redis-server") or "redis-server",
            *("--port", str(self.port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", self._dir),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await wait_until(self._answers, timeout=10, message="private redis up")

    async def stop(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)  # a paused server could not exit
            self._proc.terminate()
            await asyncio.wait_for(self._proc.wait(), 10)
            self._proc = None

    def pause(self) -> None:
        """SIGSTOP: the server keeps its data but answers nothing (a hung Redis)."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGCONT)

    async def _answers(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    async def close(self) -> None:
        await self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
