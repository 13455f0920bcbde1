"""Test helpers for the iot-gateway: a raw MQTT probe, a private broker, simulated vehicles.

Shared by unit and integration tests (importable by name through the root pytest pythonpath).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import paho.mqtt.client as paho
from iot_gateway.settings import MqttSettings, Settings
from mobility_platform.settings import KafkaSettings, OutboxSettings
from mobility_platform.testing import wait_until
from mobility_platform.testing.plugin import AuthKeys
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
"""`make_gateway(**settings_overrides)`: an async context manager yielding a client."""

PROCESS_START_S = 45.0
"""Deadline for waits that include starting a Python process (imports alone take seconds on a
busy 2-core box); a deadline, not a sleep: passing runs never wait for it."""

REPO = Path(__file__).resolve().parents[3]
ACL_TEMPLATE = REPO / "deploy" / "local" / "mosquitto" / "acl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MqttProbe:
    """A plain paho client on its own thread: what tests use to poke the broker directly."""

    def __init__(self, host: str, port: int, username: str, password: str) -> None:
        self.host, self.port = host, port
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._connack = threading.Event()
        self._acks: dict[int, threading.Event] = {}
        self._codes: dict[int, Any] = {}
        self.connect_code: ReasonCode | None = None
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"probe-{uuid.uuid4().hex[:10]}",
            protocol=paho.MQTTv5,
        )
        self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_ack
        self.client.on_subscribe = self._on_ack

    async def connect(self, timeout: float = 5.0) -> ReasonCode:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        if not await asyncio.to_thread(self._connack.wait, timeout):
            raise TimeoutError("no CONNACK")
        assert self.connect_code is not None
        return self.connect_code

    async def subscribe(self, topic: str, timeout: float = 5.0) -> Any:
        return await self._wait(self.client.subscribe(topic, qos=1)[1], timeout)

    async def publish(self, topic: str, payload: bytes, timeout: float = 5.0) -> ReasonCode:
        """QoS 1; returns the broker's PUBACK reason code (MQTT 5: 'Not authorized' shows)."""
        event = threading.Event()
        with self._lock:
            info = self.client.publish(topic, payload, qos=1)
            self._acks.setdefault(info.mid, event)
        code: ReasonCode = await self._wait(info.mid, timeout)
        return code

    async def _wait(self, mid: int, timeout: float) -> Any:
        with self._lock:
            event = self._acks.setdefault(mid, threading.Event())
        if not await asyncio.to_thread(event.wait, timeout):
            raise TimeoutError(f"no broker ack for mid {mid}")
        return self._codes.pop(mid)

    def received(self, topic: str) -> list[bytes]:
        with self._lock:
            return [payload for t, payload in self.messages if t == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, code: Any, props: Any) -> None:
        self.connect_code = code
        self._connack.set()

    def _on_message(self, client: Any, userdata: Any, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def _on_ack(self, client: Any, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        with self._lock:
            self._codes[mid] = codes
            self._acks.setdefault(mid, threading.Event()).set()


@dataclass
class PrivateBroker:
    """A mosquitto of our own (free port, own passwd/acl) that a test may stop and start."""

    directory: Path
    gateway_user: str = "iot-gateway"
    gateway_password: str = "private-gateway-password"
    vehicles: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def write_config(self) -> Path:
        d = self.directory
        d.mkdir(parents=True, exist_ok=True)
        passwd = d / "passwd"
        lines = [f"{self.gateway_user}:{self.gateway_password}"]
        lines += [f"{user}:{password}" for user, password in self.vehicles.items()]
        passwd.write_text("\n".join(lines) + "\n")
        subprocess.run(["mosquitto_passwd", "-U", str(passwd)], check=True, capture_output=True)
        acl = ACL_TEMPLATE.read_text().replace("user iot-gateway", f"user {self.gateway_user}")
        (d / "acl").write_text(acl)
        config = d / "mosquitto.conf"
        config.write_text(
            "per_listener_settings false\n"
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous false\n"
            f"password_file {passwd}\n"
            f"acl_file {d / 'acl'}\n"
            "persistence false\n"
            f"log_dest file {d / 'mosquitto.log'}\n" + ("user root\n" if os.geteuid() == 0 else "")
        )
        return config

    def start(self) -> None:
        config = self.write_config()
        self.process = subprocess.Popen(
            ["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def port_open(self) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0


class SimulatorProcess:
    """`vehicle-agent simulate` as a separate process: the vehicles, seen from outside."""

    def __init__(
        self,
        vehicles: Sequence[dict[str, Any]],
        *,
        workdir: Path,
        mqtt_port: int,
        command_public_key: str,
        secret_file: Path,
        args: Sequence[str] = (),
    ) -> None:
        self.vehicles_file = workdir / f"vehicles-{uuid.uuid4().hex[:8]}.json"
        self.vehicles_file.write_text(json.dumps(list(vehicles)))
        self.log = workdir / f"{self.vehicles_file.stem}.log"
        self.env = {
            **os.environ,
            "VEHICLE_AGENT_MQTT_HOST": "127.0.0.1",
            "VEHICLE_AGENT_MQTT_PORT": str(mqtt_port),
            "VEHICLE_AGENT_COMMAND_PUBLIC_KEY": command_public_key,
            "VEHICLE_AGENT_MQTT_SECRET_FILE": str(secret_file),
            "VEHICLE_AGENT_RECONNECT_MIN_S": "0.1",
            "VEHICLE_AGENT_RECONNECT_MAX_S": "0.5",
        }
        self.args = list(args)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        tool = Path(sys.executable).parent / "vehicle-agent"
        command = [str(tool) if tool.exists() else shutil.which("vehicle-agent") or "vehicle-agent"]
        command += ["simulate", "--vehicles-file", str(self.vehicles_file), "--report-s", "1"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command + self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> int | None:
        """SIGTERM and wait: the simulator must shut down cleanly (exit code 0)."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
                raise
        return process.returncode

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def vehicle(vehicle_id: str, *, lat: float = 50.11, lon: float = 8.68) -> dict[str, Any]:
    """A VehicleRead-like dict for a simulator vehicles file."""
    return {"id": vehicle_id, "position": {"lat": lat, "lon": lon}, "battery_pct": 80}


def gateway_settings(
    *,
    db_url: str,
    kafka: KafkaSettings,
    auth_keys: AuthKeys,
    mqtt_port: int,
    mqtt_user: str,
    mqtt_password: str,
    **overrides: Any,
) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "kafka": kafka,
        "auth": auth_keys.settings(),
        "redis_url": None,
        "mqtt": MqttSettings(
            host="127.0.0.1",
            port=mqtt_port,
            username=mqtt_user,
            password=mqtt_password,  # type: ignore[arg-type]
            reconnect_min_s=0.05,
            reconnect_max_s=0.3,
            client_id_prefix=f"iot-gateway-test-{secrets.token_hex(2)}",
        ),
        "command_signing_key": auth_keys.command_private,
        "command_timeout_ms": 3000,
        "telemetry_flush_interval_s": 0.1,
        "offline_check_interval_s": 0.1,
        "outbox": OutboxSettings(poll_interval_s=0.1),
        "log_json": False,
        "readiness_requires": frozenset({"db"}),
    }
    values.update(overrides)
    return Settings(**values)


async def outbox_events(db_url: str, event_type: str, vehicle_id: str) -> list[dict[str, Any]]:
    """The CloudEvents of one type for one vehicle in the gateway's outbox, oldest first."""
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch(
            "SELECT payload::text AS p FROM outbox_message WHERE type = $1 AND key = $2 "
            "ORDER BY seq",
            event_type,
            vehicle_id,
        )
    finally:
        await conn.close()
    return [json.loads(r["p"]) for r in rows]


async def wait_for_heartbeat(
    probe: MqttProbe, vehicle_id: str, timeout: float = PROCESS_START_S
) -> None:
    await probe.subscribe(f"vehicles/{vehicle_id}/telemetry")
    await wait_until(
        lambda: probe.received(f"vehicles/{vehicle_id}/telemetry"),
        timeout=timeout,
        message=f"a heartbeat from {vehicle_id}",
    )


async def audit_row(db_url: str, command_id: str) -> dict[str, Any]:
    """The gateway's audit row of a command."""
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        row = await conn.fetchrow(
            "SELECT * FROM vehicle_command WHERE command_id = $1", uuid.UUID(command_id)
        )
    finally:
        await conn.close()
    assert row is not None, f"no audit row for {command_id}"
    return dict(row)


async def wait_published(db_url: str, event_id: str, timeout: float = 30.0) -> None:
    """Wait until the outbox relay marked an event as published to Kafka."""

    async def published() -> bool:
        conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return bool(
                await conn.fetchval(
                    "SELECT published_at IS NOT NULL FROM outbox_message WHERE id = $1",
                    uuid.UUID(event_id),
                )
            )
        finally:
            await conn.close()

    await wait_until(published, timeout=timeout, message=f"event {event_id} published")


def command_id_of(signed_payload: bytes) -> str | None:
    """The command id inside a SignedCommand as seen on the wire (JWS payload, unverified)."""
    token = json.loads(signed_payload)["token"]
    segment = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    value = claims.get("command_id")
    return None if value is None else str(value)


class ShiftedClock:
    """The real time, shifted (a gateway whose clock is an hour behind issues stale commands)."""

    def __init__(self, shift: timedelta) -> None:
        self._shift = shift

    def now(self) -> datetime:
        return datetime.now(UTC) + self._shift
