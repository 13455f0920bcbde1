"""The payment state machine: every allowed and every forbidden transition, and the methods."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from contracts.types import PaymentStatus as S
from payment import domain
from payment.domain import Intent, IntentState
from payment_fakes import eur, new_ids

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

# Written out independently of domain.ALLOWED_TRANSITIONS: this is the specification.
ALLOWED = {
    (S.REQUIRES_PAYMENT_METHOD, S.AUTHORIZED),
    (S.REQUIRES_PAYMENT_METHOD, S.FAILED),
    (S.REQUIRES_PAYMENT_METHOD, S.VOIDED),
    (S.FAILED, S.REQUIRES_PAYMENT_METHOD),  # retry needing 3-D Secure
    (S.FAILED, S.AUTHORIZED),  # retry with another card
    (S.FAILED, S.FAILED),  # declined again
    (S.FAILED, S.VOIDED),
    (S.AUTHORIZED, S.CAPTURED),
    (S.AUTHORIZED, S.VOIDED),
    (S.CAPTURED, S.REFUNDED),
}
ALL_PAIRS = list(itertools.product(S, S))


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transition_passes(current: S, target: S) -> None:
    domain.check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [p for p in ALL_PAIRS if p not in ALLOWED])
def test_forbidden_transition_is_invalid_payment_state(current: S, target: S) -> None:
    with pytest.raises(domain.InvalidPaymentStateError):
        domain.check_transition(current, target)


def payment_in(status: S, *, captured: int | None = None) -> domain.Payment:
    booking_id, rider_id = new_ids()
    p = domain.Payment.new(
        booking_id=booking_id, rider_id=rider_id, amount=eur(1000), description="", now=NOW
    )
    p.status = status
    p.provider_ref = "pi_1"
    p.captured_amount = eur(captured) if captured is not None else None
    if status is S.CAPTURED and captured is None:
        p.captured_amount = eur(1000)
    if status is S.REFUNDED:
        p.captured_amount = p.refunded_amount = eur(1000)
    return p


def test_new_payment_requires_payment_method_and_derives_its_id_from_the_booking() -> None:
    booking_id, rider_id = new_ids()
    p = domain.Payment.new(
        booking_id=booking_id, rider_id=rider_id, amount=eur(500), description="", now=NOW
    )
    assert p.status is S.REQUIRES_PAYMENT_METHOD
    assert p.id == domain.payment_id_for(booking_id)


@pytest.mark.parametrize("minor", [0])
def test_new_payment_with_zero_amount_is_invalid(minor: int) -> None:
    booking_id, rider_id = new_ids()
    with pytest.raises(domain.InvalidAmountError):
        domain.Payment.new(
            booking_id=booking_id, rider_id=rider_id, amount=eur(minor), description="", now=NOW
        )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.REQUIRES_PAYMENT_METHOD, True),
        (S.FAILED, True),
        (S.AUTHORIZED, False),
    ],
)
def test_confirmation_needed_by_status(status: S, expected: bool) -> None:
    assert payment_in(status).confirmation_needed("pm_new") is expected


@pytest.mark.parametrize("status", [S.CAPTURED, S.VOIDED, S.REFUNDED])
def test_confirming_a_settled_payment_is_invalid(status: S) -> None:
    with pytest.raises(domain.InvalidPaymentStateError):
        payment_in(status).confirmation_needed("pm_new")


def test_confirming_a_failed_payment_with_the_same_method_repeats_the_failure() -> None:
    p = payment_in(S.FAILED)
    p.payment_method_id = "pm_declined"
    assert p.confirmation_needed("pm_declined") is False
    assert p.confirmation_needed("pm_other") is True


@pytest.mark.parametrize(
    ("state", "status", "change"),
    [
        (IntentState.AUTHORIZED, S.AUTHORIZED, domain.Authorized),
        (IntentState.REQUIRES_PAYMENT_METHOD, S.FAILED, domain.Failed),
        (IntentState.CANCELED, S.VOIDED, domain.Voided),
    ],
)
def test_apply_confirmation_maps_the_provider_answer(
    state: IntentState, status: S, change: type
) -> None:
    p = payment_in(S.REQUIRES_PAYMENT_METHOD)
    p.apply_confirmation(Intent(ref="pi_1", state=state, failure_code="card_declined"), NOW)
    assert p.status is status
    assert [type(c) for c in p.pull_changes()] == [change]


def test_apply_confirmation_requiring_action_keeps_waiting_without_an_event() -> None:
    p = payment_in(S.FAILED)
    p.apply_confirmation(
        Intent(ref="pi_1", state=IntentState.REQUIRES_ACTION, next_action="use_stripe_sdk"), NOW
    )
    assert (p.status, p.next_action, p.failure_code) == (
        S.REQUIRES_PAYMENT_METHOD,
        "use_stripe_sdk",
        None,
    )
    assert p.pull_changes() == []


@pytest.mark.parametrize(
    "status", [S.REQUIRES_PAYMENT_METHOD, S.FAILED, S.VOIDED, S.REFUNDED, S.CAPTURED]
)
def test_capturing_anything_but_an_authorization_is_invalid(status: S) -> None:
    with pytest.raises(domain.InvalidPaymentStateError):
        payment_in(status, captured=400).capture_needed(eur(500))


def test_capture_above_the_authorization_is_rejected() -> None:
    with pytest.raises(domain.AmountExceedsAuthorizationError):
        payment_in(S.AUTHORIZED).capture_needed(eur(1001))


def test_capture_in_another_currency_or_of_zero_is_invalid() -> None:
    from contracts.types import Money

    p = payment_in(S.AUTHORIZED)
    with pytest.raises(domain.InvalidAmountError):
        p.capture_needed(Money(amount_minor=100, currency="USD"))
    with pytest.raises(domain.InvalidAmountError):
        p.capture_needed(eur(0))


def test_capturing_the_same_amount_again_is_a_no_op() -> None:
    assert payment_in(S.CAPTURED, captured=600).capture_needed(eur(600)) is False


@pytest.mark.parametrize(
    ("status", "needed"),
    [(S.REQUIRES_PAYMENT_METHOD, True), (S.FAILED, True), (S.AUTHORIZED, True), (S.VOIDED, False)],
)
def test_void_needed_by_status(status: S, needed: bool) -> None:
    assert payment_in(status).void_needed() is needed


@pytest.mark.parametrize("status", [S.CAPTURED, S.REFUNDED])
def test_voiding_a_captured_payment_is_invalid(status: S) -> None:
    with pytest.raises(domain.InvalidPaymentStateError):
        payment_in(status).void_needed()


@pytest.mark.parametrize("status", [S.REQUIRES_PAYMENT_METHOD, S.FAILED, S.AUTHORIZED, S.VOIDED])
def test_refunding_an_uncaptured_payment_is_invalid(status: S) -> None:
    with pytest.raises(domain.InvalidPaymentStateError):
        payment_in(status).refund_amount(None)


def test_refund_defaults_to_the_captured_amount_and_is_bounded_by_it() -> None:
    p = payment_in(S.CAPTURED, captured=700)
    assert p.refund_amount(None) == eur(700)
    with pytest.raises(domain.AmountExceedsCaptureError):
        p.refund_amount(eur(701))


def test_refunding_again_is_a_no_op() -> None:
    assert payment_in(S.REFUNDED).refund_amount(None) is None


# --- follow(): provider news moves forward only -----------------------------------------------


@pytest.mark.parametrize(
    ("status", "state", "result", "changes"),
    [
        (S.REQUIRES_PAYMENT_METHOD, IntentState.AUTHORIZED, S.AUTHORIZED, [domain.Authorized]),
        (S.FAILED, IntentState.AUTHORIZED, S.AUTHORIZED, [domain.Authorized]),
        (S.AUTHORIZED, IntentState.CAPTURED, S.CAPTURED, [domain.Captured]),
        (
            S.REQUIRES_PAYMENT_METHOD,
            IntentState.CAPTURED,
            S.CAPTURED,
            [domain.Authorized, domain.Captured],
        ),
        (S.AUTHORIZED, IntentState.CANCELED, S.VOIDED, [domain.Voided]),
        (S.CAPTURED, IntentState.REFUNDED, S.REFUNDED, [domain.Refunded]),
    ],
)
def test_follow_applies_forward_news(
    status: S, state: IntentState, result: S, changes: list[type]
) -> None:
    p = payment_in(status)
    assert p.follow(Intent(ref="pi_1", state=state), NOW) is True
    assert p.status is result
    assert [type(c) for c in p.pull_changes()] == changes


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (S.AUTHORIZED, IntentState.AUTHORIZED),  # repeated
        (S.AUTHORIZED, IntentState.REQUIRES_PAYMENT_METHOD),  # late failure of an old attempt
        (S.CAPTURED, IntentState.AUTHORIZED),  # late authorisation
        (S.CAPTURED, IntentState.CANCELED),
        (S.REFUNDED, IntentState.CAPTURED),
        (S.VOIDED, IntentState.AUTHORIZED),
        (S.REQUIRES_PAYMENT_METHOD, IntentState.REQUIRES_ACTION),
        (S.AUTHORIZED, IntentState.REFUNDED),
        (S.FAILED, IntentState.REQUIRES_PAYMENT_METHOD),  # already failed
    ],
)
def test_follow_ignores_stale_or_repeated_news(status: S, state: IntentState) -> None:
    p = payment_in(status)
    before = (p.status, p.version)
    intent = Intent(ref="pi_1", state=state, failure_code="card_declined")
    assert p.follow(intent, NOW) is False
    assert (p.status, p.version) == before
    assert p.pull_changes() == []


def test_follow_ignores_a_failure_of_another_payment_method() -> None:
    p = payment_in(S.REQUIRES_PAYMENT_METHOD)
    p.payment_method_id = "pm_current"
    stale = Intent(
        ref="pi_1",
        state=IntentState.REQUIRES_PAYMENT_METHOD,
        failure_code="card_declined",
        payment_method_id="pm_old",
    )
    assert p.follow(stale, NOW) is False
    current = Intent(
        ref="pi_1",
        state=IntentState.REQUIRES_PAYMENT_METHOD,
        failure_code="payment_intent_authentication_failure",
        payment_method_id="pm_current",
    )
    assert p.follow(current, NOW) is True
    assert p.status is S.FAILED
