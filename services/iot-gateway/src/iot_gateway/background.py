"""Background loops run by the lifespan: heartbeat flushing and offline detection.

Both survive a database outage: a failed flush puts its batch back, a failed detection round
is retried at the next tick. Both are safe with several replicas (upserts ordered by vehicle;
the detector locks rows with FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from prometheus_client import Counter, Gauge

from iot_gateway import usecases
from iot_gateway.inbound import TelemetryBuffer
from iot_gateway.ports import AbstractUnitOfWork

logger = logging.getLogger(__name__)

FLUSH_CHUNK = 2000
HEARTBEATS_STORED = Counter("iot_heartbeats_stored_total", "Heartbeats written to vehicle_state")
HEARTBEATS_BUFFERED = Gauge("iot_heartbeats_buffered", "Vehicles with an unflushed heartbeat")
OFFLINE_DETECTED = Counter("iot_vehicles_offline_detected_total", "VehicleOffline emitted")

UowFactory = Callable[[], AbstractUnitOfWork]


async def flush_heartbeats(
    buffer: TelemetryBuffer, new_uow: UowFactory, *, event_interval_s: float
) -> int:
    """Write every buffered heartbeat (in chunks); returns how many were stored."""
    beats = buffer.drain()
    stored = 0
    for start in range(0, len(beats), FLUSH_CHUNK):
        chunk = beats[start : start + FLUSH_CHUNK]
        try:
            await usecases.ingest_heartbeats(new_uow(), chunk, event_interval_s=event_interval_s)
        except Exception as exc:  # noqa: BLE001 - DB down: keep the heartbeats, retry next tick
            buffer.restore(beats[start:])
            logger.warning("storing %d heartbeats failed (will retry): %s", len(chunk), exc)
            break
        stored += len(chunk)
    HEARTBEATS_STORED.inc(stored)
    HEARTBEATS_BUFFERED.set(len(buffer))
    return stored


async def flush_heartbeats_forever(
    buffer: TelemetryBuffer, new_uow: UowFactory, *, interval_s: float, event_interval_s: float
) -> None:
    while True:
        await asyncio.sleep(interval_s)
        await flush_heartbeats(buffer, new_uow, event_interval_s=event_interval_s)


async def detect_offline(new_uow: UowFactory, *, offline_after_s: float, batch: int) -> int:
    """One detection round: mark every silent vehicle offline, `batch` rows per transaction."""
    total = 0
    while True:
        try:
            found = await usecases.detect_offline_vehicles(
                new_uow(), offline_after_s=offline_after_s, limit=batch
            )
        except Exception as exc:  # noqa: BLE001 - DB down: try again next round
            logger.warning("offline detection failed (will retry): %s", exc)
            return total
        total += found
        OFFLINE_DETECTED.inc(found)
        if found < batch:
            return total


async def detect_offline_forever(
    new_uow: UowFactory, *, interval_s: float, offline_after_s: float, batch: int
) -> None:
    while True:
        await detect_offline(new_uow, offline_after_s=offline_after_s, batch=batch)
        await asyncio.sleep(interval_s)
