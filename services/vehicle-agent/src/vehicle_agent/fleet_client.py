"""Fleet's vehicle listing (`GET /internal/vehicles`) for the simulator."""

from __future__ import annotations

from typing import Any

from contracts.api.fleet import VehiclePage
from mobility_platform.auth import mint_service_token
from mobility_platform.http import ServiceClient
from mobility_platform.settings import HttpClientSettings

from vehicle_agent.vehicles import VehicleSeed, seed_of

PAGE_SIZE = 5000  # fleet's maximum


async def fetch_vehicles(
    fleet_url: str, *, service_private_key: str, city: str | None = None, limit: int | None = None
) -> list[VehicleSeed]:
    """Fleet's vehicles (paged), with a service token signed by our key."""
    token = mint_service_token(service_private_key, service="vehicle-simulator")
    client = ServiceClient(
        peer="fleet", base_url=fleet_url, settings=HttpClientSettings(timeout_s=30.0)
    )
    seeds: list[VehicleSeed] = []
    try:
        while limit is None or len(seeds) < limit:
            params: dict[str, Any] = {"offset": len(seeds), "limit": PAGE_SIZE}
            if city:
                params["city"] = city
            response = await client.request(
                "GET",
                "/internal/vehicles",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()
            page = VehiclePage.model_validate_json(response.content)
            seeds += [seed_of(item.model_dump(mode="json")) for item in page.items]
            if not page.items or len(seeds) >= page.total:
                break
    finally:
        await client.aclose()
    return seeds[:limit] if limit is not None else seeds
