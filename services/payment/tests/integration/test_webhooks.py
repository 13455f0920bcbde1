"""POST /webhooks/stripe: signature on the raw body, at-most-once effects, never backwards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from payment_support import (
    Peek,
    payment_body,
    post_webhook,
    stripe_event,
    stripe_signature,
)


async def created_payment(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/internal/payments", json=payment_body())
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def capturable(payment: dict[str, Any], event_id: str | None = None) -> str:
    intent = {
        "id": payment["provider_ref"],
        "object": "payment_intent",
        "status": "requires_capture",
        "amount": 1200,
        "amount_capturable": 1200,
        "metadata": {"payment_id": payment["payment_id"]},
    }
    return stripe_event("payment_intent.amount_capturable_updated", intent, event_id)


async def state(peek: Peek, payment_id: str) -> tuple[str, int, list[str]]:
    row = await peek.rows("SELECT status, version FROM payment WHERE id = :id", id=payment_id)
    return row[0]["status"], row[0]["version"], await peek.event_types(payment_id)


@pytest.mark.parametrize("case", ["missing", "wrong_secret", "tampered", "stale", "garbage"])
async def test_bad_signature_is_400_and_nothing_changes(
    client: httpx.AsyncClient, peek: Peek, case: str
) -> None:
    payment = await created_payment(client)
    payload = capturable(payment)
    signature: str | None = {
        "missing": None,
        "wrong_secret": stripe_signature(payload, secret="whsec_someone_else"),
        "tampered": stripe_signature(payload.replace("1200", "1")),
        "stale": stripe_signature(payload, t=1_000_000_000),
        "garbage": "v1=abc",
    }[case]
    before = (await state(peek, payment["payment_id"]), await peek.counts())
    response = await post_webhook(client, payload, signature)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_signature"
    assert (await state(peek, payment["payment_id"]), await peek.counts()) == before


async def test_valid_webhook_applies_once_and_a_replay_has_no_second_effect(
    client: httpx.AsyncClient, peek: Peek
) -> None:
    payment = await created_payment(client)
    payload = capturable(payment)
    first = await post_webhook(client, payload, stripe_signature(payload))
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "applied"
    after_first = await state(peek, payment["payment_id"])
    assert (after_first[0], after_first[2]) == ("authorized", ["PaymentAuthorized"])

    replay = await post_webhook(client, payload, stripe_signature(payload))
    assert replay.status_code == 200
    assert replay.json() == {"event_id": first.json()["event_id"], "outcome": "duplicate"}
    assert await state(peek, payment["payment_id"]) == after_first


async def test_out_of_order_webhook_does_not_move_the_payment_backwards(
    client: httpx.AsyncClient, peek: Peek
) -> None:
    payment = await created_payment(client)
    pid = payment["payment_id"]
    await client.post(
        f"/internal/payments/{pid}/confirm", json={"payment_method_id": "pm_card_visa"}
    )
    capture = {"amount": {"amount_minor": 900, "currency": "EUR"}}
    await client.post(f"/internal/payments/{pid}/capture", json=capture)
    before = await state(peek, pid)

    late_authorization = capturable(payment)
    late_failure = stripe_event(
        "payment_intent.payment_failed",
        {
            "id": payment["provider_ref"],
            "object": "payment_intent",
            "status": "requires_payment_method",
            "last_payment_error": {"code": "card_declined", "message": "declined"},
        },
    )
    for payload in (late_authorization, late_failure):
        response = await post_webhook(client, payload, stripe_signature(payload))
        assert response.json()["outcome"] == "ignored"
    assert await state(peek, pid) == before
    assert before[0] == "captured"


async def test_charge_refunded_webhook_refunds_a_captured_payment(
    client: httpx.AsyncClient, peek: Peek
) -> None:
    payment = await created_payment(client)
    pid = payment["payment_id"]
    await client.post(
        f"/internal/payments/{pid}/confirm", json={"payment_method_id": "pm_card_visa"}
    )
    capture = {"amount": {"amount_minor": 1000, "currency": "EUR"}}
    await client.post(f"/internal/payments/{pid}/capture", json=capture)
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": payment["provider_ref"],
        "amount_refunded": 1000,
        "refunded": True,
    }
    payload = stripe_event("charge.refunded", charge)
    response = await post_webhook(client, payload, stripe_signature(payload))
    assert response.json()["outcome"] == "applied"
    read = (await client.get(f"/internal/payments/{pid}")).json()
    assert (read["status"], read["refunded_amount"]["amount_minor"]) == ("refunded", 1000)
    assert (await state(peek, pid))[2][-1] == "PaymentRefunded"


async def test_events_we_do_not_use_are_acknowledged(client: httpx.AsyncClient) -> None:
    payload = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    response = await post_webhook(client, payload, stripe_signature(payload))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
