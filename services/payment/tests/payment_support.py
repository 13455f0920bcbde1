"""Helpers shared by payment's integration tests: signed webhooks, database peeks."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

WEBHOOK_SECRET = "whsec_payment_integration_tests"


def stripe_signature(payload: str, secret: str = WEBHOOK_SECRET, t: int | None = None) -> str:
    """Stripe's scheme, computed independently of the SDK: v1 = HMAC-SHA256(secret, "t.body")."""
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def stripe_event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> str:
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
        }
    )


async def post_webhook(
    client: httpx.AsyncClient, payload: str, signature: str | None
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await client.post("/webhooks/stripe", content=payload.encode(), headers=headers)


def payment_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "booking_id": str(uuid.uuid4()),
        "rider_id": str(uuid.uuid4()),
        "amount": {"amount_minor": 1200, "currency": "EUR"},
        "rider_email": "rider@example.com",
    }
    return body | overrides


class Peek:
    """Read-only looks into payment's database (tests assert on committed state)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            result = await conn.execute(text(sql), params)
            return [dict(r._mapping) for r in result]

    async def counts(self) -> tuple[int, int, int]:
        """(payments, outbox rows, webhook events) in the whole database."""
        return (
            await self.scalar("SELECT count(*) FROM payment"),
            await self.scalar("SELECT count(*) FROM outbox_message"),
            await self.scalar("SELECT count(*) FROM webhook_event"),
        )

    async def event_types(self, payment_id: str) -> list[str]:
        rows = await self.rows(
            "SELECT type FROM outbox_message WHERE key = :k ORDER BY seq", k=payment_id
        )
        return [r["type"] for r in rows]
