"""The FastAPI app every service starts from: logging, tracing, auth, problems, health, metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.errors import DomainError
from fastapi import FastAPI

from mobility_platform.auth import AUTH_ERROR_STATUS, TokenVerifier
from mobility_platform.health import health_router
from mobility_platform.observability import (
    FASTAPI_TELEMETRY,
    RequestContextMiddleware,
    configure_logging,
    configure_tracing,
)
from mobility_platform.problems import install_problem_handlers
from mobility_platform.settings import PlatformSettings


def create_service_app(
    settings: PlatformSettings,
    *,
    title: str,
    description: str = "",
    lifespan: Any = None,
    error_status: Mapping[type[DomainError], int] | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    configure_tracing(settings.service_name)
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        telemetry=FASTAPI_TELEMETRY,  # type: ignore[arg-type]
    )
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(settings.auth)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    install_problem_handlers(app, {**AUTH_ERROR_STATUS, **(error_status or {})})
    app.include_router(health_router())
    return app
