"""Composition root: the only place that wires payment together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from mobility_platform.app import create_service_app
from mobility_platform.runtime import Runtime

from payment import api, db
from payment.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; `uvicorn payment.app:create_app --factory` runs it."""
    settings = settings or Settings()  # type: ignore[call-arg]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime(settings, outbox_table=db.outbox) as runtime:
            runtime.install(app)
            yield

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
