"""Correlates vehicle acks with the commands this process is waiting on (by command_id).

Lives on the event loop; the MQTT thread hands acks over with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from contracts.mqtt import CommandAck
from contracts.types import CommandId, VehicleId


class PendingAcks:
    def __init__(self) -> None:
        self._waiting: dict[CommandId, tuple[VehicleId, asyncio.Future[CommandAck]]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    @contextmanager
    def expect(
        self, command_id: CommandId, vehicle_id: VehicleId
    ) -> Iterator[asyncio.Future[CommandAck]]:
        """Register before publishing (an ack can beat the publish call); always unregistered."""
        future: asyncio.Future[CommandAck] = asyncio.get_running_loop().create_future()
        self._waiting[command_id] = (vehicle_id, future)
        try:
            yield future
        finally:
            self._waiting.pop(command_id, None)
            future.cancel()

    def resolve(self, topic_vehicle: VehicleId, ack: CommandAck) -> bool:
        """Hand an ack to its waiter. Only the vehicle the command was sent to can answer it.

        Returns False when nobody here waits for it (late ack, another replica's command, a
        second ack for the same command, or an ack from the wrong vehicle).
        """
        entry = self._waiting.get(ack.command_id)
        if entry is None:
            return False
        vehicle_id, future = entry
        if vehicle_id != topic_vehicle or ack.vehicle_id != vehicle_id:
            return False
        if future.done():
            return False  # a second ack (duplicate or replay rejection): recorded on its own
        future.set_result(ack)
        return True
