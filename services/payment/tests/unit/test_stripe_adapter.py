"""The Stripe adapter with the real SDK over a scripted HTTP client (no sockets).

What stripe-mock cannot do (declines, 3-D Secure, timeouts, state conflicts) is scripted here at
the SDK's own HTTP-client boundary, so the SDK's error parsing is exercised for real.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import deque
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import stripe
from mobility_platform.errors import PeerTimeoutError
from payment import domain
from payment.domain import IntentState
from payment.psp import StripePaymentProvider
from payment.settings import StripeSettings
from payment_fakes import eur

SECRET = "whsec_unit"


class ScriptedHTTPClient(stripe.HTTPClient):
    """Answers queued (status, body) pairs or raises queued exceptions; records requests."""

    name = "scripted"

    def __init__(self, *answers: tuple[int, dict[str, Any]] | Exception) -> None:
        super().__init__()
        self.answers: deque[tuple[int, dict[str, Any]] | Exception] = deque(answers)
        self.requests: list[tuple[str, str, dict[str, str], dict[str, list[str]]]] = []

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        self.requests.append((method, url, dict(headers), parse_qs(post_data or "")))
        answer = self.answers.popleft()
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return json.dumps(body).encode(), status, {"request-id": "req_1"}

    async def close_async(self) -> None:
        return None


def timeout_error() -> stripe.APIConnectionError:
    try:
        raise httpx.ReadTimeout("slow")
    except httpx.ReadTimeout as cause:
        error = stripe.APIConnectionError("timeout", should_retry=True)
        error.__cause__ = cause
        return error


def settings(**overrides: Any) -> StripeSettings:
    values: dict[str, Any] = {
        "api_key": "sk_test_unit",
        "webhook_secret": SECRET,
        "api_base": "http://stripe.invalid",
        "retries": 2,
        "backoff_initial_s": 0.001,
        "backoff_max_s": 0.002,
    }
    return StripeSettings(**(values | overrides))


def intent(status: str, **fields: Any) -> dict[str, Any]:
    return {"id": "pi_1", "object": "payment_intent", "status": status, "amount": 1000, **fields}


def card_error(code: str, decline_code: str | None = None) -> tuple[int, dict[str, Any]]:
    error = {"type": "card_error", "code": code, "message": "Your card was declined."}
    if decline_code:
        error["decline_code"] = decline_code
    return 402, {"error": error}


async def test_timeout_then_success_retries_with_the_same_idempotency_key() -> None:
    http = ScriptedHTTPClient(timeout_error(), (200, intent("requires_capture")))
    psp = StripePaymentProvider(settings(), http_client=http)
    result = await psp.confirm_intent("pi_1", payment_method_id="pm_1", idempotency_key="k-1")
    assert result.state is IntentState.AUTHORIZED
    keys = [headers["Idempotency-Key"] for _, _, headers, _ in http.requests]
    assert keys == ["k-1", "k-1"]


async def test_persistent_timeouts_give_up_after_the_bounded_retries() -> None:
    http = ScriptedHTTPClient(timeout_error(), timeout_error(), timeout_error())
    psp = StripePaymentProvider(settings(retries=2), http_client=http)
    with pytest.raises(PeerTimeoutError):
        await psp.capture_intent("pi_1", amount=eur(500), idempotency_key="k-2")
    assert len(http.requests) == 3


async def test_card_decline_is_an_outcome_with_the_stripe_code() -> None:
    http = ScriptedHTTPClient(card_error("card_declined", "insufficient_funds"))
    psp = StripePaymentProvider(settings(), http_client=http)
    result = await psp.confirm_intent("pi_1", payment_method_id="pm_x", idempotency_key="k")
    assert result.state is IntentState.REQUIRES_PAYMENT_METHOD
    assert (result.failure_code, result.payment_method_id) == ("card_declined", "pm_x")
    assert len(http.requests) == 1  # a decline is never retried


async def test_requires_action_is_reported_with_the_next_action() -> None:
    body = intent("requires_action", next_action={"type": "use_stripe_sdk"}, client_secret="cs")
    psp = StripePaymentProvider(settings(), http_client=ScriptedHTTPClient((200, body)))
    result = await psp.confirm_intent("pi_1", payment_method_id="pm_3ds", idempotency_key="k")
    assert (result.state, result.next_action) == (IntentState.REQUIRES_ACTION, "use_stripe_sdk")


async def test_stateless_mock_reads_a_2xx_confirm_as_authorized_but_real_stripe_does_not() -> None:
    canned = intent("requires_payment_method", last_payment_error={"type": "idempotency_error"})
    mock = StripePaymentProvider(
        settings(stateless_mock=True), http_client=ScriptedHTTPClient((200, canned))
    )
    real = StripePaymentProvider(settings(), http_client=ScriptedHTTPClient((200, canned)))
    assert (
        await mock.confirm_intent("pi_1", payment_method_id="pm", idempotency_key="k")
    ).state is (IntentState.AUTHORIZED)
    as_real = await real.confirm_intent("pi_1", payment_method_id="pm", idempotency_key="k")
    assert as_real.state is IntentState.REQUIRES_PAYMENT_METHOD


async def test_capture_of_a_canceled_intent_reports_the_current_state() -> None:
    conflict = {
        "error": {
            "type": "invalid_request_error",
            "code": "payment_intent_unexpected_state",
            "message": "This PaymentIntent could not be captured: it has a status of canceled.",
        }
    }
    http = ScriptedHTTPClient(
        (400, conflict), (200, intent("canceled", cancellation_reason="automatic"))
    )
    psp = StripePaymentProvider(settings(), http_client=http)
    result = await psp.capture_intent("pi_1", amount=eur(500), idempotency_key="k")
    assert (result.state, result.reason) == (IntentState.CANCELED, "automatic")
    assert [method for method, *_ in http.requests] == ["post", "get"]


async def test_other_invalid_requests_are_provider_errors() -> None:
    bad = {"error": {"type": "invalid_request_error", "message": "No such payment_intent"}}
    psp = StripePaymentProvider(settings(), http_client=ScriptedHTTPClient((404, bad)))
    with pytest.raises(domain.PaymentProviderError):
        await psp.cancel_intent("pi_404", reason="abandoned", idempotency_key="k")


async def test_create_intent_sends_manual_capture_for_cards_with_our_ids() -> None:
    http = ScriptedHTTPClient((200, intent("requires_payment_method", client_secret="cs_1")))
    psp = StripePaymentProvider(settings(), http_client=http)
    import uuid

    ids = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    result = await psp.create_intent(
        amount=eur(1234),
        customer_ref="cus_1",
        booking_id=ids[0],  # type: ignore[arg-type]
        payment_id=ids[1],  # type: ignore[arg-type]
        rider_id=ids[2],  # type: ignore[arg-type]
        description="ride",
        idempotency_key="pay-b-create",
    )
    _, url, headers, form = http.requests[0]
    assert url.endswith("/v1/payment_intents")
    assert headers["Idempotency-Key"] == "pay-b-create"
    assert form["capture_method"] == ["manual"]
    assert (form["amount"], form["currency"], form["customer"]) == (["1234"], ["eur"], ["cus_1"])
    assert form["metadata[booking_id]"] == [str(ids[0])]
    assert result.client_secret == "cs_1"


# --- webhooks -----------------------------------------------------------------------------------


def signed(payload: str, secret: str = SECRET, at: int | None = None) -> str:
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(event_type: str, obj: dict[str, Any]) -> str:
    body = {
        "id": "evt_1",
        "object": "event",
        "type": event_type,
        "created": 1,
        "data": {"object": obj},
    }
    return json.dumps(body)


def provider() -> StripePaymentProvider:
    return StripePaymentProvider(settings(), http_client=ScriptedHTTPClient())


def test_valid_webhook_is_read_as_provider_news() -> None:
    payload = event(
        "payment_intent.amount_capturable_updated",
        intent("requires_capture", amount_capturable=1000),
    )
    parsed = provider().parse_event(payload.encode(), signed(payload))
    assert parsed.event_id == "evt_1"
    assert parsed.intent is not None
    assert (parsed.intent.ref, parsed.intent.state, parsed.intent.amount_minor) == (
        "pi_1",
        IntentState.AUTHORIZED,
        1000,
    )


def test_charge_refunded_points_at_its_payment_intent() -> None:
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_7", "amount_refunded": 300}
    payload = event("charge.refunded", charge)
    parsed = provider().parse_event(payload.encode(), signed(payload))
    assert parsed.intent is not None
    assert (parsed.intent.ref, parsed.intent.state, parsed.intent.amount_minor) == (
        "pi_7",
        IntentState.REFUNDED,
        300,
    )


def test_payment_failed_webhook_carries_the_failure() -> None:
    obj = intent(
        "requires_payment_method",
        last_payment_error={
            "code": "card_declined",
            "message": "no",
            "payment_method": {"id": "pm_1"},
        },
    )
    payload = event("payment_intent.payment_failed", obj)
    parsed = provider().parse_event(payload.encode(), signed(payload))
    assert parsed.intent is not None
    assert (parsed.intent.failure_code, parsed.intent.payment_method_id) == (
        "card_declined",
        "pm_1",
    )


@pytest.mark.parametrize(
    "header",
    [None, "", "t=1,v1=deadbeef", signed("{}", secret="whsec_other")],
)
def test_bad_or_missing_signature_is_invalid_signature(header: str | None) -> None:
    payload = event("payment_intent.succeeded", intent("succeeded"))
    with pytest.raises(domain.InvalidSignatureError):
        provider().parse_event(payload.encode(), header)


def test_stale_signature_is_rejected() -> None:
    payload = event("payment_intent.succeeded", intent("succeeded"))
    with pytest.raises(domain.InvalidSignatureError):
        provider().parse_event(payload.encode(), signed(payload, at=int(time.time()) - 3600))


def test_signed_garbage_is_an_invalid_payload() -> None:
    with pytest.raises(domain.InvalidWebhookPayloadError):
        provider().parse_event(b"not json", signed("not json"))


def test_other_event_types_carry_no_intent() -> None:
    payload = event("customer.created", {"id": "cus_1", "object": "customer"})
    assert provider().parse_event(payload.encode(), signed(payload)).intent is None
