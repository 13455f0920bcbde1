"""The Stripe adapter against the real stripe-mock: right URLs, right params, right keys.

stripe-mock validates every request against Stripe's OpenAPI spec (unknown or mistyped
parameters answer 400), so a 2xx here means the request shape is one Stripe accepts. The
recording client is the SDK's own httpx client with a notebook; nothing is faked.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe
from contracts.types import BookingId, Money, PaymentId, RiderId
from payment.domain import IntentState, ProviderKeys
from payment.psp import StripePaymentProvider
from payment.settings import StripeSettings


class RecordingHTTPXClient(stripe.HTTPXClient):
    def __init__(self) -> None:
        super().__init__(timeout=5)
        self.sent: list[dict[str, Any]] = []

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> Any:
        answer = await super().request_async(method, url, headers, post_data)
        self.sent.append(
            {
                "method": method,
                "path": url.split("://", 1)[1].split("/", 1)[1],
                "key": headers.get("Idempotency-Key"),
                "form": {k: v[0] for k, v in parse_qs(post_data or "").items()},
                "status": answer[1],
            }
        )
        return answer


@pytest.fixture
async def recorded(
    stripe_settings: StripeSettings,
) -> AsyncIterator[tuple[StripePaymentProvider, RecordingHTTPXClient]]:
    http = RecordingHTTPXClient()
    psp = StripePaymentProvider(stripe_settings, http_client=http)
    yield psp, http
    await psp.aclose()


async def test_authorise_capture_refund_void_request_shapes(
    recorded: tuple[StripePaymentProvider, RecordingHTTPXClient],
) -> None:
    psp, http = recorded
    booking_id, rider_id = BookingId(uuid.uuid4()), RiderId(uuid.uuid4())
    payment_id = PaymentId(uuid.uuid4())
    eur = Money(amount_minor=1500, currency="EUR")

    customer = await psp.create_customer(
        rider_id=rider_id, email="r@example.com", idempotency_key=ProviderKeys.customer(rider_id)
    )
    intent = await psp.create_intent(
        amount=eur,
        customer_ref=customer,
        booking_id=booking_id,
        payment_id=payment_id,
        rider_id=rider_id,
        description="MobilityCorp ride",
        idempotency_key=ProviderKeys.create(booking_id),
    )
    confirmed = await psp.confirm_intent(
        intent.ref, payment_method_id="pm_card_visa", idempotency_key="pay-x-confirm-1"
    )
    part = Money(amount_minor=900, currency="EUR")
    captured = await psp.capture_intent(intent.ref, amount=part, idempotency_key="pay-x-capture")
    refund = await psp.refund(
        intent.ref, amount=part, reason="requested_by_customer", idempotency_key="pay-x-refund"
    )
    canceled = await psp.cancel_intent(
        intent.ref, reason="hold_expired", idempotency_key="pay-x-cancel"
    )

    assert customer.startswith("cus_")
    assert intent.ref.startswith("pi_")
    assert refund.startswith("re_")
    assert (confirmed.state, captured.state, canceled.state) == (
        IntentState.AUTHORIZED,
        IntentState.CAPTURED,
        IntentState.CANCELED,
    )
    assert {s["status"] for s in http.sent} == {200}
    shapes = [(s["method"], s["path"], s["key"]) for s in http.sent]
    assert shapes == [
        ("post", "v1/customers", f"pay-rider-{rider_id}-customer"),
        ("post", "v1/payment_intents", f"pay-{booking_id}-create"),
        ("post", f"v1/payment_intents/{intent.ref}/confirm", "pay-x-confirm-1"),
        ("post", f"v1/payment_intents/{intent.ref}/capture", "pay-x-capture"),
        ("post", "v1/refunds", "pay-x-refund"),
        ("post", f"v1/payment_intents/{intent.ref}/cancel", "pay-x-cancel"),
    ]
    forms = [s["form"] for s in http.sent]
    assert forms[0] == {"email": "r@example.com", "metadata[rider_id]": str(rider_id)}
    assert forms[1] == {
        "amount": "1500",
        "currency": "eur",
        "capture_method": "manual",
        "customer": customer,
        "allowed_payment_method_types[0]": "card",
        "description": "MobilityCorp ride",
        "metadata[booking_id]": str(booking_id),
        "metadata[payment_id]": str(payment_id),
        "metadata[rider_id]": str(rider_id),
    }
    assert forms[2] == {"payment_method": "pm_card_visa"}
    assert forms[3] == {"amount_to_capture": "900"}
    assert forms[4] == {
        "payment_intent": intent.ref,
        "amount": "900",
        "reason": "requested_by_customer",
        "metadata[reason]": "requested_by_customer",
    }
    assert forms[5] == {}  # our reason is not one of Stripe's: it stays in our event only


async def test_stripe_mock_ignores_idempotency_keys_so_our_database_must_not_call_twice(
    recorded: tuple[StripePaymentProvider, RecordingHTTPXClient],
) -> None:
    """Documents the surprise: stateless stripe-mock answers a new intent for a repeated key."""
    psp, _ = recorded
    args: dict[str, Any] = {
        "amount": Money(amount_minor=100, currency="EUR"),
        "customer_ref": "cus_1",
        "booking_id": BookingId(uuid.uuid4()),
        "payment_id": PaymentId(uuid.uuid4()),
        "rider_id": RiderId(uuid.uuid4()),
        "description": "ride",
        "idempotency_key": "pay-same-key",
    }
    first = await psp.create_intent(**args)
    second = await psp.create_intent(**args)
    assert first.ref != second.ref
