"""Composition root: the only place that wires payment together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from contracts.clock import Clock, SystemClock
from fastapi import FastAPI
from mobility_platform.app import create_service_app
from mobility_platform.runtime import Runtime

from payment import api, db
from payment.psp import StripePaymentProvider
from payment.settings import Settings
from payment.uow import SqlPaymentUnitOfWork


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the app; `uvicorn payment.app:create_app --factory` runs it."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        provider = StripePaymentProvider(settings.stripe)
        async with Runtime(settings, outbox_table=db.outbox) as runtime:
            runtime.install(app)
            app.state.provider = provider
            app.state.uow_factory = lambda: SqlPaymentUnitOfWork(
                runtime.sessionmaker,
                outbox_table=db.outbox,
                source=settings.service_name,  # also names the relay's NOTIFY channel
                clock=clock,
                topic_prefix=settings.kafka.topic_prefix,
            )
            try:
                yield
            finally:
                await provider.aclose()

    app = create_service_app(
        settings,
        title="MobilityCorp Payment",
        description=(
            "Stripe payments: manual-capture authorisations, capture, void, refund, webhooks."
        ),
        lifespan=lifespan,
        error_status=api.ERROR_STATUS,
    )
    app.include_router(api.router)
    return app
