"""BookingConfirmed on Kafka -> e-mail at the real SMTP sink; duplicates, opt-out, events out."""

from __future__ import annotations

import json
from collections.abc import Callable

from contracts import topics
from contracts.envelope import CloudEvent
from fastapi import FastAPI
from mobility_platform.testing import app_client, wait_until
from mobility_platform.testing.plugin import AuthKeys
from notification_harness import (
    Kafka,
    Log,
    Mailbox,
    body_html,
    body_text,
    booking_confirmed,
    unique_address,
)


async def test_booking_confirmed_on_kafka_sends_an_email_with_the_booking_details(
    make_app: Callable[..., FastAPI], kafka: Kafka, shared_mailbox: Mailbox, log: Log
) -> None:
    address = unique_address("confirmed")
    event = booking_confirmed(email_address=address, code="ZX81Q", amount_minor=1250)
    async with app_client(make_app()):
        event_id = await kafka.publish(event)
        [mail] = await wait_until(lambda: shared_mailbox.messages_to(address), message="the mail")
        rows = await wait_until(lambda: _final(log, event_id), message="both deliveries final")
    short_vehicle = str(event.vehicle_id).split("-")[0].upper()
    assert mail["Subject"] == f"Booking confirmed: E-bike {short_vehicle}"
    for body in (body_text(mail), body_html(mail)):
        assert "ZX81Q" in body
        assert f"E-bike {short_vehicle}" in body
        assert "€12.50" in body
    assert mail["Message-ID"].strip() == rows["email"]["message_id"]
    assert (rows["email"]["status"], rows["email"]["attempts"]) == ("sent", 1)
    assert rows["email"]["provider_id"]
    assert rows["push"]["status"] == "suppressed"  # nobody listening, no FCM in tests
    assert rows["push"]["reason"].startswith("no_push_target")


async def test_the_same_event_delivered_twice_sends_one_email(
    make_app: Callable[..., FastAPI], kafka: Kafka, shared_mailbox: Mailbox, log: Log
) -> None:
    address, later_address = unique_address("twice"), unique_address("after")
    event = booking_confirmed(email_address=address)
    envelope = CloudEvent.wrap(event, source="booking", time=event.confirmed_at)
    # a later event with the same key lands on the same partition, behind both copies
    later = booking_confirmed(email_address=later_address, rider_id=event.rider_id)
    later = later.model_copy(update={"booking_id": event.booking_id})
    async with app_client(make_app()):
        await kafka.publish(event, envelope=envelope)
        await kafka.publish(event, envelope=envelope)  # redelivered: the same CloudEvent id
        await kafka.publish(later)
        await wait_until(lambda: shared_mailbox.messages_to(later_address), message="later mail")
        rows = await wait_until(lambda: _final(log, envelope.id), message="deliveries final")
    assert len(shared_mailbox.messages_to(address)) == 1
    assert set(rows) == {"email", "push"}  # one row per channel, not two


async def test_opted_out_rider_gets_no_email_and_the_log_says_suppressed(
    make_app: Callable[..., FastAPI],
    kafka: Kafka,
    shared_mailbox: Mailbox,
    log: Log,
    auth_keys: AuthKeys,
) -> None:
    address = unique_address("optout")
    event = booking_confirmed(email_address=address)
    token = auth_keys.rider_token(event.rider_id, email=address)
    async with app_client(make_app()) as client:
        off = {"email": address, "channels": {"email": False, "push": True, "sms": True}}
        response = await client.put(
            "/me/notification-settings", json=off, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        event_id = await kafka.publish(event)
        rows = await wait_until(lambda: _final(log, event_id), message="deliveries final")
        history = await client.get(
            "/me/notifications", headers={"Authorization": f"Bearer {token}"}
        )
    assert (rows["email"]["status"], rows["email"]["reason"]) == ("suppressed", "channel_opted_out")
    assert rows["email"]["attempts"] == 0
    assert shared_mailbox.messages_to(address) == []
    email_entry = next(i for i in history.json()["items"] if i["channel"] == "email")
    assert (email_entry["status"], email_entry["reason"]) == ("suppressed", "channel_opted_out")


async def test_final_outcomes_are_published_as_notification_sent(
    make_app: Callable[..., FastAPI], kafka: Kafka, shared_mailbox: Mailbox, log: Log
) -> None:
    address = unique_address("events")
    event = booking_confirmed(email_address=address)
    async with app_client(make_app()):
        event_id = await kafka.publish(event)
        await wait_until(lambda: _final(log, event_id), message="deliveries final")
        published = await wait_until(
            lambda: _notification_events(kafka, event_id, want=2), timeout=15
        )
    by_channel = {e["data"]["channel"]: e["data"] for e in published}
    assert by_channel["email"]["status"] == "sent"
    assert by_channel["push"]["status"] == "suppressed"
    assert {e["type"] for e in published} == {"NotificationSent"}


async def _final(log: Log, event_id: object) -> dict[str, dict[str, object]] | None:
    rows = await log.deliveries(event_id)  # type: ignore[arg-type]
    done = rows and all(r["status"] != "pending" for r in rows.values())
    return rows if done else None


async def _notification_events(kafka: Kafka, event_id: object, *, want: int) -> list[dict] | None:
    messages = await kafka.read_all(kafka.topic(topics.NOTIFICATION))
    events = [json.loads(value or b"{}") for value, _ in messages]
    mine = [e for e in events if e["data"].get("source_event_id") == str(event_id)]
    return mine if len(mine) >= want else None
