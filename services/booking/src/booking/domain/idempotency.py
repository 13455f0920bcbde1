"""Idempotency keys (after Stripe and brandur/rocket-rides-atomic): what a key remembers and
what to do when a request arrives with one. Pure."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from contracts.types import RiderContact, RiderId


class RecoveryPoint(StrEnum):
    """How far a request got. Each step after `started` is durable: a resumed request
    continues from here instead of redoing what the peers already did."""

    STARTED = "started"
    VEHICLE_RESERVED = "vehicle_reserved"
    QUOTE_LOCKED = "quote_locked"
    PAYMENT_CREATED = "payment_created"
    BOOKING_CREATED = "booking_created"
    FINISHED = "finished"


class Decision(StrEnum):
    PROCEED = "proceed"
    """New key, or an unfinished one nobody is working on: run (or resume) it."""
    REPLAY = "replay"
    """Finished: answer the stored response."""
    MISMATCH = "mismatch"
    """Same key, different request: 422."""
    IN_PROGRESS = "in_progress"
    """Another request holds the key right now: wait, then 409."""


@dataclass
class IdempotencyKey:
    id: UUID
    rider_id: RiderId
    key: str
    method: str
    path: str
    operation: str
    fingerprint: str
    params: dict[str, Any]
    """What the completer needs to replay the request: body and path parameters."""
    resource_id: UUID
    """The booking this request creates or acts on (a create's id is allocated up front)."""
    created_at: datetime
    rider_contact: RiderContact = field(default_factory=RiderContact)
    recovery_point: RecoveryPoint = RecoveryPoint.STARTED
    recovery_data: dict[str, Any] = field(default_factory=dict)
    locked_at: datetime | None = None
    last_run_at: datetime | None = None
    response_status: int | None = None
    response_body: bytes | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.response_status is not None

    def lock(self, now: datetime) -> None:
        self.locked_at = now
        self.last_run_at = now

    def advance(self, point: RecoveryPoint, **data: Any) -> None:
        self.recovery_point = point
        self.recovery_data = {**self.recovery_data, **data}

    def restart(self, resource_id: UUID) -> None:
        """Back to the start after a compensated failure, with a fresh booking id so late
        compensations for the old id can never touch the new attempt."""
        self.recovery_point = RecoveryPoint.STARTED
        self.recovery_data = {}
        self.resource_id = resource_id

    def unlock(self) -> None:
        self.locked_at = None

    def finish(self, status: int, body: bytes, now: datetime) -> None:
        self.response_status = status
        self.response_body = body
        self.recovery_point = RecoveryPoint.FINISHED
        self.locked_at = None
        self.finished_at = now


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(method: str, path: str, body: Any) -> str:
    """Hash of the request as understood (method, path, parsed body in canonical JSON), so
    whitespace or key order do not make a "different" request, but any value does."""
    return hashlib.sha256(
        canonical({"method": method.upper(), "path": path, "body": body})
    ).hexdigest()


def decide(
    existing: IdempotencyKey, *, request_fingerprint: str, now: datetime, lock_timeout_s: float
) -> Decision:
    if existing.fingerprint != request_fingerprint:
        return Decision.MISMATCH
    if existing.finished:
        return Decision.REPLAY
    if existing.locked_at is not None and now - existing.locked_at < timedelta(
        seconds=lock_timeout_s
    ):
        return Decision.IN_PROGRESS
    return Decision.PROCEED
