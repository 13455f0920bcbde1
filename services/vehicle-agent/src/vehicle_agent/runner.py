"""A vehicle agent on the wire: its broker session, its acks (with failure knobs), heartbeats."""

from __future__ import annotations

import asyncio
import heapq
import logging
from dataclasses import dataclass

from contracts.mqtt import CommandAck, acks_topic, commands_topic, telemetry_topic

from vehicle_agent.agent import VehicleAgent
from vehicle_agent.mqtt import BrokerAccount, MqttConnection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Behaviour:
    """How this vehicle misbehaves (simulator failure knobs); the default is a good vehicle."""

    drop_acks: bool = False
    """Execute commands but never acknowledge them."""
    ack_delay_s: float = 0.0
    """Acknowledge this late (slow network / slow actuator)."""
    offline_after_s: float | None = None
    """Disconnect and stop heartbeating this long after start."""
    offline_for_s: float | None = None
    """...and come back after this long (None: stay offline)."""


@dataclass
class Counters:
    acks: int = 0
    rejected: int = 0
    dropped_acks: int = 0
    heartbeats: int = 0


class VehicleRunner:
    def __init__(
        self,
        agent: VehicleAgent,
        account: BrokerAccount,
        *,
        behaviour: Behaviour | None = None,
        counters: Counters | None = None,
        client_id: str | None = None,
    ) -> None:
        self.agent = agent
        self.behaviour = behaviour or Behaviour()
        self.counters = counters or Counters()
        self._loop = asyncio.get_running_loop()
        vid = agent.vehicle_id
        self.connection = MqttConnection(
            account,
            client_id=client_id or vid,
            subscriptions=[commands_topic(vid)],
            on_message=self._on_command,
        )
        self.online = False

    def start(self) -> None:
        self.online = True
        self.connection.start()
        b = self.behaviour
        if b.offline_after_s is not None:
            self._loop.call_later(b.offline_after_s, self.go_offline, b.offline_for_s)

    def stop(self) -> None:
        self.online = False
        self.connection.stop()

    def go_offline(self, back_after_s: float | None = None) -> None:
        """Vanish: no session, no heartbeats (optionally return later)."""
        self.stop()
        if back_after_s is not None:
            self._loop.call_later(back_after_s, self._come_back)

    def _come_back(self) -> None:
        self.online = True
        self.connection.start()

    def send_heartbeat(self) -> bool:
        if not self.online:
            return False
        payload = self.agent.heartbeat().model_dump_json().encode()
        sent = self.connection.publish(telemetry_topic(self.agent.vehicle_id), payload)
        self.counters.heartbeats += sent
        return sent

    def _on_command(self, topic: str, payload: bytes) -> None:
        ack = self.agent.handle_command(payload)
        if ack is None:
            return
        self.counters.rejected += ack.status == "rejected"
        if self.behaviour.drop_acks:
            self.counters.dropped_acks += 1
            return
        if self.behaviour.ack_delay_s > 0:
            self._loop.call_later(self.behaviour.ack_delay_s, self._send_ack, ack)
        else:
            self._send_ack(ack)

    def _send_ack(self, ack: CommandAck) -> None:
        payload = ack.model_dump_json(exclude_none=True).encode()
        if self.connection.publish(acks_topic(self.agent.vehicle_id), payload):
            self.counters.acks += 1


class HeartbeatScheduler:
    """One task publishes every vehicle's heartbeat, each on its own phase of the interval."""

    def __init__(self, interval_s: float, *, max_sleep_s: float = 0.5) -> None:
        self._interval = interval_s
        self._max_sleep = max_sleep_s
        self._due: list[tuple[float, int, VehicleRunner]] = []
        self._seq = 0

    def add(self, runner: VehicleRunner, *, phase_s: float) -> None:
        self._seq += 1
        heapq.heappush(self._due, (asyncio.get_running_loop().time() + phase_s, self._seq, runner))

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._due and self._due[0][0] <= now:
                due, seq, runner = heapq.heappop(self._due)
                runner.send_heartbeat()
                heapq.heappush(self._due, (max(due + self._interval, now), seq, runner))
            wait = self._due[0][0] - now if self._due else self._max_sleep
            await asyncio.sleep(min(max(wait, 0.0), self._max_sleep))
