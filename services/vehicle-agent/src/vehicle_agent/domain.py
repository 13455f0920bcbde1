"""What a vehicle is and does: lock state, movement during a trip, battery, replay memory.

Pure: stdlib + contracts value types only. Randomness and time are passed in.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from datetime import datetime

from contracts.types import CommandAction, VehicleId

METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class Motion:
    """How the simulated vehicle moves while a trip runs (unlocked)."""

    trip_speed_kmh: float = 15.0
    drain_pct_per_km: float = 1.5


@dataclass
class VehicleState:
    vehicle_id: VehicleId
    lat: float
    lon: float
    battery: float
    locked: bool = True
    odometer_m: float = 0.0
    heading_deg: float = 0.0
    speed_kmh: float = 0.0

    @property
    def battery_pct(self) -> int:
        return max(0, min(100, round(self.battery)))

    @property
    def on_trip(self) -> bool:
        return not self.locked


def actuate(state: VehicleState, action: CommandAction) -> None:
    """Apply a verified command. locate/beep change nothing (a real vehicle blinks/beeps)."""
    if action is CommandAction.UNLOCK:
        state.locked = False
    elif action is CommandAction.LOCK:
        state.locked = True
        state.speed_kmh = 0.0


def advance(state: VehicleState, *, dt_s: float, motion: Motion, turn_deg: float = 0.0) -> None:
    """Move for `dt_s` seconds: only during a trip and with battery left."""
    if state.locked or state.battery <= 0 or dt_s <= 0:
        state.speed_kmh = 0.0
        return
    state.speed_kmh = motion.trip_speed_kmh
    distance_m = motion.trip_speed_kmh / 3.6 * dt_s
    heading = math.radians(state.heading_deg)
    state.lat = _clamp(state.lat + distance_m * math.cos(heading) / METRES_PER_DEGREE_LAT, 89.9)
    cos_lat = max(math.cos(math.radians(state.lat)), 0.01)
    lon = state.lon + distance_m * math.sin(heading) / (METRES_PER_DEGREE_LAT * cos_lat)
    state.lon = (lon + 180.0) % 360.0 - 180.0
    state.heading_deg = (state.heading_deg + turn_deg) % 360.0
    state.odometer_m += distance_m
    state.battery = max(0.0, state.battery - distance_m / 1000.0 * motion.drain_pct_per_km)


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


class ReplayGuard:
    """Remembers nonces of accepted commands until those commands expire.

    An expired command is refused anyway, so nothing older needs remembering: memory stays
    bounded by the commands accepted within one command lifetime.
    """

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._expiry: list[tuple[datetime, str]] = []

    def __len__(self) -> int:
        return len(self._until)

    def seen(self, nonce: str, *, now: datetime) -> bool:
        self._forget_expired(now)
        return nonce in self._until

    def remember(self, nonce: str, *, until: datetime) -> None:
        self._until[nonce] = until
        heapq.heappush(self._expiry, (until, nonce))

    def _forget_expired(self, now: datetime) -> None:
        while self._expiry and self._expiry[0][0] <= now:
            until, nonce = heapq.heappop(self._expiry)
            if self._until.get(nonce) == until:
                del self._until[nonce]
