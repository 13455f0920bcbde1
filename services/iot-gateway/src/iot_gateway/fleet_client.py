"""Fleet's internal vehicle listing (`GET /internal/vehicles`), for provisioning credentials."""

from __future__ import annotations

from typing import Any

from contracts.api.fleet import VehiclePage
from mobility_platform.auth import mint_service_token
from mobility_platform.http import ServiceClient
from mobility_platform.settings import HttpClientSettings

PAGE_SIZE = 5000  # fleet's maximum


async def list_vehicle_ids(
    fleet_url: str, *, service_private_key: str, city: str | None = None
) -> list[str]:
    """Every vehicle id fleet knows (paged), using a service token of our own."""
    token = mint_service_token(service_private_key, service="iot-gateway")
    client = ServiceClient(
        peer="fleet", base_url=fleet_url, settings=HttpClientSettings(timeout_s=30.0)
    )
    ids: list[str] = []
    try:
        while True:
            params: dict[str, Any] = {"offset": len(ids), "limit": PAGE_SIZE}
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
            ids += [str(v.id) for v in page.items]
            if not page.items or len(ids) >= page.total:
                return ids
    finally:
        await client.aclose()
