"""Use cases against fakes: the decline / timeout / 3-D Secure paths stripe-mock cannot show."""

from __future__ import annotations

import pytest
from contracts.events.payment import PaymentCaptured, PaymentFailed, PaymentVoided
from contracts.types import PaymentStatus as S
from mobility_platform.errors import DependencyUnavailableError, PeerTimeoutError
from payment import domain, usecases
from payment.domain import Intent, IntentState
from payment_fakes import FakeProvider, FakeUnitOfWork, eur, new_ids


async def created(uow: FakeUnitOfWork, psp: FakeProvider, amount: int = 1000) -> domain.Payment:
    booking_id, rider_id = new_ids()
    return await usecases.create_payment(
        uow, psp, booking_id=booking_id, rider_id=rider_id, amount=eur(amount)
    )


async def authorized(uow: FakeUnitOfWork, psp: FakeProvider) -> domain.Payment:
    p = await created(uow, psp)
    return await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_ok")


# --- create -------------------------------------------------------------------------------------


async def test_create_makes_a_customer_and_a_manual_capture_intent_keyed_by_booking(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await created(uow, psp)
    assert p.status is S.REQUIRES_PAYMENT_METHOD
    assert (p.provider_ref, p.client_secret, p.customer_ref) == ("pi_2", "pi_2", "cus_1")
    assert psp.keys("create_intent") == [f"pay-{p.booking_id}-create"]
    assert psp.keys("create_customer") == [f"pay-rider-{p.rider_id}-customer"]
    assert uow.payment(p.id).version == 2


async def test_create_twice_returns_the_same_payment_without_a_second_provider_call(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    first = await created(uow, psp)
    again = await usecases.create_payment(
        uow, psp, booking_id=first.booking_id, rider_id=first.rider_id, amount=eur(1000)
    )
    assert (again.id, again.provider_ref) == (first.id, first.provider_ref)
    assert len(psp.keys("create_intent")) == 1


async def test_create_for_the_same_booking_with_another_amount_is_a_mismatch(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    first = await created(uow, psp)
    with pytest.raises(domain.PaymentRequestMismatchError):
        await usecases.create_payment(
            uow, psp, booking_id=first.booking_id, rider_id=first.rider_id, amount=eur(999)
        )


async def test_rider_customer_is_created_once_across_bookings(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    first = await created(uow, psp)
    booking_id, _ = new_ids()
    second = await usecases.create_payment(
        uow, psp, booking_id=booking_id, rider_id=first.rider_id, amount=eur(300)
    )
    assert second.customer_ref == first.customer_ref
    assert len(psp.keys("create_customer")) == 1


async def test_create_timing_out_leaves_nothing_and_the_retry_reuses_the_key(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    booking_id, rider_id = new_ids()
    psp.script("create_intent", PeerTimeoutError("stripe"))
    with pytest.raises(PeerTimeoutError):
        await usecases.create_payment(
            uow, psp, booking_id=booking_id, rider_id=rider_id, amount=eur(1000)
        )
    assert uow.committed.payments == {}
    p = await usecases.create_payment(
        uow, psp, booking_id=booking_id, rider_id=rider_id, amount=eur(1000)
    )
    assert psp.keys("create_intent") == [f"pay-{booking_id}-create"] * 2
    assert p.provider_ref is not None


# --- confirm ------------------------------------------------------------------------------------


async def test_confirm_authorizes_and_emits_payment_authorized(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await authorized(uow, psp)
    assert p.status is S.AUTHORIZED
    assert uow.event_types() == ["PaymentAuthorized"]
    assert psp.keys("confirm_intent") == [f"pay-{p.id}-confirm-1"]


async def test_decline_marks_failed_and_emits_payment_failed(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await created(uow, psp)
    psp.script(
        "confirm_intent",
        Intent(
            ref=p.intent_ref,
            state=IntentState.REQUIRES_PAYMENT_METHOD,
            failure_code="card_declined",
            failure_message="Your card was declined.",
        ),
    )
    failed = await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_x")
    assert (failed.status, failed.failure_code) == (S.FAILED, "card_declined")
    assert uow.event_types() == ["PaymentFailed"]
    event = uow.events[0]
    assert isinstance(event, PaymentFailed)
    assert (event.code, event.amount, event.booking_id) == (
        "card_declined",
        eur(1000),
        p.booking_id,
    )


async def test_declined_payment_can_be_retried_with_another_method(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await created(uow, psp)
    decline = Intent(ref=p.intent_ref, state=IntentState.REQUIRES_PAYMENT_METHOD)
    psp.script("confirm_intent", decline)
    await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_bad")
    again = await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_bad")
    assert again.status is S.FAILED  # same request, same answer, no new attempt
    ok = await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_good")
    assert ok.status is S.AUTHORIZED
    assert psp.keys("confirm_intent") == [f"pay-{p.id}-confirm-1", f"pay-{p.id}-confirm-2"]
    assert uow.event_types() == ["PaymentFailed", "PaymentAuthorized"]


async def test_confirm_timeout_then_success_uses_the_same_idempotency_key(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await created(uow, psp)
    psp.script("confirm_intent", PeerTimeoutError("stripe"))
    with pytest.raises(PeerTimeoutError):
        await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_ok")
    untouched = uow.payment(p.id)
    assert (untouched.status, untouched.confirm_attempts, uow.events) == (
        S.REQUIRES_PAYMENT_METHOD,
        0,
        [],
    )
    ok = await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_ok")
    assert ok.status is S.AUTHORIZED
    assert psp.keys("confirm_intent") == [f"pay-{p.id}-confirm-1"] * 2
    assert uow.event_types() == ["PaymentAuthorized"]


async def test_provider_down_changes_nothing(uow: FakeUnitOfWork, psp: FakeProvider) -> None:
    p = await created(uow, psp)
    psp.script("confirm_intent", DependencyUnavailableError("stripe"))
    with pytest.raises(DependencyUnavailableError):
        await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_ok")
    assert uow.payment(p.id).version == p.version
    assert uow.events == []


async def test_three_d_secure_required_waits_for_the_customer_then_the_webhook_authorizes(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await created(uow, psp)
    psp.script(
        "confirm_intent",
        Intent(ref=p.intent_ref, state=IntentState.REQUIRES_ACTION, next_action="use_stripe_sdk"),
    )
    pending = await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_3ds")
    assert (pending.status, pending.next_action) == (S.REQUIRES_PAYMENT_METHOD, "use_stripe_sdk")
    assert uow.events == []
    repeat = await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_3ds")
    assert repeat.next_action == "use_stripe_sdk"
    assert len(psp.keys("confirm_intent")) == 1
    event = domain.ProviderEvent(
        "evt_1",
        "payment_intent.amount_capturable_updated",
        Intent(p.intent_ref, IntentState.AUTHORIZED),
    )
    assert await usecases.apply_provider_event(uow, event=event) is usecases.WebhookOutcome.APPLIED
    assert (uow.payment(p.id).status, uow.payment(p.id).next_action) == (S.AUTHORIZED, None)
    assert uow.event_types() == ["PaymentAuthorized"]


async def test_three_d_secure_failure_by_webhook_marks_failed(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await created(uow, psp)
    psp.script("confirm_intent", Intent(ref=p.intent_ref, state=IntentState.REQUIRES_ACTION))
    await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_3ds")
    failure = Intent(
        p.intent_ref,
        IntentState.REQUIRES_PAYMENT_METHOD,
        failure_code="payment_intent_authentication_failure",
        payment_method_id="pm_3ds",
    )
    event = domain.ProviderEvent("evt_2", "payment_intent.payment_failed", failure)
    await usecases.apply_provider_event(uow, event=event)
    assert uow.payment(p.id).failure_code == "payment_intent_authentication_failure"
    assert uow.event_types() == ["PaymentFailed"]


async def test_double_confirm_is_idempotent(uow: FakeUnitOfWork, psp: FakeProvider) -> None:
    p = await authorized(uow, psp)
    again = await usecases.confirm_payment(uow, psp, payment_id=p.id, payment_method_id="pm_ok")
    assert again.status is S.AUTHORIZED
    assert len(psp.keys("confirm_intent")) == 1
    assert uow.event_types() == ["PaymentAuthorized"]


async def test_confirm_unknown_payment_is_not_found(uow: FakeUnitOfWork, psp: FakeProvider) -> None:
    from payment.domain import payment_id_for

    booking_id, _ = new_ids()
    with pytest.raises(domain.PaymentNotFoundError):
        await usecases.confirm_payment(
            uow, psp, payment_id=payment_id_for(booking_id), payment_method_id="pm"
        )


# --- capture / void / refund --------------------------------------------------------------------


async def test_partial_capture_emits_captured_with_the_authorized_amount(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await authorized(uow, psp)
    done = await usecases.capture_payment(uow, psp, payment_id=p.id, amount=eur(640))
    assert (done.status, done.captured_amount) == (S.CAPTURED, eur(640))
    event = uow.events[-1]
    assert isinstance(event, PaymentCaptured)
    assert (event.amount, event.authorized_amount) == (eur(640), eur(1000))
    assert psp.keys("capture_intent") == [f"pay-{p.id}-capture"]
    again = await usecases.capture_payment(uow, psp, payment_id=p.id, amount=eur(640))
    assert again.captured_amount == eur(640)
    assert len(psp.keys("capture_intent")) == 1


async def test_capture_above_authorized_is_rejected_before_the_provider(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await authorized(uow, psp)
    with pytest.raises(domain.AmountExceedsAuthorizationError):
        await usecases.capture_payment(uow, psp, payment_id=p.id, amount=eur(1001))
    assert psp.keys("capture_intent") == []
    assert uow.payment(p.id).status is S.AUTHORIZED


async def test_capture_of_an_expired_authorization_voids_it_and_is_invalid_state(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await authorized(uow, psp)
    psp.script("capture_intent", Intent(p.intent_ref, IntentState.CANCELED, reason="automatic"))
    with pytest.raises(domain.InvalidPaymentStateError):
        await usecases.capture_payment(uow, psp, payment_id=p.id, amount=eur(500))
    assert uow.payment(p.id).status is S.VOIDED
    voided = uow.events[-1]
    assert isinstance(voided, PaymentVoided)
    assert voided.reason == "automatic"


async def test_void_after_capture_is_invalid_state(uow: FakeUnitOfWork, psp: FakeProvider) -> None:
    p = await authorized(uow, psp)
    await usecases.capture_payment(uow, psp, payment_id=p.id, amount=eur(500))
    with pytest.raises(domain.InvalidPaymentStateError):
        await usecases.void_payment(uow, psp, payment_id=p.id, reason="requested")
    assert psp.keys("cancel_intent") == []


async def test_void_releases_the_authorization_once(uow: FakeUnitOfWork, psp: FakeProvider) -> None:
    p = await authorized(uow, psp)
    first = await usecases.void_payment(uow, psp, payment_id=p.id, reason="hold_expired")
    second = await usecases.void_payment(uow, psp, payment_id=p.id, reason="hold_expired")
    assert first.status is second.status is S.VOIDED
    assert psp.keys("cancel_intent") == [f"pay-{p.id}-cancel"]
    assert uow.event_types() == ["PaymentAuthorized", "PaymentVoided"]


async def test_void_of_a_never_authorized_payment_marks_it_voided(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await created(uow, psp)
    done = await usecases.void_payment(uow, psp, payment_id=p.id, reason="hold_expired")
    assert done.status is S.VOIDED
    assert uow.event_types() == ["PaymentVoided"]


async def test_refund_before_capture_is_invalid_state(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await authorized(uow, psp)
    with pytest.raises(domain.InvalidPaymentStateError):
        await usecases.refund_payment(uow, psp, payment_id=p.id, amount=None, reason="x")


async def test_refund_after_capture_refunds_once(uow: FakeUnitOfWork, psp: FakeProvider) -> None:
    p = await authorized(uow, psp)
    await usecases.capture_payment(uow, psp, payment_id=p.id, amount=eur(800))
    done = await usecases.refund_payment(uow, psp, payment_id=p.id, amount=None, reason="r")
    again = await usecases.refund_payment(uow, psp, payment_id=p.id, amount=None, reason="r")
    assert (done.refunded_amount, again.status) == (eur(800), S.REFUNDED)
    assert psp.keys("refund") == [f"pay-{p.id}-refund"]
    assert uow.event_types()[-1] == "PaymentRefunded"
    assert uow.event_types().count("PaymentRefunded") == 1


# --- webhooks -----------------------------------------------------------------------------------


async def test_replayed_webhook_has_no_second_effect(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await created(uow, psp)
    event = domain.ProviderEvent(
        "evt_9",
        "payment_intent.amount_capturable_updated",
        Intent(p.intent_ref, IntentState.AUTHORIZED),
    )
    assert await usecases.apply_provider_event(uow, event=event) is usecases.WebhookOutcome.APPLIED
    version = uow.payment(p.id).version
    assert (
        await usecases.apply_provider_event(uow, event=event) is usecases.WebhookOutcome.DUPLICATE
    )
    assert uow.payment(p.id).version == version
    assert uow.event_types() == ["PaymentAuthorized"]


async def test_out_of_order_webhook_never_moves_backwards(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    p = await authorized(uow, psp)
    await usecases.capture_payment(uow, psp, payment_id=p.id, amount=eur(500))
    late = domain.ProviderEvent(
        "evt_late",
        "payment_intent.amount_capturable_updated",
        Intent(p.intent_ref, IntentState.AUTHORIZED),
    )
    assert await usecases.apply_provider_event(uow, event=late) is usecases.WebhookOutcome.IGNORED
    assert uow.payment(p.id).status is S.CAPTURED
    assert "evt_late" in uow.committed.webhook_ids


async def test_webhook_for_an_unknown_intent_is_recorded_and_ignored(
    uow: FakeUnitOfWork, psp: FakeProvider
) -> None:
    event = domain.ProviderEvent(
        "evt_x", "payment_intent.succeeded", Intent("pi_other", IntentState.CAPTURED)
    )
    assert await usecases.apply_provider_event(uow, event=event) is usecases.WebhookOutcome.IGNORED
    assert uow.events == []
