"""Clients for e2e tests: a rider talking to the public APIs, and an observer of Kafka topics."""

from __future__ import annotations

import hashlib
import hmac
import json
import mailbox
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
from mobility_platform.auth import mint_rider_token, mint_service_token
from mobility_platform.devstack import Stack
from mobility_platform.testing import read_topic, wait_until
from mobility_platform.testing.plugin import Infra

FRANKFURT = (50.11, 8.68)

# Timings shortened so expiry and offline behaviour are observable within a test's deadline.
HOLD_S = 12
OFFLINE_AFTER_S = 6
OVERRIDES: dict[str, dict[str, str]] = {
    "booking": {"RULES__RESERVATION_HOLD_S": str(HOLD_S), "RULES__UNLOCK_WINDOW_S": "120"},
    "iot-gateway": {"OFFLINE_AFTER_S": str(OFFLINE_AFTER_S), "OFFLINE_CHECK_INTERVAL_S": "1"},
    "vehicle-simulator": {"VEHICLE_AGENT_HEARTBEAT_INTERVAL_S": "2"},
}


@dataclass
class Rider:
    """A rider with a token, talking to the services over real HTTP."""

    id: uuid.UUID
    email: str
    http: httpx.AsyncClient
    platform: Platform

    async def search(
        self, lat: float = FRANKFURT[0], lon: float = FRANKFURT[1], **params: Any
    ) -> httpx.Response:
        query = {"lat": lat, "lon": lon, **params}
        return await self.http.get(self.platform.url("fleet") + "/vehicles/search", params=query)

    async def book(
        self, vehicle_id: str, *, minutes: int = 15, key: str | None = None, **extra: Any
    ) -> httpx.Response:
        body = {"vehicle_id": vehicle_id, "estimated_duration_min": minutes, **extra}
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        return await self.http.post(
            self.platform.url("booking") + "/bookings", json=body, headers=headers
        )

    async def post(
        self, service: str, path: str, body: Any = None, *, key: str | None = None
    ) -> httpx.Response:
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        return await self.http.post(self.platform.url(service) + path, json=body, headers=headers)

    async def get(self, service: str, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(self.platform.url(service) + path, params=params)


class Platform:
    def __init__(self, stack: Stack, infra: Infra) -> None:
        self.stack = stack
        self.infra = infra
        self._rider_key = (stack.secrets_dir / "rider_jwt_private.pem").read_text()
        self._service_key = (stack.secrets_dir / "service_jwt_private.pem").read_text()
        self._clients: list[httpx.AsyncClient] = []

    def url(self, service: str) -> str:
        return self.stack.url(service)

    def topic(self, base: str) -> str:
        return self.stack.opts.topic_prefix + base

    def rider(self) -> Rider:
        rider_id = uuid.uuid4()
        email = f"rider-{rider_id.hex[:10]}@example.com"
        token = mint_rider_token(self._rider_key, rider_id=rider_id, email=email, name="E2E Rider")
        http = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=15)
        self._clients.append(http)
        return Rider(rider_id, email, http, self)

    def service_headers(self, name: str = "e2e-tests") -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_service_token(self._service_key, service=name)}"}

    async def wait_for_fleet(self) -> None:
        """The demo fleet is seeded, online and searchable."""
        rider = self.rider()

        async def vehicles() -> list[Any] | None:
            response = await rider.search(radius_m=5000, limit=5)
            return response.json().get("items") if response.status_code == 200 else None

        await wait_until(vehicles, timeout=90, interval=0.5, message="searchable demo fleet")

    async def events(self, base_topic: str, *, subject: str | None = None) -> list[dict[str, Any]]:
        """Every CloudEvent on a topic so far (optionally for one aggregate), oldest first."""
        records = await read_topic(self.infra.kafka_bootstrap, self.topic(base_topic))
        found = [json.loads(r.value or b"{}") for r in records]
        return [e for e in found if subject is None or e.get("subject") == subject]

    async def wait_for_event(
        self, base_topic: str, event_type: str, *, subject: str, timeout: float = 15
    ) -> list[dict[str, Any]]:
        async def matching() -> list[dict[str, Any]] | None:
            events = [
                e for e in await self.events(base_topic, subject=subject) if e["type"] == event_type
            ]
            return events or None

        return await wait_until(
            matching, timeout=timeout, interval=0.25, message=f"{event_type} for {subject}"
        )

    def remove_vehicle_credentials(self) -> None:
        """Take this run's simulated vehicles off the shared broker again."""
        provision = Path(sys.executable).parent / "iot-gateway-provision"
        subprocess.run(
            [str(provision), "--from-fleet", self.url("fleet"), "--remove",
             "--secret-file", str(self.stack.secrets_dir / "vehicle_mqtt_secret"),
             "--service-key", str(self.stack.secrets_dir / "service_jwt_private.pem")],
            cwd=self.infra.repo_root, capture_output=True, timeout=120, check=False,
        )  # fmt: skip

    async def stripe_webhook(
        self, event_type: str, obj: dict[str, Any], *, forge: bool = False
    ) -> httpx.Response:
        """Deliver an event the way Stripe does: JSON signed with the endpoint's secret."""
        payload = json.dumps({
            "id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": event_type,
            "created": int(time.time()), "livemode": False, "data": {"object": obj},
        })  # fmt: skip
        secret = (self.stack.secrets_dir / "stripe_webhook_secret").read_text().strip()
        stamp = int(time.time())
        mac = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
        signature = f"t={stamp},v1={'0' * 64 if forge else mac}"
        async with httpx.AsyncClient() as stripe:
            return await stripe.post(
                self.url("payment") + "/webhooks/stripe",
                content=payload,
                headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
            )

    def mails_to(self, address: str) -> list[Message]:
        """Mails the local SMTP server received for one recipient."""
        box = mailbox.Maildir(self.infra.smtp_maildir, create=False)
        return [m for m in box if address in (m.get("To") or "")]

    async def wait_for_mail(
        self, address: str, *, subject_has: str, timeout: float = 20
    ) -> Message:
        def arrived() -> Message | None:
            return next((m for m in self.mails_to(address) if subject_has in m["Subject"]), None)

        return await wait_until(
            arrived, timeout=timeout, interval=0.25, message=f"mail to {address}"
        )

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
