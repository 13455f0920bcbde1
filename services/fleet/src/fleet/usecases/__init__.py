"""One async function per command or query; each owns its transaction and emits its events."""

from fleet.usecases.iot import (
    TelemetryPolicy,
    mark_vehicle_offline,
    mark_vehicle_online,
    record_telemetry,
)
from fleet.usecases.queries import get_vehicle
from fleet.usecases.reservations import (
    AlternativesPolicy,
    ReservationView,
    confirm_reservation,
    release_expired_holds,
    release_reservation,
    reserve_vehicle,
)
from fleet.usecases.search import NearbyVehicles, Search, SearchPolicy, search_vehicles
from fleet.usecases.trips import TripLocked, Unlocked, lock_trip, unlock_vehicle

__all__ = [
    "AlternativesPolicy",
    "NearbyVehicles",
    "ReservationView",
    "Search",
    "SearchPolicy",
    "TelemetryPolicy",
    "TripLocked",
    "Unlocked",
    "confirm_reservation",
    "get_vehicle",
    "lock_trip",
    "mark_vehicle_offline",
    "mark_vehicle_online",
    "record_telemetry",
    "release_expired_holds",
    "release_reservation",
    "reserve_vehicle",
    "search_vehicles",
    "unlock_vehicle",
]
