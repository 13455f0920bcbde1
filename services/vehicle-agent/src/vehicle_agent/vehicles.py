"""The simulator's vehicles: where each one starts (from fleet's listing or a JSON file)."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.types import VehicleId, VehicleStatus

DEFAULT_CENTRE = (50.1109, 8.6821)  # Frankfurt: where the demo fleet lives


@dataclass(frozen=True)
class VehicleSeed:
    """Where a simulated vehicle starts."""

    vehicle_id: VehicleId
    lat: float
    lon: float
    battery_pct: int = 90
    locked: bool = True


def load_vehicles(path: Path, *, rng: random.Random | None = None) -> list[VehicleSeed]:
    """A VehiclePage JSON, a JSON list of vehicles (`id`, `position`, `battery_pct`), or ids."""
    data: Any = json.loads(path.read_text())
    items = data["items"] if isinstance(data, dict) else data
    rng = rng or random.Random(0)
    return [
        seed_of(item) if isinstance(item, dict) else _random_seed(str(item), rng) for item in items
    ]


def seed_of(item: dict[str, Any]) -> VehicleSeed:
    position = item.get("position") or {}
    return VehicleSeed(
        vehicle_id=VehicleId(uuid.UUID(str(item["id"]))),
        lat=float(position.get("lat", DEFAULT_CENTRE[0])),
        lon=float(position.get("lon", DEFAULT_CENTRE[1])),
        battery_pct=int(item.get("battery_pct", 90)),
        locked=item.get("status") != VehicleStatus.IN_USE.value,
    )


def _random_seed(vehicle_id: str, rng: random.Random) -> VehicleSeed:
    lat, lon = DEFAULT_CENTRE
    return VehicleSeed(
        vehicle_id=VehicleId(uuid.UUID(vehicle_id)),
        lat=lat + rng.uniform(-0.05, 0.05),
        lon=lon + rng.uniform(-0.08, 0.08),
        battery_pct=rng.randint(40, 100),
    )
