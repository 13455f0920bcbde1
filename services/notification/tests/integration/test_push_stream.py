"""GET /me/notifications/stream: a connected rider receives push notifications live (SSE)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from uuid import uuid4

import httpx
from contracts.types import RiderId
from fastapi import FastAPI
from mobility_platform.testing import wait_until
from mobility_platform.testing.plugin import AuthKeys
from notification_harness import Kafka, Log, booking_confirmed, served


async def test_a_connected_rider_receives_the_push_notification_on_the_stream(
    make_app: Callable[..., FastAPI], kafka: Kafka, auth_keys: AuthKeys, log: Log
) -> None:
    rider = RiderId(uuid4())
    token = auth_keys.rider_token(rider)
    event = booking_confirmed(email_address=None, rider_id=rider, code="SSE42")
    async with (
        served(make_app()) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=20) as client,
        client.stream(
            "GET", "/me/notifications/stream", headers={"Authorization": f"Bearer {token}"}
        ) as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = _events(stream.aiter_lines())
        async with asyncio.timeout(20):
            assert (await anext(events)) == {"comment": "subscribed", "retry": "3000"}
            event_id = await kafka.publish(event)
            received = await anext(events)
        push = await wait_until(lambda: _push_row(log, event_id))
    assert received["event"] == "notification"
    data = json.loads(received["data"])
    assert data["kind"] == "booking_confirmed"
    assert data["booking_id"] == str(event.booking_id)
    assert "SSE42" in data["body"]
    assert received["id"] == data["delivery_id"]
    assert (push["status"], push["provider_id"]) == ("sent", "sse:1")


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, str]]:
    """Parse the SSE wire format into one dict per event (comments included)."""
    current: dict[str, str] = {}
    async for line in lines:
        if line == "":
            if current:
                yield current
            current = {}
        elif line.startswith(":"):
            current["comment"] = line[1:].strip()
        else:
            name, _, value = line.partition(":")
            current[name] = value.removeprefix(" ")


async def _push_row(log: Log, event_id: object) -> dict | None:
    row = (await log.deliveries(event_id)).get("push")  # type: ignore[arg-type]
    return row if row is not None and row["status"] != "pending" else None
