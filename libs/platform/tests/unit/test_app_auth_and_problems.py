"""The shared app shell: auth on rider and /internal routes, and problem+json for every error."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from contracts.base import RequestModel
from contracts.errors import DomainError
from fastapi import FastAPI
from mobility_platform.app import create_service_app
from mobility_platform.auth import RiderDep, internal_router, mint_rider_token
from mobility_platform.settings import KafkaSettings, PlatformSettings
from mobility_platform.testing.plugin import AuthKeys


class VehicleUnavailableError(DomainError):
    code = "vehicle_unavailable"
    title = "Vehicle unavailable"


class Body(RequestModel):
    count: int


def build_app(keys: AuthKeys) -> FastAPI:
    settings = PlatformSettings(
        service_name="demo",
        database_url="postgresql+asyncpg://u:p@127.0.0.1:1/none",  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=keys.settings(),
        log_json=False,
    )
    app = create_service_app(settings, title="demo", error_status={VehicleUnavailableError: 409})
    internal = internal_router()

    @app.get("/me")
    async def me(rider: RiderDep) -> dict[str, str]:
        return {"rider_id": str(rider.id), "email": rider.contact.email or ""}

    @app.post("/things")
    async def things(body: Body, rider: RiderDep) -> dict[str, int]:
        return {"count": body.count}

    @app.post("/taken")
    async def taken() -> None:
        raise VehicleUnavailableError("Someone else got it.", extensions={"alternatives": []})

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @internal.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    app.include_router(internal)
    return app


@pytest.fixture
async def http(auth_keys: AuthKeys) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(auth_keys), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    return body


async def test_rider_route_without_token_is_401_problem(http: httpx.AsyncClient) -> None:
    response = await http.get("/me")
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_rider_route_with_rider_token_sees_the_rider(
    http: httpx.AsyncClient, auth_keys: AuthKeys
) -> None:
    rider_id = uuid.uuid4()
    response = await http.get("/me", headers=bearer(auth_keys.rider_token(rider_id, email="a@b.c")))
    assert response.json() == {"rider_id": str(rider_id), "email": "a@b.c"}


async def test_rider_token_signed_by_another_key_is_401(http: httpx.AsyncClient) -> None:
    from mobility_platform.auth import generate_keypair

    forged = mint_rider_token(generate_keypair()[0], rider_id=uuid.uuid4())
    assert_problem(await http.get("/me", headers=bearer(forged)), 401, "unauthenticated")


async def test_expired_rider_token_is_401(http: httpx.AsyncClient, auth_keys: AuthKeys) -> None:
    expired = mint_rider_token(auth_keys.rider_private, rider_id=uuid.uuid4(), ttl_s=-120)
    assert_problem(await http.get("/me", headers=bearer(expired)), 401, "unauthenticated")


async def test_service_token_cannot_act_as_a_rider(
    http: httpx.AsyncClient, auth_keys: AuthKeys
) -> None:
    response = await http.get("/me", headers=bearer(auth_keys.service_token()))
    assert_problem(response, 401, "unauthenticated")


async def test_rider_token_on_internal_route_is_403(
    http: httpx.AsyncClient, auth_keys: AuthKeys
) -> None:
    response = await http.get("/internal/ping", headers=bearer(auth_keys.rider_token()))
    assert_problem(response, 403, "forbidden")


async def test_internal_route_without_token_is_401(http: httpx.AsyncClient) -> None:
    assert_problem(await http.get("/internal/ping"), 401, "unauthenticated")


async def test_internal_route_with_service_token_works(
    http: httpx.AsyncClient, auth_keys: AuthKeys
) -> None:
    response = await http.get("/internal/ping", headers=bearer(auth_keys.service_token("booking")))
    assert response.json() == {"pong": "yes"}


async def test_invalid_body_is_422_problem_listing_fields(
    http: httpx.AsyncClient, auth_keys: AuthKeys
) -> None:
    response = await http.post(
        "/things",
        json={"count": "many", "extra": 1},
        headers=bearer(auth_keys.rider_token()),
    )
    body = assert_problem(response, 422, "validation_error")
    locations = {tuple(error["loc"]) for error in body["errors"]}  # type: ignore[union-attr]
    assert locations == {("body", "count"), ("body", "extra")}


async def test_malformed_json_is_422_problem(http: httpx.AsyncClient, auth_keys: AuthKeys) -> None:
    response = await http.post(
        "/things",
        content=b"{not json",
        headers={**bearer(auth_keys.rider_token()), "content-type": "application/json"},
    )
    assert_problem(response, 422, "validation_error")


async def test_domain_error_maps_to_its_status_with_extensions(http: httpx.AsyncClient) -> None:
    body = assert_problem(await http.post("/taken"), 409, "vehicle_unavailable")
    assert body["detail"] == "Someone else got it."
    assert body["alternatives"] == []
    assert body["instance"] == "/taken"


async def test_unknown_route_is_404_problem(http: httpx.AsyncClient) -> None:
    assert_problem(await http.get("/nope"), 404, "not_found")


async def test_unhandled_error_is_generic_500_without_internals(http: httpx.AsyncClient) -> None:
    response = await http.get("/boom")
    body = assert_problem(response, 500, "internal_error")
    assert "secret" not in response.text
    assert body["trace_id"]


async def test_health_and_metrics_need_no_token(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    await http.get("/me")
    metrics = (await http.get("/metrics")).text
    assert 'route="/me"' in metrics
    assert "http_server_request_duration_seconds_bucket" in metrics


async def test_extension_named_like_a_standard_member_does_not_break_the_problem(
    auth_keys: AuthKeys,
) -> None:
    app = build_app(auth_keys)

    @app.post("/clash")
    async def clash() -> None:
        raise VehicleUnavailableError("Taken.", extensions={"status": "reserved", "hint": "x"})

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        body = assert_problem(await client.post("/clash"), 409, "vehicle_unavailable")
    assert body["hint"] == "x"


async def test_an_incoming_traceparent_is_continued(http: httpx.AsyncClient) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await http.get(
        "/boom", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    )
    assert response.json()["trace_id"] == trace_id
