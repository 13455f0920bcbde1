"""Pricing HTTP API: contracts models in, use cases, contracts models out."""

from __future__ import annotations

from typing import Annotated

from contracts.api.pricing import (
    BatchPriceRead,
    BatchPriceRequest,
    FareCreate,
    FareRead,
    InternalQuoteCreate,
    PriceRuleCreate,
    PriceRulePage,
    PriceRuleRead,
    QuoteCreate,
    QuoteLock,
    QuoteRead,
    ZoneSurgePage,
)
from contracts.errors import DomainError
from contracts.types import QuoteId
from fastapi import APIRouter, Query, Response
from mobility_platform.auth import RiderDep, internal_router

from pricing import domain, usecases
from pricing.deps import CacheDep, ConfigDep, UowDep

router = APIRouter(tags=["riders"])
internal = internal_router(tags=["internal"])

ERROR_STATUS: dict[type[DomainError], int] = {
    domain.NoPriceRuleError: 422,
    domain.InvalidPriceRuleError: 422,
    domain.PriceRuleConflictError: 409,
    domain.QuoteNotFoundError: 404,
    domain.QuoteNotYoursError: 403,
    domain.QuoteAlreadyUsedError: 409,
    domain.QuoteExpiredError: 410,
    domain.QuoteNotLockedError: 409,
    domain.InvalidTripWindowError: 422,
}

CityQuery = Annotated[str, Query(min_length=1, max_length=100)]


@router.post("/quotes", status_code=201)
async def create_quote(
    body: QuoteCreate, rider: RiderDep, uow: UowDep, config: ConfigDep
) -> QuoteRead:
    """Lock the current price of a vehicle for the calling rider (expires after ~10 min)."""
    return await usecases.create_quote(uow, request=body, rider_id=rider.id, config=config)


@router.get("/quotes/{quote_id}")
async def read_quote(quote_id: QuoteId, rider: RiderDep, uow: UowDep) -> QuoteRead:
    """One of the calling rider's quotes (404 for anybody else's)."""
    return await usecases.get_quote(uow, quote_id=quote_id, rider_id=rider.id)


@internal.post("/pricing/batch", response_model=BatchPriceRead)
async def price_batch(
    body: BatchPriceRequest, uow: UowDep, cache: CacheDep, config: ConfigDep
) -> Response:
    """Current prices for many vehicles (fleet's search; cached per city, zone and type)."""
    result = await usecases.price_batch(uow, cache, request=body, config=config)
    return Response(result.model_dump_json(), media_type="application/json")


@internal.post("/quotes", status_code=201)
async def create_internal_quote(
    body: InternalQuoteCreate, uow: UowDep, config: ConfigDep
) -> QuoteRead:
    """Lock the current price of a vehicle for the rider named in the body."""
    return await usecases.create_quote(uow, request=body, rider_id=body.rider_id, config=config)


@internal.post("/quotes/{quote_id}/lock")
async def lock_quote(quote_id: QuoteId, body: QuoteLock, uow: UowDep) -> QuoteRead:
    """Bind a quote to one booking; idempotent for that booking, refused for any other."""
    return await usecases.lock_quote(uow, quote_id=quote_id, request=body)


@internal.post("/fares")
async def create_fare(body: FareCreate, uow: UowDep) -> FareRead:
    """The final fare of a trip under its locked quote (capped at the authorised amount)."""
    return await usecases.calculate_fare(uow, request=body)


@internal.post("/price-rules", status_code=201)
async def create_price_rule(body: PriceRuleCreate, uow: UowDep, cache: CacheDep) -> PriceRuleRead:
    """Ops: a new version of a city's rule for a vehicle type (existing quotes keep theirs)."""
    return await usecases.change_price_rule(uow, cache, request=body)


@internal.get("/price-rules")
async def list_price_rules(city: CityQuery, uow: UowDep) -> PriceRulePage:
    """Ops: the rules in force in a city, and scheduled ones."""
    return await usecases.list_price_rules(uow, city=city)


@internal.get("/surge")
async def list_zone_surges(city: CityQuery, uow: UowDep, config: ConfigDep) -> ZoneSurgePage:
    """Ops: each zone's surge in a city and the signals behind it."""
    return await usecases.list_zone_surges(uow, city=city, config=config)
