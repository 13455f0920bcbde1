"""Pure rules: confirmation codes, advance bookings, backoff, rate-limit decisions, receipts."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from booking.domain import InvalidStartTimeError
from booking.domain.rules import (
    CODE_ALPHABET,
    backoff_delay_s,
    confirmation_code,
    is_scheduled_start,
    promotion_time,
    rate_decision,
    rate_window,
)
from booking_fakes import T0
from contracts.types import BookingId


def test_confirmation_code_is_short_readable_and_stable_per_booking() -> None:
    booking_id = BookingId(uuid4())
    code = confirmation_code(booking_id)
    assert len(code) == 6
    assert set(code) <= set(CODE_ALPHABET)
    assert not set(code) & set("01IO")
    assert confirmation_code(booking_id) == code
    codes = {confirmation_code(BookingId(uuid4())) for _ in range(200)}
    assert len(codes) > 190


def test_no_start_time_or_a_near_one_is_an_immediate_booking() -> None:
    rules = {"min_advance_s": 60, "max_advance_days": 30}
    assert not is_scheduled_start(None, now=T0, **rules)
    assert not is_scheduled_start(T0 - timedelta(hours=1), now=T0, **rules)
    assert not is_scheduled_start(T0 + timedelta(seconds=60), now=T0, **rules)
    assert is_scheduled_start(T0 + timedelta(seconds=61), now=T0, **rules)


def test_start_time_beyond_the_advance_window_is_refused() -> None:
    with pytest.raises(InvalidStartTimeError):
        is_scheduled_start(T0 + timedelta(days=31), now=T0, min_advance_s=0, max_advance_days=30)


def test_promotion_happens_the_lead_time_before_the_start() -> None:
    assert promotion_time(T0, lead_s=120) == T0 - timedelta(minutes=2)


def test_backoff_doubles_from_the_initial_delay_and_is_capped() -> None:
    delays = [backoff_delay_s(n, initial_s=2, max_s=30) for n in range(1, 7)]
    assert delays == [2, 4, 8, 16, 30, 30]
    assert backoff_delay_s(500, initial_s=2, max_s=30) == 30


def test_rate_decision_allows_up_to_the_limit_then_says_when_to_retry() -> None:
    assert rate_decision(count=10, limit=10, window_remaining_s=12.2).allowed
    denied = rate_decision(count=11, limit=10, window_remaining_s=12.2)
    assert not denied.allowed
    assert denied.retry_after_s == 13
    assert rate_decision(count=11, limit=10, window_remaining_s=0.01).retry_after_s == 1


def test_rate_window_numbers_fixed_windows_and_counts_down() -> None:
    number, remaining = rate_window(T0 + timedelta(seconds=15), 60)
    assert (number, remaining) == (int(T0.timestamp()) // 60, 45)
    assert rate_window(T0 + timedelta(seconds=60), 60)[0] == number + 1
