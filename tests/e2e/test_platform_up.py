"""Every service of the platform starts, is ready, exports metrics and guards its routes."""

from __future__ import annotations

import httpx
import pytest
from e2e_clients import Platform

SERVICES = ["booking", "fleet", "pricing", "payment", "notification", "iot-gateway"]


@pytest.mark.parametrize("service", SERVICES)
async def test_service_is_live_ready_and_exports_metrics(platform: Platform, service: str) -> None:
    async with httpx.AsyncClient(base_url=platform.url(service), timeout=5) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert {"db", "redis", "kafka"} <= checks.keys()
        assert set(checks.values()) == {"ok"}, checks
        metrics = await http.get("/metrics")
        assert "http_server_request_duration_seconds" in metrics.text


@pytest.mark.parametrize("service", SERVICES)
async def test_internal_routes_refuse_riders_and_anonymous_callers(
    platform: Platform, service: str
) -> None:
    rider = platform.rider()
    async with httpx.AsyncClient(base_url=platform.url(service), timeout=5) as http:
        spec = (await http.get("/openapi.json")).json()
        internal = [
            (path, method)
            for path, methods in spec["paths"].items()
            if path.startswith("/internal/")
            for method in methods
        ]
        for path, method in internal:
            concrete = path.replace("{", "").replace("}", "")
            anonymous = await http.request(method.upper(), concrete)
            assert anonymous.status_code == 401, (method, path, anonymous.text)
            assert anonymous.headers["content-type"] == "application/problem+json"
            as_rider = await rider.http.request(method.upper(), platform.url(service) + concrete)
            assert as_rider.status_code == 403, (method, path, as_rider.text)
