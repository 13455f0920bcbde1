"""FastAPI dependencies: they only provide what app.py built (no checks, no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from pricing import domain
from pricing.uow import AbstractUnitOfWork, PricingUnitOfWork
from pricing.usecases import PriceCache


@dataclass(frozen=True)
class PricingServices:
    """What the routes need, built once in the lifespan and kept on app.state.pricing."""

    uow_factory: Callable[[], PricingUnitOfWork]
    cache: PriceCache
    config: domain.PricingConfig


def _services(request: Request) -> PricingServices:
    services: PricingServices = request.app.state.pricing
    return services


async def get_uow(request: Request) -> AbstractUnitOfWork:
    return _services(request).uow_factory()


async def get_cache(request: Request) -> PriceCache:
    return _services(request).cache


async def get_config(request: Request) -> domain.PricingConfig:
    return _services(request).config


UowDep = Annotated[AbstractUnitOfWork, Depends(get_uow)]
CacheDep = Annotated[PriceCache, Depends(get_cache)]
ConfigDep = Annotated[domain.PricingConfig, Depends(get_config)]
