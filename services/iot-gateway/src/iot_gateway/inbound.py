"""Inbound MQTT: acks and heartbeats from vehicles, validated against the topic they came on.

The broker ACL lets a vehicle write only `vehicles/<its id>/...`, so the topic is the sender's
identity; a payload naming another vehicle is dropped. Runs on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from contracts.clock import Clock
from contracts.mqtt import CommandAck, Telemetry
from contracts.types import VehicleId
from prometheus_client import Counter
from pydantic import ValidationError

from iot_gateway.pending import PendingAcks
from iot_gateway.ports import Heartbeat

logger = logging.getLogger(__name__)

M = TypeVar("M", CommandAck, Telemetry)
DROPPED = Counter("iot_mqtt_messages_dropped_total", "Inbound messages refused", ["kind", "why"])


def vehicle_of(topic: str) -> VehicleId | None:
    """The vehicle id in `vehicles/<id>/<kind>` (canonical UUID text only), else None."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != "vehicles":
        return None
    try:
        parsed = uuid.UUID(parts[1])
    except ValueError:
        return None
    return VehicleId(parsed) if str(parsed) == parts[1] else None


class TelemetryBuffer:
    """The latest heartbeat per vehicle until the next flush (bounded by the fleet size)."""

    def __init__(self) -> None:
        self._latest: dict[VehicleId, Heartbeat] = {}

    def __len__(self) -> int:
        return len(self._latest)

    def add(self, beat: Heartbeat) -> None:
        self._latest[beat.telemetry.vehicle_id] = beat

    def drain(self) -> list[Heartbeat]:
        beats, self._latest = list(self._latest.values()), {}
        return beats

    def restore(self, beats: list[Heartbeat]) -> None:
        """Put back a batch that could not be stored; newer heartbeats received since win."""
        for beat in beats:
            self._latest.setdefault(beat.telemetry.vehicle_id, beat)


class TaskSet:
    """Fire-and-forget coroutines with a strong reference until they finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background ack recording failed: %r", task.exception())

    async def drain(self, timeout_s: float = 5.0) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout_s)


class InboundRouter:
    def __init__(
        self,
        *,
        pending: PendingAcks,
        buffer: TelemetryBuffer,
        clock: Clock,
        record_ack: Callable[[CommandAck], Awaitable[None]],
    ) -> None:
        self._pending = pending
        self._buffer = buffer
        self._clock = clock
        self._record_ack = record_ack
        self.tasks = TaskSet()

    def on_ack(self, topic: str, payload: bytes) -> None:
        vehicle_id = vehicle_of(topic)
        ack = _parse(CommandAck, payload, kind="ack")
        if vehicle_id is None or ack is None:
            return
        if ack.vehicle_id != vehicle_id:
            _drop("ack", "vehicle_mismatch", topic)
            return
        if not self._pending.resolve(vehicle_id, ack):
            self.tasks.spawn(_call(self._record_ack, ack))

    def on_telemetry(self, topic: str, payload: bytes) -> None:
        vehicle_id = vehicle_of(topic)
        telemetry = _parse(Telemetry, payload, kind="telemetry")
        if vehicle_id is None or telemetry is None:
            return
        if telemetry.vehicle_id != vehicle_id:
            _drop("telemetry", "vehicle_mismatch", topic)
            return
        self._buffer.add(Heartbeat(telemetry=telemetry, seen_at=self._clock.now()))


async def _call(record: Callable[[CommandAck], Awaitable[None]], ack: CommandAck) -> None:
    await record(ack)


def _parse(model: type[M], payload: bytes, *, kind: str) -> M | None:
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        _drop(kind, "invalid", f"{exc.error_count()} validation error(s)")
        return None


def _drop(kind: str, why: str, detail: str) -> None:
    DROPPED.labels(kind, why).inc()
    logger.warning("dropped %s message (%s): %s", kind, why, detail)
