"""Integration-test helpers: a typed client for pricing's HTTP API and a shiftable clock."""

from __future__ import annotations

import re
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from contracts.types import VehicleType
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing.plugin import AuthKeys
from pricing.settings import Settings, SurgeSettings, TimeBandSettings

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
TOD_FACTOR = 1.2
"""Test apps run one all-day time-of-day band, so expected prices do not depend on the hour."""


class ShiftableClock:
    """Real time plus an offset the test can move (quote expiry)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(
    *, database_url: str, redis_url: str | None, kafka: KafkaSettings, keys: AuthKeys, **extra: Any
) -> Settings:
    fields: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "kafka": kafka,
        "auth": keys.settings(),
        "environment": "test",
        "log_json": False,
        "fleet_url": f"http://127.0.0.1:{free_port()}",  # nothing listens: fleet is "down"
        "redis_key_prefix": f"pricing-test-{uuid.uuid4().hex[:8]}",
        "consumer_group": f"pricing-test-{uuid.uuid4().hex[:8]}",
        "surge": SurgeSettings(
            interval_s=0.2,
            time_of_day=[TimeBandSettings(start_hour=0, end_hour=24, factor=TOD_FACTOR)],  # type: ignore[arg-type]
        ),
    }
    fields.update(extra)
    return Settings(**fields)


def eur(amount: int) -> dict[str, Any]:
    return {"amount_minor": amount, "currency": "EUR"}


@dataclass
class PricingApi:
    http: httpx.AsyncClient
    keys: AuthKeys
    settings: Settings

    @property
    def service(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.service_token('booking')}"}

    def rider(self, rider_id: uuid.UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.rider_token(rider_id)}"}

    async def add_rule(
        self,
        city: str,
        vehicle_type: VehicleType = VehicleType.SCOOTER,
        *,
        unlock_fee: int = 100,
        per_minute: int = 25,
        per_km: int | None = None,
        valid_from: datetime | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "city": city,
            "vehicle_type": vehicle_type.value,
            "unlock_fee": eur(unlock_fee),
            "per_minute": eur(per_minute),
        }
        if per_km is not None:
            body["per_km"] = eur(per_km)
        if valid_from is not None:
            body["valid_from"] = valid_from.isoformat()
        response = await self.http.post("/internal/price-rules", json=body, headers=self.service)
        assert response.status_code == 201, response.text
        return response

    async def batch(self, *items: dict[str, Any]) -> httpx.Response:
        return await self.http.post(
            "/internal/pricing/batch", json={"items": list(items)}, headers=self.service
        )

    async def quote(
        self,
        city: str,
        *,
        rider_id: uuid.UUID | None = None,
        vehicle_id: uuid.UUID | None = None,
        zone_id: str | None = "center",
        minutes: int = 15,
        vehicle_type: VehicleType = VehicleType.SCOOTER,
    ) -> httpx.Response:
        body = {
            "rider_id": str(rider_id or uuid.uuid4()),
            "vehicle_id": str(vehicle_id or uuid.uuid4()),
            "vehicle_type": vehicle_type.value,
            "city": city,
            "zone_id": zone_id,
            "estimated_duration_min": minutes,
        }
        return await self.http.post("/internal/quotes", json=body, headers=self.service)

    async def lock(
        self, quote: dict[str, Any], booking_id: uuid.UUID, **overrides: Any
    ) -> httpx.Response:
        body = {
            "booking_id": str(booking_id),
            "rider_id": quote["rider_id"],
            "vehicle_id": quote["vehicle_id"],
            **overrides,
        }
        return await self.http.post(
            f"/internal/quotes/{quote['quote_id']}/lock", json=body, headers=self.service
        )

    async def fare(
        self,
        quote_id: str,
        booking_id: uuid.UUID,
        *,
        seconds: float,
        distance_m: int = 0,
        started_at: datetime | None = None,
    ) -> httpx.Response:
        start = started_at or datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
        body = {
            "quote_id": quote_id,
            "booking_id": str(booking_id),
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(seconds=seconds)).isoformat(),
            "distance_m": distance_m,
        }
        return await self.http.post("/internal/fares", json=body, headers=self.service)

    async def surge(self, city: str) -> dict[str, Any]:
        response = await self.http.get(
            "/internal/surge", params={"city": city}, headers=self.service
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def metric(self, name: str, **labels: str) -> float:
        """A counter's value from /metrics (0 when the series does not exist yet)."""
        text = (await self.http.get("/metrics")).text
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in text.splitlines():
            match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
            if match and ",".join(sorted(match.group(1).split(","))) == wanted:
                return float(match.group(2))
        return 0.0


def vehicle(city: str, zone_id: str | None = "center", kind: str = "scooter") -> dict[str, Any]:
    return {"vehicle_id": str(uuid.uuid4()), "vehicle_type": kind, "city": city, "zone_id": zone_id}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body
