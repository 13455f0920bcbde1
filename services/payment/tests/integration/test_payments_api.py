"""The internal payments API against real PostgreSQL, Kafka and stripe-mock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from contracts import topics
from mobility_platform.kafka import ensure_topics, topic_name
from mobility_platform.settings import KafkaSettings, OutboxSettings
from mobility_platform.testing import app_client, read_topic, wait_until
from mobility_platform.testing.plugin import AuthKeys, Databases
from payment.app import create_app
from payment.settings import Settings
from payment_support import Peek, payment_body
from pydantic import PostgresDsn

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def eur(minor: int) -> dict[str, Any]:
    return {"amount_minor": minor, "currency": "EUR"}


async def create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/internal/payments", json=payment_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def authorize(client: httpx.AsyncClient) -> dict[str, Any]:
    payment = await create(client)
    response = await client.post(
        f"/internal/payments/{payment['payment_id']}/confirm",
        json={"payment_method_id": "pm_card_visa"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_create_confirm_partial_capture_refund_against_stripe_mock(
    client: httpx.AsyncClient, peek: Peek
) -> None:
    created = await create(client)
    assert created["status"] == "requires_payment_method"
    assert created["provider_ref"].startswith("pi_")
    assert created["client_secret"]
    pid = created["payment_id"]

    confirmed = (
        await client.post(
            f"/internal/payments/{pid}/confirm", json={"payment_method_id": "pm_card_visa"}
        )
    ).json()
    assert (confirmed["status"], confirmed["failure_code"]) == ("authorized", None)

    captured = await client.post(f"/internal/payments/{pid}/capture", json={"amount": eur(700)})
    assert captured.status_code == 200, captured.text
    assert (captured.json()["status"], captured.json()["captured_amount"]) == ("captured", eur(700))

    refunded = (await client.post(f"/internal/payments/{pid}/refund", json={})).json()
    assert (refunded["status"], refunded["refunded_amount"]) == ("refunded", eur(700))

    assert await peek.event_types(pid) == [
        "PaymentAuthorized",
        "PaymentCaptured",
        "PaymentRefunded",
    ]
    rows = await peek.rows("SELECT payload FROM outbox_message WHERE key = :k ORDER BY seq", k=pid)
    captured_event = rows[1]["payload"]["data"]
    assert (captured_event["amount"], captured_event["authorized_amount"]) == (eur(700), eur(1200))


async def test_same_create_twice_gives_one_payment_and_the_same_intent(
    client: httpx.AsyncClient, peek: Peek
) -> None:
    body = payment_body()
    first = await client.post("/internal/payments", json=body)
    second = await client.post("/internal/payments", json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    count = await peek.scalar(
        "SELECT count(*) FROM payment WHERE booking_id = :b", b=body["booking_id"]
    )
    assert count == 1


async def test_concurrent_duplicate_creates_make_one_payment(
    client: httpx.AsyncClient, peek: Peek
) -> None:
    body = payment_body()
    responses = await asyncio.gather(
        *(client.post("/internal/payments", json=body) for _ in range(8))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({(r.json()["payment_id"], r.json()["provider_ref"]) for r in responses}) == 1
    count = await peek.scalar(
        "SELECT count(*) FROM payment WHERE booking_id = :b", b=body["booking_id"]
    )
    assert count == 1


async def test_rider_token_on_internal_routes_is_403(
    client: httpx.AsyncClient, auth_keys: AuthKeys
) -> None:
    rider = {"Authorization": f"Bearer {auth_keys.rider_token()}"}
    response = await client.post("/internal/payments", json=payment_body(), headers=rider)
    assert_problem(response, 403, "forbidden")
    anonymous = await client.get(
        "/internal/payments",
        params={"booking_id": payment_body()["booking_id"]},
        headers={"Authorization": ""},
    )
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"rider_id": "not-a-uuid"}, "validation_error"),
        ({"amount": {"amount_minor": -1, "currency": "EUR"}}, "validation_error"),
        ({"amount": {"amount_minor": 100, "currency": "XXX"}}, "validation_error"),
        ({"amount": {"amount_minor": 10.5, "currency": "EUR"}}, "validation_error"),
        ({"unexpected": True}, "validation_error"),
        ({"amount": {"amount_minor": 0, "currency": "EUR"}}, "invalid_amount"),
    ],
)
async def test_bad_input_is_422_problem_and_nothing_written(
    client: httpx.AsyncClient, peek: Peek, body: dict[str, Any], code: str
) -> None:
    before = await peek.counts()
    response = await client.post("/internal/payments", json=payment_body(**body))
    assert_problem(response, 422, code)
    assert await peek.counts() == before


async def test_missing_fields_are_422_and_nothing_written(
    client: httpx.AsyncClient, peek: Peek
) -> None:
    before = await peek.counts()
    assert_problem(await client.post("/internal/payments", json={}), 422, "validation_error")
    response = await client.post("/internal/payments/not-a-uuid/confirm", json={})
    assert_problem(response, 422, "validation_error")
    assert await peek.counts() == before


async def test_capture_above_authorized_is_422_and_changes_nothing(
    client: httpx.AsyncClient, peek: Peek
) -> None:
    payment = await authorize(client)
    pid = payment["payment_id"]
    response = await client.post(f"/internal/payments/{pid}/capture", json={"amount": eur(1201)})
    assert_problem(response, 422, "amount_exceeds_authorization")
    assert (await client.get(f"/internal/payments/{pid}")).json()["status"] == "authorized"
    assert await peek.event_types(pid) == ["PaymentAuthorized"]


async def test_void_after_capture_is_409(client: httpx.AsyncClient) -> None:
    pid = (await authorize(client))["payment_id"]
    await client.post(f"/internal/payments/{pid}/capture", json={"amount": eur(300)})
    response = await client.post(f"/internal/payments/{pid}/void", json={})
    assert_problem(response, 409, "invalid_payment_state")


async def test_void_is_idempotent_and_confirm_after_void_is_409(client: httpx.AsyncClient) -> None:
    pid = (await authorize(client))["payment_id"]
    first = await client.post(f"/internal/payments/{pid}/void", json={"reason": "hold_expired"})
    second = await client.post(f"/internal/payments/{pid}/void", json={"reason": "hold_expired"})
    assert first.json() == second.json()
    assert first.json()["status"] == "voided"
    confirm = await client.post(
        f"/internal/payments/{pid}/confirm", json={"payment_method_id": "pm_card_visa"}
    )
    assert_problem(confirm, 409, "invalid_payment_state")


async def test_get_by_id_and_by_booking_and_404(client: httpx.AsyncClient) -> None:
    payment = await create(client)
    by_id = await client.get(f"/internal/payments/{payment['payment_id']}")
    by_booking = await client.get(
        "/internal/payments", params={"booking_id": payment["booking_id"]}
    )
    assert by_id.json() == by_booking.json() == payment
    missing = await client.get(
        "/internal/payments", params={"booking_id": payment_body()["booking_id"]}
    )
    assert_problem(missing, 404, "payment_not_found")


async def test_events_are_written_in_the_same_transaction_as_the_state_change(
    client: httpx.AsyncClient, peek: Peek
) -> None:
    pid = (await authorize(client))["payment_id"]
    payment_tx = await peek.scalar("SELECT xmin::text FROM payment WHERE id = :id", id=pid)
    event_tx = await peek.scalar(
        "SELECT xmin::text FROM outbox_message WHERE key = :k AND type = 'PaymentAuthorized'",
        k=pid,
    )
    assert payment_tx == event_tx  # same PostgreSQL transaction id
    version = await peek.scalar("SELECT version FROM payment WHERE id = :id", id=pid)
    assert version == 3  # inserted, intent attached, authorized


@pytest.fixture
async def relaying_client(
    settings: Settings, databases: Databases, auth_keys: AuthKeys, kafka_settings: KafkaSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its outbox relay running, over a database of its own."""
    await ensure_topics(kafka_settings, [topics.PAYMENT])
    url = await databases.migrated("payment_relay", ALEMBIC_INI)
    relaying = settings.model_copy(
        update={
            "database_url": PostgresDsn(url),
            "outbox": OutboxSettings(enabled=True, poll_interval_s=0.1),
        }
    )
    async with app_client(create_app(relaying)) as http:
        http.headers["Authorization"] = f"Bearer {auth_keys.service_token('booking')}"
        yield http


async def test_payment_events_reach_kafka_once(
    relaying_client: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    client = relaying_client
    pid = (await authorize(client))["payment_id"]
    await client.post(f"/internal/payments/{pid}/capture", json={"amount": eur(500)})
    topic = topic_name(kafka_settings, topics.PAYMENT)
    seen: list[str] = []

    async def captured_seen() -> bool:
        records = await read_topic(kafka_settings.bootstrap_servers, topic)
        payloads = [json.loads(r.value) for r in records if r.value]
        seen[:] = [p["type"] for p in payloads if p["subject"] == pid]
        return "PaymentCaptured" in seen

    await wait_until(captured_seen, timeout=20, message="PaymentCaptured on Kafka")
    assert seen == ["PaymentAuthorized", "PaymentCaptured"]
