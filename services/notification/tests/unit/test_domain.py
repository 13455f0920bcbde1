from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contracts.api.notification import NotificationKind as WireKind
from notification.domain import (
    CHANNELS_BY_KIND,
    Channel,
    DeliveryStatus,
    NotificationKind,
    PermanentFailure,
    Recipient,
    RetryPolicy,
    Sent,
    Suppressed,
    SuppressionReason,
    TransientFailure,
    after_attempt,
    plan_deliveries,
)
from notification_fakes import new_rider

ALL = frozenset(Channel)
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def reachable() -> Recipient:
    return Recipient(rider_id=new_rider(), email="ann@example.com", phone="+4915112345678")


def by_channel(kind: NotificationKind, recipient: Recipient, configured=ALL) -> dict:
    return {p.channel: p for p in plan_deliveries(kind, recipient, configured=configured)}


def test_booking_confirmed_goes_to_push_and_email() -> None:
    plan = by_channel(NotificationKind.BOOKING_CONFIRMED, reachable())
    assert set(plan) == {Channel.PUSH, Channel.EMAIL}
    assert plan[Channel.EMAIL].address == "ann@example.com"
    assert all(p.suppressed is None for p in plan.values())


def test_every_kind_has_channels_and_the_receipt_is_an_email() -> None:
    assert set(CHANNELS_BY_KIND) == set(NotificationKind)
    assert Channel.EMAIL in CHANNELS_BY_KIND[NotificationKind.TRIP_RECEIPT]
    assert Channel.SMS in CHANNELS_BY_KIND[NotificationKind.BOOKING_FAILED]


def test_domain_kinds_mirror_the_wire_kinds() -> None:
    assert [k.value for k in NotificationKind] == [k.value for k in WireKind]


def test_an_opted_out_channel_is_suppressed_with_the_reason() -> None:
    rider = Recipient(
        rider_id=new_rider(), email="a@b.c", disabled_channels=frozenset({Channel.EMAIL})
    )
    plan = by_channel(NotificationKind.BOOKING_CONFIRMED, rider)
    assert plan[Channel.EMAIL].suppressed is SuppressionReason.CHANNEL_OPTED_OUT
    assert plan[Channel.PUSH].suppressed is None


def test_a_muted_kind_is_suppressed_on_every_channel() -> None:
    rider = Recipient(
        rider_id=new_rider(),
        email="a@b.c",
        muted_kinds=frozenset({NotificationKind.PAYMENT_FAILED}),
    )
    plan = by_channel(NotificationKind.PAYMENT_FAILED, rider)
    assert {p.suppressed for p in plan.values()} == {SuppressionReason.KIND_OPTED_OUT}
    assert by_channel(NotificationKind.BOOKING_CONFIRMED, rider)[Channel.EMAIL].suppressed is None


def test_missing_contact_data_and_missing_providers_are_suppressed() -> None:
    nobody = Recipient(rider_id=new_rider())
    plan = by_channel(NotificationKind.BOOKING_FAILED, nobody, configured=ALL)
    assert plan[Channel.EMAIL].suppressed is SuppressionReason.NO_EMAIL_ADDRESS
    assert plan[Channel.SMS].suppressed is SuppressionReason.NO_PHONE_NUMBER
    assert plan[Channel.PUSH].suppressed is None  # the rider id is the push address
    no_sms = frozenset({Channel.EMAIL, Channel.PUSH})
    plan = by_channel(NotificationKind.BOOKING_FAILED, reachable(), configured=no_sms)
    assert plan[Channel.SMS].suppressed is SuppressionReason.PROVIDER_NOT_CONFIGURED


def test_opt_out_is_reported_before_missing_data() -> None:
    rider = Recipient(rider_id=new_rider(), disabled_channels=frozenset({Channel.EMAIL}))
    plan = by_channel(NotificationKind.BOOKING_CONFIRMED, rider)
    assert plan[Channel.EMAIL].suppressed is SuppressionReason.CHANNEL_OPTED_OUT


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    policy = RetryPolicy(max_attempts=5, initial_s=2, max_s=10)
    assert policy.delay(1, jitter=0.999999) == pytest.approx(
        timedelta(seconds=2), abs=timedelta(milliseconds=1)
    )
    assert policy.delay(2, jitter=0.0) == timedelta(seconds=2)
    assert policy.delay(3, jitter=0.0) == timedelta(seconds=4)
    assert policy.delay(9, jitter=0.0) == timedelta(seconds=5)  # capped at 10, halved by jitter 0
    assert not policy.exhausted(4)
    assert policy.exhausted(5)


def test_a_transient_failure_schedules_a_retry() -> None:
    policy = RetryPolicy(max_attempts=3, initial_s=1, max_s=60)
    step = after_attempt(TransientFailure("down"), attempts=1, policy=policy, now=NOW, jitter=0.0)
    assert step.status is DeliveryStatus.PENDING
    assert not step.final
    assert step.next_attempt_at == NOW + timedelta(seconds=0.5)
    assert step.last_error == "down"


def test_the_last_transient_failure_marks_the_delivery_failed() -> None:
    policy = RetryPolicy(max_attempts=3)
    step = after_attempt(TransientFailure("down"), attempts=3, policy=policy, now=NOW, jitter=0.5)
    assert (step.status, step.final, step.reason) == (
        DeliveryStatus.FAILED,
        True,
        "attempts_exhausted",
    )


def test_sent_suppressed_and_permanent_outcomes_are_final() -> None:
    policy = RetryPolicy()
    sent = after_attempt(Sent("250 ok"), attempts=1, policy=policy, now=NOW, jitter=0)
    assert (sent.status, sent.provider_id, sent.final) == (DeliveryStatus.SENT, "250 ok", True)
    gone = after_attempt(
        Suppressed(SuppressionReason.NO_PUSH_TARGET, "no live stream"),
        attempts=1,
        policy=policy,
        now=NOW,
        jitter=0,
    )
    assert gone.status is DeliveryStatus.SUPPRESSED
    assert gone.reason == "no_push_target: no live stream"
    bad = after_attempt(
        PermanentFailure("550 no such user"), attempts=1, policy=policy, now=NOW, jitter=0
    )
    assert (bad.status, bad.last_error) == (DeliveryStatus.FAILED, "550 no such user")
