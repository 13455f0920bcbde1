"""Composition root: the only place that wires booking together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from contracts.clock import Clock, SystemClock
from fastapi import FastAPI
from mobility_platform.app import create_service_app
from mobility_platform.auth import ServiceTokenProvider
from mobility_platform.http import ServiceClient
from mobility_platform.runtime import Runtime
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking import api, db, workers
from booking.consumers import build_consumer
from booking.fleet_client import FleetClient
from booking.payment_client import PaymentClient
from booking.pricing_client import PricingClient
from booking.rate_limit import RedisRateLimiter
from booking.receipts import Ed25519ReceiptSigner
from booking.settings import Settings
from booking.uow import BookingUnitOfWork
from booking.usecases.context import Services


def _uow_factory(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> BookingUnitOfWork:
    return BookingUnitOfWork(
        sessionmaker,
        outbox_table=db.outbox,
        source=settings.service_name,
        clock=clock,
        topic_prefix=settings.kafka.topic_prefix,
    )


async def _clients(stack: AsyncExitStack, settings: Settings) -> dict[str, ServiceClient]:
    tokens = ServiceTokenProvider(settings.auth, service=settings.service_name)
    urls = {
        "fleet": settings.fleet_url,
        "fleet-public": settings.fleet_url,
        "pricing": settings.pricing_url,
        "payment": settings.payment_url,
    }
    clients = {
        peer: ServiceClient(
            peer=peer,
            base_url=str(url),
            settings=settings.http,
            tokens=None if peer == "fleet-public" else tokens,
        )
        for peer, url in urls.items()
    }
    for client in clients.values():
        stack.push_async_callback(client.aclose)
    return clients


def _services(
    settings: Settings, runtime: Runtime, clients: dict[str, ServiceClient], clock: Clock
) -> Services:
    return Services(
        uow=lambda: _uow_factory(settings, runtime.sessionmaker, clock),
        fleet=FleetClient(clients["fleet"], clients["fleet-public"]),
        pricing=PricingClient(clients["pricing"]),
        payment=PaymentClient(clients["payment"]),
        limiter=RedisRateLimiter(
            runtime.redis,
            limit=settings.rules.rate_limit_per_window,
            window_s=settings.rules.rate_limit_window_s,
            clock=clock,
        ),
        signer=Ed25519ReceiptSigner(
            private_key_pem=settings.receipt_private_key.get_secret_value(),
            public_key_pem=settings.receipt_public_key,
            key_id=settings.receipt_key_id,
        ),
        clock=clock,
        rules=settings.rules,
        workers=settings.workers,
        idempotency=settings.idempotency,
        render_error=api.render_problem,
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the app; `uvicorn booking.app:create_app --factory` runs it."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            runtime = await stack.enter_async_context(Runtime(settings, outbox_table=db.outbox))
            svc = _services(settings, runtime, await _clients(stack, settings), clock)
            app.state.services = svc
            if settings.consumer_enabled:
                consumer = build_consumer(
                    settings,
                    runtime.sessionmaker,
                    uow=lambda session: _uow_factory(settings, runtime.sessionmaker, clock).joined(
                        session
                    ),
                    clock=clock,
                )
                app.state.consumer = consumer
                runtime.spawn("inbox-consumer", consumer.run)
            if settings.workers.enabled:
                for name, loop in workers.loops(svc).items():
                    runtime.spawn(name, loop)
            runtime.install(app)
            yield

    app = create_service_app(
        settings,
        title="MobilityCorp Booking",
        description=(
            "Booking orchestration: reserve -> pay -> confirm, trips, scheduled and group bookings."
        ),
        lifespan=lifespan,
        error_status=api.ERROR_STATUS,
    )
    app.include_router(api.router)
    return app
