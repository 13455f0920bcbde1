"""The delivery worker: sends logged deliveries outside any transaction, with retries.

Each round leases due rows in one short transaction (`FOR UPDATE SKIP LOCKED`, then
`next_attempt_at` pushed out by the lease, so other replicas skip them), sends them with no
database transaction open, and records each outcome in its own short transaction right after
its send (plus `NotificationSent` through the outbox when the outcome is final).

Crash window (at-least-once): if the process dies after the provider accepted a message and
before its row is marked, the lease runs out and the message is sent again. E-mails keep the
same Message-ID on every attempt, so mail clients and most servers fold the copies into one.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from datetime import timedelta

from notification import usecases
from notification.channels import Sender
from notification.domain import (
    Channel,
    OutgoingMessage,
    RetryPolicy,
    SendOutcome,
    Suppressed,
    SuppressionReason,
    TransientFailure,
)
from notification.settings import DeliverySettings
from notification.uow import AbstractUnitOfWork

logger = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(
        self,
        *,
        uow_factory: Callable[[], AbstractUnitOfWork],
        senders: Mapping[Channel, Sender],
        settings: DeliverySettings,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._uow = uow_factory
        self._senders = dict(senders)
        self._s = settings
        self._jitter = jitter
        self.policy = RetryPolicy(
            max_attempts=settings.max_attempts,
            initial_s=settings.backoff_initial_s,
            max_s=settings.backoff_max_s,
        )

    @property
    def senders(self) -> Mapping[Channel, Sender]:
        return self._senders

    async def run(self) -> None:
        """Deliver until cancelled; poll when idle, back off while the database is away."""
        failures = 0
        while True:
            try:
                handled = await self.run_once()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - logged; the rows stay leased, then retried
                failures += 1
                logger.warning("delivery round failed (%s in a row): %r", failures, exc)
                handled = 0
            if handled < self._s.batch_size:
                await asyncio.sleep(min(self._s.poll_interval_s * 2**failures, 10.0))

    async def run_once(self) -> int:
        """One round: lease due deliveries, send them concurrently. Returns how many."""
        claimed = await usecases.claim_due_deliveries(
            self._uow(), limit=self._s.batch_size, lease=timedelta(seconds=self._s.lease_s)
        )
        limit = asyncio.Semaphore(self._s.concurrency)
        await asyncio.gather(*(self._deliver(message, limit) for message in claimed))
        return len(claimed)

    async def _deliver(self, message: OutgoingMessage, limit: asyncio.Semaphore) -> None:
        async with limit:
            outcome = await self._send(message)
        transition = await usecases.record_attempt(
            self._uow(), message=message, outcome=outcome, policy=self.policy, jitter=self._jitter()
        )
        logger.info(
            "delivery %s (%s %s) attempt %s: %s",
            message.delivery_id,
            message.kind.value,
            message.channel.value,
            message.attempts,
            transition.status.value,
            extra={"delivery_id": str(message.delivery_id), "error": transition.last_error},
        )

    async def _send(self, message: OutgoingMessage) -> SendOutcome:
        sender = self._senders.get(message.channel)
        if sender is None:
            return Suppressed(SuppressionReason.PROVIDER_NOT_CONFIGURED, message.channel.value)
        try:
            return await sender.send(message)
        except Exception as exc:
            logger.exception("sender %s raised on %s", message.channel.value, message.delivery_id)
            return TransientFailure(f"{type(exc).__name__}: {exc}")
