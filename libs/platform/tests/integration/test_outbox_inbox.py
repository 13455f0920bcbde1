"""Outbox -> real Kafka -> inbox consumer, including the failure cases of the design."""

from __future__ import annotations

import asyncio
import json
from uuid import uuid4

import asyncpg
import pytest
from mobility_platform.outbox import OutboxRelay
from mobility_platform.testing import wait_until
from mobility_platform.testing.plugin import Infra
from platform_harness import Harness, WidgetChanged, outbox_table, widget
from sqlalchemy import func, select


async def test_state_change_and_event_commit_together_and_reach_a_consumer_group(
    harness: Harness,
) -> None:
    harness.start(harness.relay().run)
    consumer = harness.consumer()
    harness.start(consumer.run)
    widget_id = uuid4()

    await harness.write(widget_id, seq=1)

    effects = await wait_until(harness.effects, message="the consumer's effect")
    assert [(w, s) for _, w, s in effects] == [(widget_id, 1)]
    assert await harness.scalar(select(func.count()).select_from(widget)) == 1
    await wait_until(harness.all_published, message="row marked published")
    [(key, value, headers)] = await harness.read_topic()
    assert key == str(widget_id).encode()
    assert headers["ce_type"] == b"WidgetChanged"
    assert json.loads(value or b"")["data"]["seq"] == 1


async def test_rolled_back_change_leaves_no_event(harness: Harness) -> None:
    async def failing_use_case() -> None:
        async with harness.uow() as uow:
            uow.outbox.add(harness_event())
            await uow.session.execute(widget.insert().values(id=uuid4(), value="x"))
            raise RuntimeError("use case failed before commit")

    with pytest.raises(RuntimeError):
        await failing_use_case()
    assert await harness.scalar(select(func.count()).select_from(outbox_table)) == 0
    assert await harness.scalar(select(func.count()).select_from(widget)) == 0


def harness_event() -> WidgetChanged:
    return WidgetChanged(widget_id=uuid4(), seq=0)


class DiesBeforeMarking(OutboxRelay):
    """A relay that crashes after Kafka acked the batch but before marking the rows."""

    async def _mark_published(self, conn: asyncpg.Connection, ids: list) -> None:  # type: ignore[type-arg]
        raise ConnectionResetError("relay process killed")


async def test_relay_dying_after_publish_republishes_and_inbox_makes_it_a_no_op(
    harness: Harness,
) -> None:
    consumer = harness.consumer()
    harness.start(consumer.run)
    widget_id = uuid4()
    await harness.write(widget_id, seq=7)

    crashing = harness.relay(DiesBeforeMarking)
    conn = await asyncpg.connect(harness.dsn)
    try:
        with pytest.raises(ConnectionResetError):
            await crashing.publish_pending(conn)
    finally:
        await crashing._close_producer()
        await conn.close()
    assert await harness.unpublished() == 1

    harness.start(harness.relay().run)  # the replacement relay publishes the row again
    await wait_until(harness.all_published, message="row marked published")

    sent = await wait_until(
        lambda: _count_when(harness.read_topic(), 2), message="both deliveries on the topic"
    )
    assert len(sent) == 2
    ids = {json.loads(value or b"")["id"] for _, value, _ in sent}
    assert len(ids) == 1, "the same CloudEvent id was delivered twice"
    await wait_until(harness.effects, message="the effect")
    await asyncio.wait_for(_consumer_caught_up(harness, expected_messages=2), 15)
    assert [(w, s) for _, w, s in await harness.effects()] == [(widget_id, 7)]


async def _count_when(coro: object, n: int) -> list | None:  # type: ignore[type-arg]
    rows = await coro  # type: ignore[misc]
    return rows if len(rows) >= n else None


async def _consumer_caught_up(harness: Harness, expected_messages: int) -> None:
    """Both deliveries were consumed (the second one as a recorded duplicate)."""
    from mobility_platform.inbox import CONSUMED

    def handled() -> float:
        consumer = f"{harness.service}-consumer"
        return sum(
            CONSUMED.labels(consumer, outcome)._value.get()
            for outcome in ("processed", "duplicate")
        )

    await wait_until(
        lambda: handled() >= expected_messages or None, message="both deliveries handled"
    )


