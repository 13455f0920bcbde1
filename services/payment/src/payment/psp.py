"""The payment service provider port (`PaymentProvider`) and its Stripe implementation.

Everything Stripe-specific lives here: the official SDK's async methods over its httpx client,
idempotency keys on every POST, bounded retries (tenacity) with the SAME key on connection
errors and timeouts, a circuit breaker, declines turned into outcomes (not exceptions), and
webhook signature verification. Use cases only see `domain.Intent` / `domain.ProviderEvent`.

stripe-mock is stateless: every PaymentIntent call answers the same fixture, whose `status` is
`requires_payment_method` (and whose `last_payment_error` is a placeholder without a `code`).
With `stateless_mock=True` a 2xx answer is read as the documented success state of that call
(confirm -> requires_capture, capture -> succeeded, cancel -> canceled); against real Stripe
the returned status is always used.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

import httpx
import stripe
from contracts.types import BookingId, Money, PaymentId, RiderId
from mobility_platform.breaker import CircuitBreaker
from mobility_platform.errors import DependencyUnavailableError, PeerTimeoutError
from stripe.params import (
    CustomerCreateParams,
    PaymentIntentCancelParams,
    PaymentIntentCreateParams,
    RefundCreateParams,
)
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from payment.domain import (
    Intent,
    IntentState,
    InvalidSignatureError,
    InvalidWebhookPayloadError,
    PaymentProviderError,
    ProviderEvent,
)
from payment.settings import StripeSettings

logger = logging.getLogger(__name__)
T = TypeVar("T")

_STRIPE_STATES: Mapping[str, IntentState] = {
    "requires_payment_method": IntentState.REQUIRES_PAYMENT_METHOD,
    "requires_confirmation": IntentState.REQUIRES_PAYMENT_METHOD,
    "requires_action": IntentState.REQUIRES_ACTION,
    "processing": IntentState.PROCESSING,
    "requires_capture": IntentState.AUTHORIZED,
    "succeeded": IntentState.CAPTURED,
    "canceled": IntentState.CANCELED,
}
_WEBHOOK_STATES: Mapping[str, IntentState] = {
    "payment_intent.amount_capturable_updated": IntentState.AUTHORIZED,
    "payment_intent.succeeded": IntentState.CAPTURED,
    "payment_intent.payment_failed": IntentState.REQUIRES_PAYMENT_METHOD,
    "payment_intent.canceled": IntentState.CANCELED,
    "charge.refunded": IntentState.REFUNDED,
}
_CANCEL_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer", "abandoned"})
_REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})


class PaymentProvider(Protocol):
    """The one boundary to the PSP. Declines come back as intents with a failure code."""

    async def create_customer(
        self, *, rider_id: RiderId, email: str | None, idempotency_key: str
    ) -> str: ...

    async def create_intent(
        self,
        *,
        amount: Money,
        customer_ref: str,
        booking_id: BookingId,
        payment_id: PaymentId,
        rider_id: RiderId,
        description: str,
        idempotency_key: str,
    ) -> Intent: ...

    async def confirm_intent(
        self, ref: str, *, payment_method_id: str, idempotency_key: str
    ) -> Intent: ...

    async def capture_intent(self, ref: str, *, amount: Money, idempotency_key: str) -> Intent: ...

    async def cancel_intent(self, ref: str, *, reason: str, idempotency_key: str) -> Intent: ...

    async def refund(
        self, ref: str, *, amount: Money, reason: str, idempotency_key: str
    ) -> str: ...

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent: ...


class _UnexpectedStateError(Exception):
    """Stripe said the intent is not in a state for this call (e.g. already canceled)."""


def _transient(exc: BaseException) -> bool:
    """Safe to resend with the same idempotency key: nothing was saved by Stripe."""
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return True
    return isinstance(exc, stripe.APIError) and exc.http_status == 409  # concurrent same key


def intent_from_stripe(data: Mapping[str, Any], state: IntentState | None = None) -> Intent:
    """A Stripe PaymentIntent (as a dict) in our words; `state` overrides its status."""
    status = str(data.get("status") or "")
    state = state or _STRIPE_STATES.get(status)
    if state is None:
        raise PaymentProviderError(f"Unknown PaymentIntent status {status!r}.")
    declined = state is IntentState.REQUIRES_PAYMENT_METHOD
    error = (data.get("last_payment_error") or {}) if declined else {}
    method = error.get("payment_method") or data.get("payment_method")
    action = (data.get("next_action") or {}) if state is IntentState.REQUIRES_ACTION else {}
    amount_field = {
        IntentState.AUTHORIZED: "amount_capturable",
        IntentState.CAPTURED: "amount_received",
    }.get(state, "amount")
    return Intent(
        ref=str(data["id"]),
        state=state,
        client_secret=data.get("client_secret"),
        next_action=action.get("type"),
        failure_code=error.get("code") or error.get("decline_code"),
        failure_message=error.get("message"),
        amount_minor=data.get(amount_field),
        payment_method_id=method.get("id") if isinstance(method, Mapping) else method,
        reason=data.get("cancellation_reason"),
    )


class StripePaymentProvider:
    def __init__(
        self,
        settings: StripeSettings,
        *,
        http_client: stripe.HTTPClient | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        """`http_client` defaults to the SDK's async httpx client with our timeouts."""
        self._http = http_client or stripe.HTTPXClient(
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s)
        )
        self._client = stripe.StripeClient(
            settings.api_key.get_secret_value(),
            base_addresses={"api": str(settings.api_base).rstrip("/")},
            http_client=self._http,
            max_network_retries=0,  # ours below keep the same key and the breaker informed
        )
        self._s = settings
        self._breaker = breaker or CircuitBreaker(
            "stripe", threshold=settings.breaker_threshold, reset_after_s=settings.breaker_reset_s
        )

    async def create_customer(
        self, *, rider_id: RiderId, email: str | None, idempotency_key: str
    ) -> str:
        params: CustomerCreateParams = {"metadata": {"rider_id": str(rider_id)}}
        if email:
            params["email"] = email
        customers = self._client.v1.customers
        customer = await self._call(
            "create customer",
            lambda: customers.create_async(params, {"idempotency_key": idempotency_key}),
        )
        return customer.id

    async def create_intent(
        self,
        *,
        amount: Money,
        customer_ref: str,
        booking_id: BookingId,
        payment_id: PaymentId,
        rider_id: RiderId,
        description: str,
        idempotency_key: str,
    ) -> Intent:
        params: PaymentIntentCreateParams = {
            "amount": amount.amount_minor,
            "currency": amount.currency.lower(),
            "capture_method": "manual",
            "customer": customer_ref,
            "allowed_payment_method_types": ["card"],
            "description": description,
            "metadata": {
                "booking_id": str(booking_id),
                "payment_id": str(payment_id),
                "rider_id": str(rider_id),
            },
        }
        intents = self._client.v1.payment_intents
        pi = await self._call(
            "create intent",
            lambda: intents.create_async(params, {"idempotency_key": idempotency_key}),
        )
        return self._intent(pi, IntentState.REQUIRES_PAYMENT_METHOD)

    async def confirm_intent(
        self, ref: str, *, payment_method_id: str, idempotency_key: str
    ) -> Intent:
        intents = self._client.v1.payment_intents
        try:
            pi = await self._call(
                "confirm intent",
                lambda: intents.confirm_async(
                    ref, {"payment_method": payment_method_id}, {"idempotency_key": idempotency_key}
                ),
                declines=True,
            )
        except stripe.CardError as exc:  # a decline is an outcome, not a failure
            return _declined(ref, exc, payment_method_id)
        return self._intent(pi, IntentState.AUTHORIZED)

    async def capture_intent(self, ref: str, *, amount: Money, idempotency_key: str) -> Intent:
        intents = self._client.v1.payment_intents
        try:
            pi = await self._call(
                "capture intent",
                lambda: intents.capture_async(
                    ref,
                    {"amount_to_capture": amount.amount_minor},
                    {"idempotency_key": idempotency_key},
                ),
            )
        except _UnexpectedStateError:
            return await self._retrieve(ref)
        return self._intent(pi, IntentState.CAPTURED)

    async def cancel_intent(self, ref: str, *, reason: str, idempotency_key: str) -> Intent:
        params: PaymentIntentCancelParams = {}
        if reason in _CANCEL_REASONS:
            params["cancellation_reason"] = reason
        intents = self._client.v1.payment_intents
        try:
            pi = await self._call(
                "cancel intent",
                lambda: intents.cancel_async(ref, params, {"idempotency_key": idempotency_key}),
            )
        except _UnexpectedStateError:
            return await self._retrieve(ref)
        return self._intent(pi, IntentState.CANCELED)

    async def refund(self, ref: str, *, amount: Money, reason: str, idempotency_key: str) -> str:
        params: RefundCreateParams = {
            "payment_intent": ref,
            "amount": amount.amount_minor,
            "metadata": {"reason": reason},
        }
        if reason in _REFUND_REASONS:
            params["reason"] = reason
        refunds = self._client.v1.refunds
        refund = await self._call(
            "refund",
            lambda: refunds.create_async(params, {"idempotency_key": idempotency_key}),
        )
        return refund.id

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """Verify `Stripe-Signature` over the raw body, then read the event."""
        secret = self._s.webhook_secret.get_secret_value()
        try:
            event = self._client.construct_event(
                payload, signature, secret, tolerance=self._s.webhook_tolerance_s
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignatureError("The Stripe-Signature header does not match.") from exc
        except ValueError as exc:  # JSON, UTF-8 or a thin v2 event
            raise InvalidWebhookPayloadError(str(exc)) from exc
        try:
            obj = event.data.object.to_dict()
            state = _WEBHOOK_STATES.get(event.type)
            if state is IntentState.REFUNDED:
                obj = {"id": obj["payment_intent"], "amount": obj.get("amount_refunded")}
            intent = None if state is None else intent_from_stripe(obj, state)
        except (AttributeError, KeyError, TypeError) as exc:
            raise InvalidWebhookPayloadError(f"Unreadable {event.type} event.") from exc
        return ProviderEvent(event_id=event.id, event_type=event.type, intent=intent)

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    # --- plumbing -------------------------------------------------------------------------------

    def _intent(self, pi: stripe.PaymentIntent, success: IntentState) -> Intent:
        return intent_from_stripe(pi.to_dict(), success if self._s.stateless_mock else None)

    async def _retrieve(self, ref: str) -> Intent:
        intents = self._client.v1.payment_intents
        pi = await self._call("retrieve intent", lambda: intents.retrieve_async(ref))
        return intent_from_stripe(pi.to_dict())

    async def _call(
        self, op: str, call: Callable[[], Awaitable[T]], *, declines: bool = False
    ) -> T:
        """One logical Stripe call: breaker, bounded retries with the same key, error mapping.

        `declines=True` lets a CardError through (confirm turns it into an outcome)."""
        self._breaker.before_call()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._s.retries + 1),
            wait=wait_exponential_jitter(
                multiplier=self._s.backoff_initial_s, max=self._s.backoff_max_s
            ),
            retry=retry_if_exception(_transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    result = await call()
        except stripe.CardError as exc:
            self._breaker.record_success()
            if declines:
                raise
            raise PaymentProviderError(f"Stripe refused to {op}: {exc.user_message}") from exc
        except stripe.APIConnectionError as exc:
            self._breaker.record_failure()
            if isinstance(exc.__cause__, httpx.TimeoutException):
                raise PeerTimeoutError("stripe", f"Stripe did not answer ({op}) in time") from exc
            raise DependencyUnavailableError("stripe", reason=f"{op}: connection") from exc
        except (stripe.RateLimitError, stripe.APIError) as exc:
            self._breaker.record_failure()
            raise DependencyUnavailableError("stripe", reason=f"{op}: {exc.http_status}") from exc
        except stripe.InvalidRequestError as exc:
            self._breaker.record_success()
            if exc.code == "payment_intent_unexpected_state":
                raise _UnexpectedStateError(op) from exc
            raise PaymentProviderError(f"Stripe refused to {op}: {exc.user_message}") from exc
        except stripe.StripeError as exc:  # idempotency mismatch, auth, permission
            self._breaker.record_success()
            logger.error("stripe refused %s: %s", op, exc)
            raise PaymentProviderError(f"Stripe refused to {op}.") from exc
        self._breaker.record_success()
        return result


def _declined(ref: str, exc: stripe.CardError, payment_method_id: str) -> Intent:
    error = exc.error
    decline_code = getattr(error, "decline_code", None) if error is not None else None
    return Intent(
        ref=ref,
        state=IntentState.REQUIRES_PAYMENT_METHOD,
        failure_code=exc.code or decline_code or "card_declined",
        failure_message=exc.user_message or "The card was declined.",
        payment_method_id=payment_method_id,
    )
