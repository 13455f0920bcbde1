"""Composition root: the only place that wires fleet together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from contracts import topics
from contracts.clock import Clock, SystemClock
from fastapi import FastAPI
from mobility_platform.app import create_service_app
from mobility_platform.auth import ServiceTokenProvider
from mobility_platform.breaker import CircuitBreaker
from mobility_platform.http import ServiceClient
from mobility_platform.inbox import InboxConsumer
from mobility_platform.runtime import Runtime, make_redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet import api, background, db, usecases
from fleet.cache import RedisCellCache, UnavailableCache
from fleet.consumers import iot_handlers
from fleet.deps import Components
from fleet.iot_client import GatewayCommands
from fleet.ports import CellCache, PriceSource
from fleet.pricing_client import NoPrices, PricingClient
from fleet.settings import Settings
from fleet.uow import FleetUnitOfWork
from fleet.views import FleetViews, SearchSnapshots


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the app; `uvicorn fleet.app:create_app --factory` runs it."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime(settings, outbox_table=db.outbox) as runtime, AsyncExitStack() as stack:
            runtime.install(app)
            components = await _build(settings, clock, runtime, stack)
            app.state.components = components
            _start_background(settings, runtime, components, app)
            await _warm_pool(runtime.engine, settings.db_pool_size)
            yield

    app = create_service_app(
        settings,
        title="MobilityCorp Fleet",
        description=(
            "Vehicles, zones, PostGIS search with a Redis cache, reservation locks, unlock."
        ),
        lifespan=lifespan,
        error_status=api.ERROR_STATUS,
    )
    app.include_router(api.router)
    return app


async def _build(s: Settings, clock: Clock, runtime: Runtime, stack: AsyncExitStack) -> Components:
    cache = _cache(s, stack)
    tokens = ServiceTokenProvider(s.auth, service=s.service_name)
    pricing_http = ServiceClient(
        peer="pricing", base_url=str(s.pricing_url), settings=s.http, tokens=tokens
    )
    gateway_http = ServiceClient(
        peer="iot-gateway", base_url=str(s.iot_gateway_url), settings=s.http, tokens=tokens
    )
    stack.push_async_callback(pricing_http.aclose)
    stack.push_async_callback(gateway_http.aclose)
    prices: PriceSource = (
        PricingClient(pricing_http, timeout_s=s.pricing_timeout_s)
        if s.search_prices_enabled
        else NoPrices()
    )
    policy = usecases.SearchPolicy(
        precision=s.search_cell_precision,
        cells_per_round=s.search_cells_per_round,
        max_cells=s.search_max_cells,
    )
    snapshots = SearchSnapshots(runtime.engine, min_battery_pct=s.search_min_battery_pct)
    return Components(
        settings=s,
        clock=clock,
        uow_factory=lambda: FleetUnitOfWork(
            runtime.sessionmaker, cache=cache, clock=clock, topic_prefix=s.kafka.topic_prefix
        ),
        search=usecases.Search(usecases.NearbyVehicles(cache, snapshots, policy), prices),
        commands=GatewayCommands(gateway_http, timeout_ms=s.command_timeout_ms),
        views=FleetViews(runtime.engine),
        alternatives=usecases.AlternativesPolicy(
            count=s.alternatives_count, radius_m=s.alternatives_radius_m
        ),
    )


def _cache(s: Settings, stack: AsyncExitStack) -> CellCache:
    if s.redis_url is None:
        return UnavailableCache()
    redis = make_redis(str(s.redis_url), timeout_s=s.search_cache_timeout_s)
    stack.push_async_callback(redis.aclose)
    breaker = CircuitBreaker(
        "fleet-search-cache",
        threshold=s.cache_breaker_threshold,
        reset_after_s=s.cache_breaker_reset_s,
    )
    return RedisCellCache(
        redis,
        breaker=breaker,
        prefix=s.cache_prefix,
        precision=s.search_cell_precision,
        ttl_s=s.search_cache_ttl_s,
    )


def _start_background(s: Settings, runtime: Runtime, c: Components, app: FastAPI) -> None:
    if s.iot_consumer_enabled:
        policy = usecases.TelemetryPolicy(
            min_battery_pct=s.search_min_battery_pct,
            precision=s.search_cell_precision,
            move_threshold_m=s.telemetry_move_threshold_m,
            last_seen_every_s=s.telemetry_last_seen_every_s,
        )
        consumer = InboxConsumer(
            consumer=s.iot_consumer_name,
            topics=[topics.IOT],
            handlers=iot_handlers(c.uow_factory(), policy),
            sessionmaker=runtime.sessionmaker,
            inbox_table=db.inbox,
            kafka=s.kafka,
        )
        app.state.iot_consumer = consumer
        runtime.spawn("iot-consumer", consumer.run)
    if s.sweeper_enabled:
        sweep = background.hold_sweeper(
            c.uow_factory, interval_s=s.sweeper_interval_s, batch=s.sweeper_batch
        )
        runtime.spawn("hold-sweeper", sweep)
    if s.search_prewarm_interval_s > 0:
        prewarm = background.cache_prewarmer(
            c.search.nearby, interval_s=s.search_prewarm_interval_s, cells=s.search_prewarm_cells
        )
        runtime.spawn("search-prewarm", prewarm)


async def _warm_pool(engine: AsyncEngine, size: int) -> None:
    """Open pooled connections and make their first PostGIS call (about 10 ms each) now,
    not on a rider's request."""

    async def one() -> None:
        async with engine.connect() as conn:
            await conn.execute(
                text("SELECT ST_Distance('POINT(0 0)'::geography, 'POINT(0 1)'::geography)")
            )

    await asyncio.gather(*(one() for _ in range(min(size, 8))))
