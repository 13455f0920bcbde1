"""FastAPI dependencies: they only provide (settings, unit of work, collaborators, query)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from contracts.clock import Clock
from contracts.types import GeoPoint, VehicleType
from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from fleet import usecases
from fleet.ports import SearchQuery, VehicleCommands
from fleet.settings import Settings
from fleet.uow import FleetUnitOfWork
from fleet.views import FleetViews


@dataclass(frozen=True)
class Components:
    """Everything the routes use, built once in the lifespan."""

    settings: Settings
    clock: Clock
    uow_factory: Callable[[], FleetUnitOfWork]
    search: usecases.Search
    commands: VehicleCommands
    views: FleetViews
    alternatives: usecases.AlternativesPolicy


def _components(request: Request) -> Components:
    components: Components = request.app.state.components
    return components


async def _uow(components: Annotated[Components, Depends(_components)]) -> FleetUnitOfWork:
    return components.uow_factory()


def _too_big(field: str, value: int, maximum: int) -> dict[str, Any]:
    return {
        "loc": ("query", field),
        "msg": f"Input should be less than or equal to {maximum}",
        "type": "less_than_equal",
        "input": value,
    }


async def _search_query(
    components: Annotated[Components, Depends(_components)],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude (WGS 84)")],
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude (WGS 84)")],
    type: Annotated[VehicleType | None, Query(description="Only this vehicle type")] = None,
    radius_m: Annotated[int | None, Query(ge=1, description="Default and max in settings")] = None,
    limit: Annotated[int | None, Query(ge=1, description="Default and max in settings")] = None,
) -> SearchQuery:
    s = components.settings
    errors = []
    if radius_m is not None and radius_m > s.search_radius_max_m:
        errors.append(_too_big("radius_m", radius_m, s.search_radius_max_m))
    if limit is not None and limit > s.search_limit_max:
        errors.append(_too_big("limit", limit, s.search_limit_max))
    if errors:
        raise RequestValidationError(errors)
    return SearchQuery(
        center=GeoPoint(lat=lat, lon=lon),
        vehicle_type=type,
        radius_m=radius_m or s.search_radius_default_m,
        limit=limit or s.search_limit_default,
    )


ComponentsDep = Annotated[Components, Depends(_components)]
UowDep = Annotated[FleetUnitOfWork, Depends(_uow)]
SearchQueryDep = Annotated[SearchQuery, Depends(_search_query)]
