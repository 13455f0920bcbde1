"""SMTP down -> the delivery is retried with backoff; SMTP back -> delivered exactly once.

Uses a PRIVATE aiosmtpd server on a free port (never the shared sink), stopped and started here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox as MaildirHandler
from fastapi import FastAPI
from mobility_platform.testing import app_client, wait_until
from notification_harness import (
    Kafka,
    Log,
    Mailbox,
    booking_confirmed,
    free_port,
    unique_address,
)


class PrivateSmtp:
    def __init__(self, maildir: Path) -> None:
        self.port = free_port()
        self.maildir = maildir
        self._controller: Controller | None = None

    async def start(self) -> None:
        self._controller = Controller(
            MaildirHandler(self.maildir), hostname="127.0.0.1", port=self.port
        )
        await asyncio.to_thread(self._controller.start)

    async def stop(self) -> None:
        if self._controller is not None:
            await asyncio.to_thread(self._controller.stop)
            self._controller = None


@pytest.fixture
async def private_smtp(tmp_path: Path) -> AsyncIterator[PrivateSmtp]:
    server = PrivateSmtp(tmp_path / "maildir")
    yield server
    await server.stop()


async def test_smtp_down_is_retried_and_the_mail_arrives_once_when_it_is_back(
    make_app: Callable[..., FastAPI], kafka: Kafka, log: Log, private_smtp: PrivateSmtp
) -> None:
    address = unique_address("outage")
    async with app_client(make_app(smtp_port=private_smtp.port)):  # nothing listens there yet
        event_id = await kafka.publish(booking_confirmed(email_address=address))
        retried = await wait_until(
            lambda: _email_row(log, event_id, lambda r: r["attempts"] >= 3), message="3 attempts"
        )
        assert retried["status"] == "pending"
        assert "Connect" in retried["last_error"] or "refused" in retried["last_error"]
        await private_smtp.start()
        mailbox = Mailbox(private_smtp.maildir)
        await wait_until(lambda: mailbox.messages_to(address), message="the mail after recovery")
        sent = await wait_until(
            lambda: _email_row(log, event_id, lambda r: r["status"] == "sent"), message="sent"
        )
    assert len(mailbox.messages_to(address)) == 1
    assert sent["attempts"] > retried["attempts"]
    assert sent["sent_at"] is not None


async def _email_row(log: Log, event_id: object, ok: Callable[[dict], bool]) -> dict | None:
    row = (await log.deliveries(event_id)).get("email")  # type: ignore[arg-type]
    return row if row is not None and ok(row) else None
