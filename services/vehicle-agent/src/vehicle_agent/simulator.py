"""Many vehicle agents in one process (one asyncio loop, one paho client per vehicle).

Each simulated vehicle is a full agent with its own broker account (username = vehicle id,
password derived from the dev secret), its own signature check and replay memory. Failure
knobs pick a fraction of the fleet (deterministic for a given seed) or named vehicles.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from contracts.clock import Clock, SystemClock
from mobility_platform.signing import CommandVerifier, vehicle_mqtt_password

from vehicle_agent.agent import VehicleAgent
from vehicle_agent.domain import Motion, VehicleState
from vehicle_agent.mqtt import BrokerAccount, MiscTicker
from vehicle_agent.runner import Behaviour, Counters, HeartbeatScheduler, VehicleRunner
from vehicle_agent.vehicles import VehicleSeed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailureKnobs:
    drop_acks: float = 0.0
    """Fraction of vehicles that execute commands but never ack."""
    slow_acks: float = 0.0
    """Fraction of vehicles that ack `slow_ack_s` late."""
    slow_ack_s: float = 3.0
    offline: float = 0.0
    """Fraction of vehicles that vanish `offline_after_s` after start..."""
    offline_after_s: float = 30.0
    offline_for_s: float | None = None
    """...and come back after this long (None: never)."""
    drop_ack_ids: Collection[str] = ()
    slow_ack_ids: Collection[str] = ()
    offline_ids: Collection[str] = ()


def assign_behaviours(
    vehicle_ids: Sequence[str], knobs: FailureKnobs, *, seed: int
) -> dict[str, Behaviour]:
    """Who misbehaves how: named vehicles plus a seeded random fraction for each knob."""
    rng = random.Random(seed)

    def chosen(fraction: float, named: Collection[str]) -> set[str]:
        return set(named) | set(rng.sample(list(vehicle_ids), round(len(vehicle_ids) * fraction)))

    dropping = chosen(knobs.drop_acks, knobs.drop_ack_ids)
    slow = chosen(knobs.slow_acks, knobs.slow_ack_ids)
    offline = chosen(knobs.offline, knobs.offline_ids)
    return {
        vid: Behaviour(
            drop_acks=vid in dropping,
            ack_delay_s=knobs.slow_ack_s if vid in slow else 0.0,
            offline_after_s=knobs.offline_after_s if vid in offline else None,
            offline_for_s=knobs.offline_for_s if vid in offline else None,
        )
        for vid in vehicle_ids
    }


@dataclass(frozen=True)
class FleetConfig:
    host: str
    port: int
    secret: str
    """Dev secret the vehicle passwords derive from."""
    command_public_key: str
    heartbeat_interval_s: float = 10.0
    keepalive_s: int = 30
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 10.0
    connect_rate_per_s: float = 300.0
    motion: Motion = field(default_factory=Motion)


class Simulator:
    def __init__(
        self,
        seeds: Sequence[VehicleSeed],
        config: FleetConfig,
        *,
        knobs: FailureKnobs | None = None,
        seed: int = 1,
        clock: Clock | None = None,
    ) -> None:
        self.seeds = list(seeds)
        self.config = config
        self.knobs = knobs or FailureKnobs()
        self.clock = clock or SystemClock()
        self.counters = Counters()
        self.runners: dict[str, VehicleRunner] = {}
        self._rng = random.Random(seed)
        self._seed = seed
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Create every vehicle and connect them at `connect_rate_per_s`."""
        ids = [str(s.vehicle_id) for s in self.seeds]
        behaviours = assign_behaviours(ids, self.knobs, seed=self._seed)
        ticker = MiscTicker()
        scheduler = HeartbeatScheduler(self.config.heartbeat_interval_s)
        self._tasks = [
            asyncio.create_task(ticker.run(), name="mqtt-misc"),
            asyncio.create_task(scheduler.run(), name="heartbeats"),
        ]
        pause = 1.0 / self.config.connect_rate_per_s
        for seed in self.seeds:
            runner = self._runner(seed, behaviours[str(seed.vehicle_id)])
            self.runners[runner.agent.vehicle_id] = runner
            ticker.connections.append(runner.connection)
            runner.start()
            scheduler.add(runner, phase_s=self._rng.uniform(0, self.config.heartbeat_interval_s))
            await asyncio.sleep(pause)

    async def stop(self) -> None:
        for runner in self.runners.values():
            runner.stop()
        await asyncio.sleep(0.2)  # let the DISCONNECT packets go out
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _runner(self, seed: VehicleSeed, behaviour: Behaviour) -> VehicleRunner:
        c = self.config
        vid = str(seed.vehicle_id)
        state = VehicleState(
            vehicle_id=seed.vehicle_id,
            lat=seed.lat,
            lon=seed.lon,
            battery=float(seed.battery_pct),
            locked=seed.locked,
            heading_deg=self._rng.uniform(0, 360),
        )
        agent = VehicleAgent(
            state,
            verifier=CommandVerifier(c.command_public_key, vehicle_id=vid),
            clock=self.clock,
            motion=c.motion,
            rng=random.Random(self._rng.random()),
        )
        account = BrokerAccount(
            host=c.host,
            port=c.port,
            username=vid,
            password=vehicle_mqtt_password(c.secret, vid),
            keepalive_s=c.keepalive_s,
            reconnect_min_s=c.reconnect_min_s,
            reconnect_max_s=c.reconnect_max_s,
        )
        return VehicleRunner(agent, account, behaviour=behaviour, counters=self.counters)

    def connected(self) -> int:
        return sum(r.connection.subscribed for r in self.runners.values())


async def report_forever(sim: Simulator, *, every_s: float = 10.0) -> None:
    """Log connected vehicles, traffic and this process's CPU use."""
    wall, cpu = time.monotonic(), time.process_time()
    last = (sim.counters.heartbeats, sim.counters.acks)
    while True:
        await asyncio.sleep(every_s)
        now_wall, now_cpu = time.monotonic(), time.process_time()
        c = sim.counters
        cpu_pct = 100.0 * (now_cpu - cpu) / max(now_wall - wall, 1e-9)
        logger.info(
            "vehicles=%d connected=%d heartbeats/s=%.0f acks/s=%.1f rejected=%d "
            "dropped_acks=%d cpu=%.0f%%",
            len(sim.runners),
            sim.connected(),
            (c.heartbeats - last[0]) / (now_wall - wall),
            (c.acks - last[1]) / (now_wall - wall),
            c.rejected,
            c.dropped_acks,
            cpu_pct,
        )
        wall, cpu, last = now_wall, now_cpu, (c.heartbeats, c.acks)