async def test_kafka_down_writes_commit_and_every_event_arrives_once_in_order_when_back(
    harness: Harness, infra: Infra
) -> None:
    harness.start(harness.relay().run)
    consumer = harness.consumer()
    harness.start(consumer.run)
    await wait_until(lambda: consumer.ready.is_set() or None, timeout=20, message="consumer ready")
    keys = [uuid4() for _ in range(4)]

    infra.infra_sh("down", "kafka")
    try:
        for seq in range(5):
            for key in keys:
                await harness.write(key, seq)  # the booking path keeps working
        assert await harness.scalar(select(func.count()).select_from(widget)) == 20
        assert await harness.unpublished() == 20
    finally:
        infra.infra_sh("up", "kafka")

    effects = await wait_until(
        lambda: _count_when(harness.effects(), 20), timeout=60, message="all 20 effects"
    )
    assert len(effects) == 20
    assert len({event_id for event_id, _, _ in effects}) == 20, "an event took effect twice"
    for key in keys:
        assert [s for _, w, s in effects if w == key] == [0, 1, 2, 3, 4], "per-key order broken"
    assert await harness.unpublished() == 0


async def test_two_relays_for_one_service_only_one_publishes(harness: Harness) -> None:
    first, second = harness.relay(), harness.relay()
    first_task = harness.start(first.run)
    harness.start(second.run)
    await wait_until(lambda: (first.is_leader or second.is_leader) or None, message="a leader")
    for seq in range(10):
        await harness.write(uuid4(), seq)
        assert not (first.is_leader and second.is_leader)
    await wait_until(harness.all_published, message="all published")

    leader, standby = (first, second) if first.is_leader else (second, first)
    assert not standby.is_leader
    if leader is first:
        first_task.cancel()
    else:
        harness.tasks[-1].cancel()
    await wait_until(lambda: standby.is_leader or None, timeout=15, message="standby takes over")
    for seq in range(10, 15):
        await harness.write(uuid4(), seq)
    await wait_until(harness.all_published, message="published by the new leader")
    sent = await harness.read_topic()
    assert len(sent) == 15, "a row was published by both relays"


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_consumer_goes_on(
    harness: Harness,
) -> None:
    harness.start(harness.relay().run)
    consumer = harness.consumer(max_attempts=2)
    harness.start(consumer.run)
    good_before, good_after = uuid4(), uuid4()

    await harness.write(good_before, seq=1)
    await harness.produce_raw(b"\x00 definitely not a CloudEvent")
    await harness.write(uuid4(), seq=2, value="poison")
    await harness.write(good_after, seq=3)

    effects = await wait_until(lambda: _count_when(harness.effects(), 2), message="good events")
    assert sorted(s for _, _, s in effects) == [1, 3]
    dead = await wait_until(
        lambda: _count_when(harness.read_topic(harness.topic + ".dlq"), 2), message="dead letters"
    )
    reasons = sorted(headers["dlq_error"].decode().split(":")[0] for _, _, headers in dead)
    assert reasons == ["UndecodableEventError", "ValueError"]
    assert {headers["dlq_source_topic"] for _, _, headers in dead} == {harness.topic.encode()}
    assert sorted(headers["dlq_attempts"] for _, _, headers in dead) == [b"0", b"2"]


async def test_inbox_forgets_event_ids_only_after_the_retention(harness: Harness) -> None:
    from datetime import UTC, datetime, timedelta

    from platform_harness import inbox_table
    from sqlalchemy import insert

    consumer = harness.consumer()
    old, recent, other_consumer = uuid4(), uuid4(), uuid4()
    async with harness.sessions() as session, session.begin():
        await session.execute(
            insert(inbox_table),
            [
                {"consumer": consumer.consumer, "event_id": old,
                 "processed_at": datetime.now(UTC) - timedelta(days=15)},
                {"consumer": consumer.consumer, "event_id": recent,
                 "processed_at": datetime.now(UTC) - timedelta(days=13)},
                {"consumer": "someone-else", "event_id": other_consumer,
                 "processed_at": datetime.now(UTC) - timedelta(days=30)},
            ],
        )  # fmt: skip

    await consumer._purge_if_due()

    remaining = await harness.scalar_all(select(inbox_table.c.event_id))
    assert sorted(map(str, remaining)) == sorted(map(str, [recent, other_consumer]))


async def test_events_of_types_nobody_handles_are_skipped_without_decoding(
    harness: Harness,
) -> None:
    """A message typed (ce_type header) as something this consumer does not handle is not
    even parsed: garbage behind such a header is skipped, not dead-lettered."""
    from aiokafka import AIOKafkaProducer

    harness.start(harness.relay().run)
    consumer = harness.consumer()
    harness.start(consumer.run)
    producer = AIOKafkaProducer(bootstrap_servers=harness.kafka.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            harness.topic, value=b"not even json", key=b"k", headers=[("ce_type", b"SomethingElse")]
        )
    finally:
        await producer.stop()
    widget_id = uuid4()
    await harness.write(widget_id, seq=9)

    await wait_until(harness.effects, message="the handled event's effect")
    assert [(w, s) for _, w, s in await harness.effects()] == [(widget_id, 9)]
    assert await harness.read_topic(harness.topic + ".dlq") == []
