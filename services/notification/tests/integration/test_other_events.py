"""Receipts, payment failures and rejected unlocks, end to end through Kafka."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from contracts.events.booking import FareBreakdown, TripEnded
from contracts.events.iot import VehicleCommandRejected
from contracts.events.payment import PaymentFailed
from contracts.types import CommandAction, CommandId, Money, PaymentId, RiderContact
from fastapi import FastAPI
from mobility_platform.testing import app_client, wait_until
from notification_harness import (
    Kafka,
    Log,
    Mailbox,
    body_text,
    booking_confirmed,
    unique_address,
)
from sqlalchemy import text


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


async def test_trip_ended_sends_a_receipt_with_the_fare_breakdown_in_the_riders_language(
    make_app: Callable[..., FastAPI], kafka: Kafka, shared_mailbox: Mailbox
) -> None:
    address = unique_address("receipt")
    ended = datetime.now(UTC)
    fare = FareBreakdown(
        unlock_fee=eur(100),
        time_charge=eur(575),
        distance_charge=eur(25),
        minutes=23,
        distance_m=4200,
        total=eur(700),
    )
    event = TripEnded(
        booking_id=uuid4(),  # type: ignore[arg-type]
        rider_id=uuid4(),  # type: ignore[arg-type]
        vehicle_id=uuid4(),  # type: ignore[arg-type]
        started_at=ended - timedelta(minutes=23),
        ended_at=ended,
        fare=fare,
        captured_amount=eur(700),
        rider_contact=RiderContact(email=address, locale="de-DE"),
    )
    async with app_client(make_app()):
        await kafka.publish(event)
        [mail] = await wait_until(lambda: shared_mailbox.messages_to(address), message="receipt")
    assert mail["Subject"] == "Deine Quittung: 7,00\xa0€"
    text_body = body_text(mail)
    for line in ("Entsperrgebühr: 1,00", "Zeit:           5,75", "Strecke:        0,25"):
        assert line in text_body
    assert "Gesamt:         7,00" in text_body
    assert "23 Min." in text_body


async def test_payment_failed_reaches_a_rider_known_from_an_earlier_booking_event(
    make_app: Callable[..., FastAPI], kafka: Kafka, shared_mailbox: Mailbox
) -> None:
    address = unique_address("payfail")
    confirmed = booking_confirmed(email_address=address)
    failed = PaymentFailed(
        payment_id=PaymentId(uuid4()),
        booking_id=confirmed.booking_id,
        rider_id=confirmed.rider_id,
        amount=eur(1250),
        code="card_declined",
        message="Your card was declined.",
        failed_at=datetime.now(UTC),
    )
    async with app_client(make_app()):
        await kafka.publish(confirmed)
        await wait_until(lambda: shared_mailbox.messages_to(address), message="confirmation")
        await kafka.publish(failed)  # carries no contact: the stored one is used
        mails = await wait_until(
            lambda: [
                m for m in shared_mailbox.messages_to(address) if m["Subject"] == "Payment failed"
            ]
        )
    assert "card_declined" in body_text(mails[0])


async def test_a_rejected_unlock_is_pushed_to_the_rider_of_the_booking(
    make_app: Callable[..., FastAPI], kafka: Kafka, log: Log
) -> None:
    confirmed = booking_confirmed(email_address=None)
    rejected = VehicleCommandRejected(
        vehicle_id=confirmed.vehicle_id,
        command_id=CommandId(uuid4()),
        action=CommandAction.UNLOCK,
        booking_id=confirmed.booking_id,
        reason="expired",
        rejected_at=datetime.now(UTC),
    )
    async with app_client(make_app()):
        first = await kafka.publish(confirmed)
        await wait_until(lambda: log.deliveries(first), message="booking known")
        rejected_id = await kafka.publish(rejected)
        rows = await wait_until(lambda: log.deliveries(rejected_id), message="unlock notice")
    assert set(rows) == {"push"}
    assert (rows["push"]["kind"], rows["push"]["rider_id"]) == (
        "unlock_rejected",
        confirmed.rider_id,
    )
    async with log.engine.connect() as conn:
        total = await conn.scalar(text("SELECT count(*) FROM delivery"))
    assert total == 3  # confirmation (push + e-mail) and the unlock notice
