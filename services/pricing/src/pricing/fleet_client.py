"""Fleet, the supply side of surge: available vehicles per zone (`GET /internal/zones/supply`).

Any failure (fleet down, not deployed yet, slow, circuit open, an unexpected answer) means
"supply unknown" and surge falls back to its floor: pricing never fails because fleet does.
"""

from __future__ import annotations

import logging

from contracts.api.fleet import ZoneSupplyRead
from mobility_platform.errors import DependencyUnavailableError, PeerTimeoutError
from mobility_platform.http import ServiceClient
from prometheus_client import Counter
from pydantic import ValidationError

from pricing import domain

logger = logging.getLogger(__name__)

SUPPLY_POLLS = Counter("pricing_fleet_supply_polls_total", "Supply polls by outcome", ["outcome"])


class FleetSupply:
    def __init__(self, client: ServiceClient, *, timeout_s: float) -> None:
        self._client = client
        self._timeout_s = timeout_s

    async def zone_supply(self, city: str) -> dict[domain.ZoneKey, int] | None:
        try:
            response = await self._client.request(
                "GET", "/internal/zones/supply", params={"city": city}, timeout_s=self._timeout_s
            )
        except (DependencyUnavailableError, PeerTimeoutError) as exc:
            _unknown("unavailable", city, exc)
            return None
        if response.status_code != 200:
            _unknown("rejected", city, f"HTTP {response.status_code}")
            return None
        try:
            body = ZoneSupplyRead.model_validate_json(response.content)
        except ValidationError as exc:
            _unknown("invalid", city, exc)
            return None
        SUPPLY_POLLS.labels("ok").inc()
        supply: dict[domain.ZoneKey, int] = {}
        for item in body.items:
            key = domain.ZoneKey(domain.city_key(item.city), item.zone_id, item.vehicle_type)
            supply[key] = supply.get(key, 0) + item.available
        return supply


def _unknown(outcome: str, city: str, reason: object) -> None:
    SUPPLY_POLLS.labels(outcome).inc()
    logger.warning("fleet supply for %s unknown (%s): %s", city, outcome, reason)


class NoSupply:
    """No fleet configured: supply is always unknown."""

    async def zone_supply(self, city: str) -> dict[domain.ZoneKey, int] | None:
        return None
