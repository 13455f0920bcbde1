"""Composition root: the only place that wires pricing together."""

from __future__ import annotations

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
from mobility_platform.runtime import Runtime

from pricing import api, consumers, db, jobs, usecases
from pricing.cache import RedisPriceCache
from pricing.deps import PricingServices
from pricing.fleet_client import FleetSupply, NoSupply
from pricing.settings import Settings
from pricing.uow import PricingUnitOfWork
from pricing.usecases import SupplySource


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the app; `uvicorn pricing.app:create_app --factory` runs it."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    config = settings.pricing_config()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            supply = await _supply(settings, stack)
            runtime = await stack.enter_async_context(Runtime(settings, outbox_table=db.outbox))

            def uow_factory() -> PricingUnitOfWork:
                return PricingUnitOfWork(
                    runtime.sessionmaker,
                    outbox_table=db.outbox,
                    source=settings.service_name,
                    clock=clock,
                    topic_prefix=settings.kafka.topic_prefix,
                )

            cache = RedisPriceCache(
                runtime.redis,
                prefix=settings.redis_key_prefix,
                ttl_s=settings.price_cache_ttl_s,
                demand_window_s=settings.surge.demand_window_s,
                breaker=CircuitBreaker(
                    "pricing-redis",
                    threshold=settings.http.breaker_threshold,
                    reset_after_s=settings.http.breaker_reset_s,
                ),
            )
            app.state.pricing = PricingServices(uow_factory=uow_factory, cache=cache, config=config)

            async def recalculate() -> bool:
                return await usecases.recalculate_surge(uow_factory(), cache, supply, config=config)

            runtime.spawn(
                "surge-recalculation",
                lambda: jobs.every(settings.surge.interval_s, recalculate, name="surge"),
            )
            consumer = InboxConsumer(
                consumer=settings.consumer_group,
                topics=[topics.BOOKING],
                handlers=consumers.booking_handlers(uow_factory, config),
                sessionmaker=runtime.sessionmaker,
                inbox_table=db.inbox,
                kafka=settings.kafka,
            )
            runtime.spawn("booking-events", consumer.run)
            runtime.install(app)
            yield

    app = create_service_app(
        settings,
        title="MobilityCorp Pricing",
        description="Price rules, surge, batch prices, quotes (price locks) and fares.",
        lifespan=lifespan,
        error_status=api.ERROR_STATUS,
    )
    app.include_router(api.router)
    app.include_router(api.internal)
    return app


async def _supply(settings: Settings, stack: AsyncExitStack) -> SupplySource:
    """Fleet's supply signal, or none when no fleet URL is configured."""
    if settings.fleet_url is None:
        return NoSupply()
    client = ServiceClient(
        peer="fleet",
        base_url=str(settings.fleet_url),
        settings=settings.http,
        tokens=ServiceTokenProvider(settings.auth, service=settings.service_name),
    )
    stack.push_async_callback(client.aclose)
    return FleetSupply(client, timeout_s=settings.fleet_timeout_s)
