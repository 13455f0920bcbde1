"""Integration harness: booking's real app (real PostgreSQL, Redis, Kafka) talking to the
peer stubs over HTTP, plus helpers to call it as a rider and to look into its database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
from booking.app import create_app
from booking.settings import IdempotencySettings, Settings, WorkerSettings
from booking_peer_stubs import StubState
from fastapi import FastAPI
from mobility_platform.settings import HttpClientSettings, KafkaSettings, OutboxSettings
from mobility_platform.testing import app_client
from mobility_platform.testing.plugin import AuthKeys
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class Env:
    database_url: str
    redis_url: str
    kafka: KafkaSettings
    keys: AuthKeys
    stub_url: str
    stubs: StubState
    engine: AsyncEngine

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "kafka": self.kafka,
            "auth": self.keys.settings(),
            "fleet_url": self.stub_url,
            "pricing_url": self.stub_url,
            "payment_url": self.stub_url,
            "receipt_private_key": self.keys.receipt_private,
            "receipt_public_key": self.keys.receipt_public,
            "log_json": False,
            "consumer_enabled": False,
            "outbox": OutboxSettings(enabled=False),
            "http": HttpClientSettings(retries=1, backoff_initial_s=0.01, timeout_s=2),
            "workers": WorkerSettings(poll_interval_s=0.05, backoff_initial_s=0.1),
            "idempotency": IdempotencySettings(wait_s=3),
            **overrides,
        }
        return Settings(**values)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(await conn.execute(text(sql), params))


class Rider:
    """A rider with their own token, calling booking's API."""

    def __init__(self, client: httpx.AsyncClient, keys: AuthKeys) -> None:
        self.id = uuid4()
        self.client = client
        self.headers = {
            "Authorization": f"Bearer {keys.rider_token(self.id, email='rider@example.com')}"
        }

    async def post(
        self, path: str, body: dict[str, Any] | None = None, *, key: str | None = None
    ) -> httpx.Response:
        headers = {**self.headers, "Idempotency-Key": key or uuid4().hex}
        return await self.client.post(path, json=body or {}, headers=headers)

    async def book(
        self, vehicle_id: UUID | None = None, *, key: str | None = None, **body: Any
    ) -> httpx.Response:
        payload = {"vehicle_id": str(vehicle_id or uuid4()), "estimated_duration_min": 10, **body}
        return await self.post("/bookings", payload, key=key)

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, headers=self.headers, params=params)


@contextlib.asynccontextmanager
async def running(env: Env, **overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(env.settings(**overrides))
    async with app_client(app) as client:
        yield app, client


def booking_status_sql() -> str:
    return "SELECT status FROM booking WHERE id = :id"
