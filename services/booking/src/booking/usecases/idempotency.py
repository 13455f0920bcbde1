"""Idempotent rider requests, in the manner of Stripe and brandur/rocket-rides-atomic.

`run_idempotent` opens with an atomic phase on the key (insert it, or lock the existing one),
then runs the operation, whose own atomic phases advance the key's recovery point, and ends
with an atomic phase storing the response. A replay answers the stored bytes; a different
body under the same key is refused; a duplicate arriving while the first runs waits briefly
and then gets 409. A crash leaves the key locked: once the lock is stale the completer
replays the stored request from its recovery point. The reaper deletes old keys.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import uuid4

from contracts.types import RiderContact, RiderId

from booking.domain import (
    BookingError,
    Decision,
    IdempotencyKey,
    IdempotencyKeyReusedError,
    RequestInProgressError,
    decide,
    fingerprint,
)
from booking.usecases.context import Services, StoredResponse

logger = logging.getLogger(__name__)

Operation = Callable[[IdempotencyKey], Awaitable[StoredResponse]]
POLL_S = 0.05


@dataclass(frozen=True)
class IdempotentRequest:
    rider_id: RiderId
    key: str
    method: str
    path: str
    operation: str
    body: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)
    rider_contact: RiderContact = field(default_factory=RiderContact)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.method, self.path, self.body)


async def run_idempotent(
    svc: Services, request: IdempotentRequest, operation: Operation
) -> StoredResponse:
    """Run `operation` at most once per (rider, key); answer the stored response after."""
    key = await _begin(svc, request)
    if key.finished:
        assert key.response_status is not None
        assert key.response_body is not None
        return StoredResponse(key.response_status, key.response_body)
    return await execute(svc, key, operation)


def _new_key(svc: Services, request: IdempotentRequest) -> IdempotencyKey:
    now = svc.clock.now()
    key = IdempotencyKey(
        id=uuid4(),
        rider_id=request.rider_id,
        key=request.key,
        method=request.method,
        path=request.path,
        operation=request.operation,
        fingerprint=request.fingerprint,
        params={"body": request.body, **request.params},
        resource_id=uuid4(),
        created_at=now,
        rider_contact=request.rider_contact,
    )
    key.lock(now)
    return key


async def _begin(svc: Services, request: IdempotentRequest) -> IdempotencyKey:
    """Atomic phase 1: own the key (new, or unfinished and unlocked) or find it finished."""
    deadline = time.monotonic() + svc.idempotency.wait_s
    while True:
        async with svc.uow() as uow:
            candidate = _new_key(svc, request)
            if await uow.keys.insert_if_absent(candidate):
                await uow.commit()
                return candidate
            existing = await uow.keys.get_for_update(request.rider_id, request.key)
            decision = None if existing is None else _decide(svc, existing, request)
            if existing is not None and decision is Decision.PROCEED:
                existing.lock(svc.clock.now())
                await uow.keys.save(existing)
                await uow.commit()
                return existing
            if existing is not None and decision is Decision.REPLAY:
                return existing
        if time.monotonic() >= deadline:
            raise RequestInProgressError(retry_after_s=1)
        await asyncio.sleep(POLL_S)


def _decide(svc: Services, existing: IdempotencyKey, request: IdempotentRequest) -> Decision:
    decision = decide(
        existing,
        request_fingerprint=request.fingerprint,
        now=svc.clock.now(),
        lock_timeout_s=svc.idempotency.lock_timeout_s,
    )
    if decision is Decision.MISMATCH:
        raise IdempotencyKeyReusedError(
            "This Idempotency-Key was used with a different request; use a new key."
        )
    return decision


async def execute(svc: Services, key: IdempotencyKey, operation: Operation) -> StoredResponse:
    """Run (or resume) an owned key's operation and store its final response."""
    try:
        response = await operation(key)
    except BookingError as exc:
        if not exc.stored:
            await _release(svc, key)
            raise
        response = svc.render_error(exc, key.path)
    except Exception:
        await _release(svc, key)
        raise
    # A BaseException (cancellation, shutdown) is treated like a crash: the key stays locked
    # and the completer resumes it from its recovery point once the lock is stale.
    if not response.final:
        await _release(svc, key)
        return response
    async with svc.uow() as uow:
        key.finish(response.status, response.body, svc.clock.now())
        await uow.keys.save(key)
        await uow.commit()
    return response


async def _release(svc: Services, key: IdempotencyKey) -> None:
    """Unlock without a stored response: the same key may be retried (Stripe does not keep
    answers to requests that did not run or hit a transient failure)."""
    key.unlock()
    try:
        async with svc.uow() as uow:
            await uow.keys.save(key)
            await uow.commit()
    except Exception as exc:  # noqa: BLE001 - the lock goes stale; the completer resumes it
        logger.warning("could not unlock idempotency key %s: %r", key.id, exc)


async def complete_stale(svc: Services, replay: Operation) -> int:
    """The completer: resume requests whose process died mid-way (stale lock)."""
    now = svc.clock.now()
    stale_before = now - timedelta(seconds=svc.idempotency.lock_timeout_s)
    async with svc.uow() as uow:
        keys = await uow.keys.claim_stale(locked_before=stale_before, now=now, limit=100)
        await uow.commit()
    for key in keys:
        try:
            await execute(svc, key, replay)
        except Exception as exc:  # noqa: BLE001 - left unlocked for the rider to retry
            logger.warning("completer could not finish request %s: %r", key.id, exc)
    return len(keys)


async def reap_keys(svc: Services) -> int:
    """The reaper: forget keys older than the retention period."""
    cutoff = svc.clock.now() - timedelta(hours=svc.idempotency.retention_h)
    async with svc.uow() as uow:
        deleted = await uow.keys.delete_created_before(cutoff)
        await uow.commit()
    return deleted
