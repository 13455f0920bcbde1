"""Two delivery workers on one database (two replicas) share the work and send nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from fastapi import FastAPI
from mobility_platform.testing import app_client, wait_until
from notification.app import NotificationRuntime
from notification.delivery import DeliveryWorker
from notification_harness import Kafka, Log, Mailbox, booking_confirmed, unique_address
from sqlalchemy import text


async def test_two_workers_share_deliveries_without_sending_any_twice(
    make_app: Callable[..., FastAPI], kafka: Kafka, shared_mailbox: Mailbox, log: Log
) -> None:
    addresses = [unique_address(f"replica{i}") for i in range(20)]
    app = make_app()
    async with app_client(app):
        state: NotificationRuntime = app.state.notification
        second = DeliveryWorker(
            uow_factory=state.new_uow,
            senders=state.worker.senders,
            settings=app.state.settings.delivery,
        )
        other_replica = asyncio.create_task(second.run())
        try:
            events = [booking_confirmed(email_address=a) for a in addresses]
            await asyncio.gather(*(kafka.publish(event) for event in events))
            await wait_until(
                lambda: all(shared_mailbox.messages_to(a) for a in addresses),
                timeout=20,
                message="20 mails",
            )
        finally:
            other_replica.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await other_replica
    assert [len(shared_mailbox.messages_to(a)) for a in addresses] == [1] * 20
    async with log.engine.connect() as conn:
        attempts = await conn.scalars(text("SELECT attempts FROM delivery WHERE channel = 'email'"))
        assert list(attempts) == [1] * 20
