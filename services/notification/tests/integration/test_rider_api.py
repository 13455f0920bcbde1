"""The rider API: settings seeded from the token, own data only, problem+json errors."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

from fastapi import FastAPI
from mobility_platform.testing import app_client
from mobility_platform.testing.plugin import AuthKeys


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_settings_are_seeded_from_the_token_and_riders_see_only_their_own(
    make_app: Callable[..., FastAPI], auth_keys: AuthKeys
) -> None:
    rider_a = auth_keys.rider_token(uuid4(), email="a@riders.example", name="Ann")
    rider_b = auth_keys.rider_token(uuid4(), email="b@riders.example")
    async with app_client(make_app()) as client:
        b_settings = {
            "email": "b-private@riders.example",
            "phone": "+4915112345678",
            "locale": "de",
            "channels": {"email": True, "push": False, "sms": True},
            "muted_kinds": ["trip_receipt"],
        }
        put = await client.put(
            "/me/notification-settings", json=b_settings, headers=bearer(rider_b)
        )
        got_a = await client.get("/me/notification-settings", headers=bearer(rider_a))
        got_b = await client.get("/me/notification-settings", headers=bearer(rider_b))
    assert put.status_code == 200, put.text
    assert got_a.status_code == 200
    a = got_a.json()
    assert (a["email"], a["name"], a["locale"]) == ("a@riders.example", "Ann", "en")
    assert a["channels"] == {"email": True, "push": True, "sms": True}
    assert "b-private" not in got_a.text
    b = got_b.json()
    assert (b["email"], b["phone"], b["locale"]) == (
        "b-private@riders.example",
        "+4915112345678",
        "de",
    )
    assert b["channels"]["push"] is False
    assert b["muted_kinds"] == ["trip_receipt"]


async def test_no_token_is_401_problem_json(make_app: Callable[..., FastAPI]) -> None:
    async with app_client(make_app()) as client:
        responses = [
            await client.get("/me/notification-settings"),
            await client.put("/me/notification-settings", json={}),
            await client.get("/me/notifications"),
            await client.get("/me/notifications/stream"),
            await client.post("/me/devices", json={"token": "x" * 20, "platform": "ios"}),
        ]
    for response in responses:
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unauthenticated"


async def test_bad_input_is_422_problem_json_and_changes_nothing(
    make_app: Callable[..., FastAPI], auth_keys: AuthKeys
) -> None:
    token = auth_keys.rider_token(uuid4(), email="c@riders.example")
    bad_bodies = [
        {"email": "not-an-address"},
        {"phone": "0151 123"},
        {"muted_kinds": ["no_such_kind"]},
        {"channels": {"email": "maybe"}},
        {"unknown_field": 1},
    ]
    async with app_client(make_app()) as client:
        answers = [
            await client.put("/me/notification-settings", json=body, headers=bearer(token))
            for body in bad_bodies
        ]
        bad_device = await client.post(
            "/me/devices", json={"token": "", "platform": "nokia"}, headers=bearer(token)
        )
        bad_page = await client.get("/me/notifications?limit=0", headers=bearer(token))
        after = await client.get("/me/notification-settings", headers=bearer(token))
    for response in [*answers, bad_device, bad_page]:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "validation_error"
    assert after.json()["email"] == "c@riders.example"


async def test_devices_register_idempotently_and_only_their_owner_removes_them(
    make_app: Callable[..., FastAPI], auth_keys: AuthKeys
) -> None:
    owner, other = auth_keys.rider_token(uuid4()), auth_keys.rider_token(uuid4())
    device = {"token": f"fcm-{uuid4()}", "platform": "android"}
    async with app_client(make_app()) as client:
        first = await client.post("/me/devices", json=device, headers=bearer(owner))
        again = await client.post("/me/devices", json=device, headers=bearer(owner))
        device_id = first.json()["device_id"]
        stolen = await client.delete(f"/me/devices/{device_id}", headers=bearer(other))
        others_list = await client.get("/me/devices", headers=bearer(other))
        removed = await client.delete(f"/me/devices/{device_id}", headers=bearer(owner))
        owners_list = await client.get("/me/devices", headers=bearer(owner))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["device_id"] == device_id
    assert stolen.status_code == 404
    assert stolen.json()["code"] == "device_not_found"
    assert others_list.json() == {"items": []}
    assert removed.status_code == 204
    assert owners_list.json() == {"items": []}
