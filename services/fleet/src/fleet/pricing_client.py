"""Pricing, as search needs it: batch prices for the vehicles found, or None when pricing is out.

Search must answer without pricing, so every failure (down, slow, circuit open, unexpected
answer) becomes None and the items carry `price=None`. Pricing caches its own answers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from contracts.api.common import PriceRead
from contracts.api.pricing import BatchPriceRead, BatchPriceRequest, PriceRequestItem
from contracts.types import VehicleId, VehicleType
from mobility_platform.errors import DependencyUnavailableError, PeerTimeoutError
from mobility_platform.http import CircuitOpenError, ServiceClient
from pydantic import ValidationError

from fleet.ports import Spot

logger = logging.getLogger(__name__)


class PricingClient:
    def __init__(self, client: ServiceClient, *, timeout_s: float) -> None:
        self._client = client
        self._timeout_s = timeout_s

    async def prices(self, spots: Sequence[Spot]) -> dict[VehicleId, PriceRead] | None:
        if not spots:
            return {}
        body = BatchPriceRequest(
            items=[
                PriceRequestItem(
                    vehicle_id=VehicleId(s.id),  # type: ignore[arg-type]  # pydantic parses
                    vehicle_type=VehicleType(s.type),
                    city=s.city,
                    zone_id=s.zone_id,
                )
                for s in spots
            ]
        )
        try:
            response = await self._client.request(
                "POST",
                "/internal/pricing/batch",
                json=body.model_dump(mode="json"),
                timeout_s=self._timeout_s,
                idempotent=False,  # one attempt: search must not wait for retries
            )
        except CircuitOpenError:
            return None
        except (DependencyUnavailableError, PeerTimeoutError) as exc:
            logger.info("pricing unavailable, search answers without prices: %s", exc)
            return None
        if response.status_code != 200:
            logger.warning("pricing answered %s to a batch request", response.status_code)
            return None
        try:
            read = BatchPriceRead.model_validate_json(response.content)
        except ValidationError as exc:
            logger.warning("pricing sent an invalid batch answer: %s", exc)
            return None
        return {item.vehicle_id: item.price for item in read.items}


class NoPrices:
    """Prices switched off (`search_prices_enabled=false`)."""

    async def prices(self, spots: Sequence[Spot]) -> dict[VehicleId, PriceRead] | None:
        return None
