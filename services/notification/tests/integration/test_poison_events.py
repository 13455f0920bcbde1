"""Poison events go to `<topic>.dlq`; the events behind them are still processed."""

from __future__ import annotations

from collections.abc import Callable

from contracts import topics
from fastapi import FastAPI
from mobility_platform.testing import app_client, wait_until
from notification_harness import Kafka, Log, Mailbox, booking_confirmed, unique_address


async def test_poison_events_are_dead_lettered_and_later_events_still_flow(
    make_app: Callable[..., FastAPI], kafka: Kafka, shared_mailbox: Mailbox, log: Log
) -> None:
    good_address = unique_address("after-poison")
    good = booking_confirmed(email_address=good_address)
    key = good.key().encode()  # one key: one partition, so the good event comes last
    # valid CloudEvent and payload, but PostgreSQL cannot store a NUL character: the handler
    # fails on every attempt (not a "database down" error), so it must not block the partition
    breaks_handler = booking_confirmed(email_address=unique_address("nul"), code="AB\x00CD")
    breaks_handler = breaks_handler.model_copy(update={"booking_id": good.booking_id})
    async with app_client(make_app()):
        await kafka.publish_raw(topics.BOOKING, b"\x00\xffnot a cloud event", key=key)
        bad_id = await kafka.publish(breaks_handler)
        await kafka.publish(good)
        await wait_until(lambda: shared_mailbox.messages_to(good_address), message="good mail")
        dead = await wait_until(
            lambda: _dead_letters(kafka, want=2), timeout=15, message="2 dead letters"
        )
    undecodable, failing = dead
    assert undecodable[0] == b"\x00\xffnot a cloud event"
    assert undecodable[1]["dlq_attempts"] == b"0"
    assert str(bad_id).encode() in (failing[0] or b"")
    assert failing[1]["dlq_attempts"] == b"2"
    assert b"unsupported Unicode escape sequence" in failing[1]["dlq_error"]
    assert await log.deliveries(bad_id) == {}  # the failed handler left nothing behind


async def _dead_letters(kafka: Kafka, *, want: int) -> list | None:
    messages = await kafka.read_all(kafka.topic(topics.BOOKING) + topics.DLQ_SUFFIX)
    return messages if len(messages) >= want else None
