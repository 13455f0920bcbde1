"""Idempotency-key decisions: fingerprints and what a repeated request gets."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from booking.domain import Decision, IdempotencyKey, decide, fingerprint
from booking_fakes import T0
from contracts.types import RiderId

BODY = {"vehicle_id": "7f0c", "estimated_duration_min": 10}


def key(**changes: object) -> IdempotencyKey:
    k = IdempotencyKey(
        id=uuid4(),
        rider_id=RiderId(uuid4()),
        key="k",
        method="POST",
        path="/bookings",
        operation="create_booking",
        fingerprint=fingerprint("POST", "/bookings", BODY),
        params={"body": BODY},
        resource_id=uuid4(),
        created_at=T0,
    )
    for name, value in changes.items():
        setattr(k, name, value)
    return k


def test_fingerprint_ignores_key_order_but_not_values_method_or_path() -> None:
    same = fingerprint("post", "/bookings", {"estimated_duration_min": 10, "vehicle_id": "7f0c"})
    assert same == fingerprint("POST", "/bookings", BODY)
    assert fingerprint("POST", "/bookings", {**BODY, "estimated_duration_min": 11}) != same
    assert fingerprint("POST", "/bookings/group", BODY) != same
    assert fingerprint("PUT", "/bookings", BODY) != same


def test_a_different_request_under_the_same_key_is_a_mismatch_even_when_finished() -> None:
    finished = key(response_status=201, response_body=b"{}")
    other = fingerprint("POST", "/bookings", {**BODY, "estimated_duration_min": 99})
    assert decide(finished, request_fingerprint=other, now=T0, lock_timeout_s=30) is (
        Decision.MISMATCH
    )


def test_a_finished_key_replays() -> None:
    finished = key(response_status=201, response_body=b"{}")
    decision = decide(finished, request_fingerprint=finished.fingerprint, now=T0, lock_timeout_s=30)
    assert decision is Decision.REPLAY


def test_a_freshly_locked_key_is_in_progress_and_a_stale_lock_may_be_resumed() -> None:
    running = key(locked_at=T0)
    fp = running.fingerprint
    later = T0 + timedelta(seconds=29)
    assert decide(running, request_fingerprint=fp, now=later, lock_timeout_s=30) is (
        Decision.IN_PROGRESS
    )
    much_later = T0 + timedelta(seconds=30)
    assert decide(running, request_fingerprint=fp, now=much_later, lock_timeout_s=30) is (
        Decision.PROCEED
    )


def test_an_unlocked_unfinished_key_proceeds() -> None:
    released = key(locked_at=None)
    decision = decide(released, request_fingerprint=released.fingerprint, now=T0, lock_timeout_s=30)
    assert decision is Decision.PROCEED


def test_restart_forgets_progress_and_takes_a_new_booking_id() -> None:
    k = key()
    old = k.resource_id
    k.advance(k.recovery_point.VEHICLE_RESERVED, reservation={"x": 1})
    k.restart(uuid4())
    assert k.recovery_point == "started"
    assert k.recovery_data == {}
    assert k.resource_id != old
