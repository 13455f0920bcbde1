"""Issue 5 acceptance: a vehicle that stops heartbeating leaves search; back when it returns."""

from __future__ import annotations

from e2e_clients import OFFLINE_AFTER_S, Platform
from e2e_flows import free_vehicle, searchable
from mobility_platform.testing import wait_until


async def test_silent_vehicles_are_hidden_from_search_and_return_with_their_heartbeat(
    fleet_ready: Platform,
) -> None:
    rider = fleet_ready.rider()
    vehicle = await free_vehicle(rider)

    fleet_ready.stack.stop("vehicle-simulator")  # every simulated vehicle goes silent
    try:
        await wait_until(
            lambda: _hidden(rider, vehicle),
            timeout=OFFLINE_AFTER_S + 20,
            interval=0.5,
            message="silent vehicle hidden from search",
        )
        await fleet_ready.wait_for_event("iot.events.v1", "VehicleOffline", subject=vehicle["id"])
    finally:
        fleet_ready.stack.start_process("vehicle-simulator")
    await wait_until(
        lambda: searchable(rider, vehicle), timeout=30, interval=0.5, message="vehicle back"
    )
    await fleet_ready.wait_for_event("iot.events.v1", "VehicleOnline", subject=vehicle["id"])


async def _hidden(rider: object, vehicle: dict[str, object]) -> bool:
    return not await searchable(rider, vehicle)  # type: ignore[arg-type]
