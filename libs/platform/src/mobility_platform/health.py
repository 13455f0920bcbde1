"""/healthz (the process is alive), /readyz (its dependencies answer) and /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

Check = Callable[[], Awaitable[None]]


async def run_checks(checks: Mapping[str, Check], timeout_s: float = 2.0) -> dict[str, str]:
    async def one(check: Check) -> str:
        try:
            await asyncio.wait_for(check(), timeout_s)
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            return f"down: {type(exc).__name__}"
        return "ok"

    names = list(checks)
    results = await asyncio.gather(*(one(checks[n]) for n in names))
    return dict(zip(names, results, strict=True))


def health_router() -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        """The process is up and serving."""
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness")
    async def readyz(request: Request) -> JSONResponse:
        """Ready only while every required dependency answers."""
        checks: Mapping[str, Check] = getattr(request.app.state, "readiness_checks", {})
        required: Collection[str] = getattr(request.app.state, "readiness_required", checks.keys())
        results = await run_checks(checks)
        ready = all(results.get(name) == "ok" for name in required if name in results)
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
