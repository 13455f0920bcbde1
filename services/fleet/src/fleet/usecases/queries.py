"""Reads that need a rule: a missing vehicle is an error, not an empty answer."""

from __future__ import annotations

from contracts.api.fleet import VehicleRead
from contracts.types import VehicleId

from fleet.domain import VehicleNotFoundError
from fleet.ports import FleetReads


async def get_vehicle(reads: FleetReads, *, vehicle_id: VehicleId) -> VehicleRead:
    """One vehicle as riders and ops see it."""
    vehicle = await reads.vehicle(vehicle_id)
    if vehicle is None:
        raise VehicleNotFoundError(f"Vehicle {vehicle_id} does not exist.")
    return vehicle
