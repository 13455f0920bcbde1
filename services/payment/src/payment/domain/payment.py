"""The payment aggregate: its state machine, invariants and the changes it records. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from contracts.types import BookingId, Money, PaymentId, PaymentStatus, RiderId

from payment.domain.errors import (
    AmountExceedsAuthorizationError,
    AmountExceedsCaptureError,
    InvalidAmountError,
    InvalidPaymentStateError,
    PaymentProviderError,
    PaymentRequestMismatchError,
)
from payment.domain.provider import Intent, IntentState

S = PaymentStatus
_PAYMENT_NAMESPACE = uuid.UUID("6f1c2a8e-5d0b-4c57-9a43-2f3e8b7d1c90")

ALLOWED_TRANSITIONS: Mapping[PaymentStatus, frozenset[PaymentStatus]] = {
    S.REQUIRES_PAYMENT_METHOD: frozenset({S.AUTHORIZED, S.FAILED, S.VOIDED}),
    # A declined payment may be confirmed again with another method (Stripe keeps the intent).
    S.FAILED: frozenset({S.REQUIRES_PAYMENT_METHOD, S.AUTHORIZED, S.FAILED, S.VOIDED}),
    S.AUTHORIZED: frozenset({S.CAPTURED, S.VOIDED}),
    S.CAPTURED: frozenset({S.REFUNDED}),
    S.VOIDED: frozenset(),
    S.REFUNDED: frozenset(),
}


# --- changes the aggregate records (the use case turns them into contracts events) --------------


@dataclass(frozen=True)
class Authorized:
    at: datetime


@dataclass(frozen=True)
class Failed:
    code: str
    message: str
    at: datetime


@dataclass(frozen=True)
class Captured:
    amount: Money
    at: datetime


@dataclass(frozen=True)
class Voided:
    reason: str
    at: datetime


@dataclass(frozen=True)
class Refunded:
    amount: Money
    reason: str
    at: datetime


Change = Authorized | Failed | Captured | Voided | Refunded


def check_transition(current: PaymentStatus, target: PaymentStatus) -> None:
    """Raise InvalidPaymentStateError unless the state machine allows current -> target."""
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidPaymentStateError(f"A {current.value} payment cannot become {target.value}.")


def payment_id_for(booking_id: BookingId) -> PaymentId:
    """One payment per booking: its id is derived from the booking, so retries agree on it."""
    return PaymentId(uuid.uuid5(_PAYMENT_NAMESPACE, str(booking_id)))


def _positive(amount: Money, currency: str) -> None:
    if amount.currency != currency:
        raise InvalidAmountError(f"Amount must be in {currency}, not {amount.currency}.")
    if amount.amount_minor <= 0:
        raise InvalidAmountError("Amount must be greater than zero.")


@dataclass
class Payment:
    id: PaymentId
    booking_id: BookingId
    rider_id: RiderId
    amount: Money
    status: PaymentStatus
    created_at: datetime
    updated_at: datetime
    description: str = ""
    customer_ref: str | None = None
    provider_ref: str | None = None
    client_secret: str | None = None
    payment_method_id: str | None = None
    confirm_attempts: int = 0
    next_action: str | None = None
    captured_amount: Money | None = None
    refunded_amount: Money | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    version: int = 1
    changes: list[Change] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def new(
        cls,
        *,
        booking_id: BookingId,
        rider_id: RiderId,
        amount: Money,
        description: str,
        now: datetime,
    ) -> Payment:
        _positive(amount, amount.currency)
        return cls(
            id=payment_id_for(booking_id),
            booking_id=booking_id,
            rider_id=rider_id,
            amount=amount,
            status=S.REQUIRES_PAYMENT_METHOD,
            created_at=now,
            updated_at=now,
            description=description,
        )

    @property
    def intent_ref(self) -> str:
        if self.provider_ref is None:
            raise InvalidPaymentStateError("The payment has no provider intent yet.")
        return self.provider_ref

    def pull_changes(self) -> list[Change]:
        changes, self.changes = self.changes, []
        return changes

    # --- create ---------------------------------------------------------------------------------

    def check_same_request(self, other: Payment) -> None:
        """Idempotent per booking: the same booking asking again must ask for the same thing."""
        if (self.rider_id, self.amount) != (other.rider_id, other.amount):
            raise PaymentRequestMismatchError(
                "This booking already has a payment for another rider or amount."
            )

    def attach_intent(self, intent: Intent, *, customer_ref: str, now: datetime) -> None:
        self.provider_ref = intent.ref
        self.client_secret = intent.client_secret
        self.customer_ref = customer_ref
        self.updated_at = now

    # --- confirm --------------------------------------------------------------------------------

    def confirmation_needed(self, payment_method_id: str) -> bool:
        """False when confirming again would only repeat what already happened."""
        if self.status is S.AUTHORIZED:
            return False
        if self.status not in (S.REQUIRES_PAYMENT_METHOD, S.FAILED):
            raise InvalidPaymentStateError(f"A {self.status.value} payment cannot be confirmed.")
        repeated = payment_method_id == self.payment_method_id
        return not (repeated and (self.status is S.FAILED or self.next_action is not None))

    def begin_confirmation(self, payment_method_id: str) -> int:
        """Start a new confirmation attempt; its number keys the provider call."""
        self.confirm_attempts += 1
        self.payment_method_id = payment_method_id
        return self.confirm_attempts

    def apply_confirmation(self, intent: Intent, now: datetime) -> None:
        """Record what the provider answered to our confirm call."""
        match intent.state:
            case IntentState.AUTHORIZED:
                self._authorize(now)
            case IntentState.REQUIRES_ACTION | IntentState.PROCESSING:
                self._await_action(intent.next_action or intent.state.value, now)
            case IntentState.REQUIRES_PAYMENT_METHOD:
                code = intent.failure_code or "authorization_failed"
                self._fail(code, intent.failure_message or "The payment was not authorized.", now)
            case IntentState.CAPTURED:
                self._authorize(now)
                self._capture(self.amount, now)
            case IntentState.CANCELED:
                self._void(intent.reason or "canceled_by_provider", now)
            case _:
                raise PaymentProviderError(f"Unexpected intent state {intent.state.value}.")

    # --- capture / void / refund ----------------------------------------------------------------

    def capture_needed(self, amount: Money) -> bool:
        if self.status is S.CAPTURED and amount == self.captured_amount:
            return False
        if self.status is not S.AUTHORIZED:
            raise InvalidPaymentStateError(f"A {self.status.value} payment cannot be captured.")
        _positive(amount, self.amount.currency)
        if amount.amount_minor > self.amount.amount_minor:
            raise AmountExceedsAuthorizationError(
                f"Cannot capture {amount.amount_minor}: only {self.amount.amount_minor} "
                f"{self.amount.currency} is authorized."
            )
        return True

    def apply_capture(self, intent: Intent, amount: Money, now: datetime) -> bool:
        """True when captured; otherwise the provider's state is followed (e.g. expired)."""
        if intent.state is IntentState.CAPTURED:
            self._capture(amount, now)
            return True
        self.follow(intent, now)
        return False

    def void_needed(self) -> bool:
        if self.status is S.VOIDED:
            return False
        check_transition(self.status, S.VOIDED)
        return True

    def apply_void(self, intent: Intent, reason: str, now: datetime) -> bool:
        if intent.state is IntentState.CANCELED:
            self._void(reason, now)
            return True
        self.follow(intent, now)
        return False

    def refund_amount(self, requested: Money | None) -> Money | None:
        """The amount to refund, or None when this refund already happened (idempotent)."""
        if self.status is S.REFUNDED and requested in (None, self.refunded_amount):
            return None
        if self.status is not S.CAPTURED or self.captured_amount is None:
            raise InvalidPaymentStateError(f"A {self.status.value} payment cannot be refunded.")
        amount = requested or self.captured_amount
        _positive(amount, self.amount.currency)
        if amount.amount_minor > self.captured_amount.amount_minor:
            raise AmountExceedsCaptureError(
                f"Cannot refund {amount.amount_minor}: only "
                f"{self.captured_amount.amount_minor} {self.amount.currency} was captured."
            )
        return amount

    def mark_refunded(self, amount: Money, reason: str, now: datetime) -> None:
        self._move(S.REFUNDED, now)
        self.refunded_amount = amount
        self.changes.append(Refunded(amount=amount, reason=reason, at=now))

    # --- provider reports (webhooks, conflicts): forward only, never an error -------------------

    def follow(self, intent: Intent, now: datetime) -> bool:
        """Move towards the provider's state if that is forward; ignore stale or repeated news."""
        state, s = intent.state, self.status
        if state is IntentState.AUTHORIZED and s in (S.REQUIRES_PAYMENT_METHOD, S.FAILED):
            self._authorize(now)
        elif state is IntentState.CAPTURED and s in (S.REQUIRES_PAYMENT_METHOD, S.FAILED):
            self._authorize(now)
            self._capture(self._money(intent.amount_minor, self.amount), now)
        elif state is IntentState.CAPTURED and s is S.AUTHORIZED:
            self._capture(self._money(intent.amount_minor, self.amount), now)
        elif state is IntentState.CANCELED and S.VOIDED in ALLOWED_TRANSITIONS[s]:
            self._void(intent.reason or "canceled_by_provider", now)
        elif state is IntentState.REFUNDED and s is S.CAPTURED:
            amount = self._money(intent.amount_minor, self.captured_amount or self.amount)
            self.mark_refunded(amount, intent.reason or "refunded_at_provider", now)
        elif state is IntentState.REQUIRES_PAYMENT_METHOD and self._is_current_failure(intent):
            message = intent.failure_message or "The payment was not authorized."
            self._fail(intent.failure_code or "authorization_failed", message, now)
        else:
            return False
        return True

    def _is_current_failure(self, intent: Intent) -> bool:
        if self.status is not S.REQUIRES_PAYMENT_METHOD or intent.failure_code is None:
            return False
        other_method = intent.payment_method_id not in (None, self.payment_method_id)
        return not other_method

    def _money(self, minor: int | None, default: Money) -> Money:
        if minor is None or minor <= 0:
            return default
        return Money(amount_minor=min(minor, self.amount.amount_minor), currency=default.currency)

    # --- the only places the status changes -----------------------------------------------------

    def _move(self, target: PaymentStatus, now: datetime) -> None:
        check_transition(self.status, target)
        self.status = target
        self.next_action = None
        self.updated_at = now

    def _authorize(self, now: datetime) -> None:
        self._move(S.AUTHORIZED, now)
        self.failure_code = self.failure_message = None
        self.changes.append(Authorized(at=now))

    def _await_action(self, next_action: str, now: datetime) -> None:
        if self.status is not S.REQUIRES_PAYMENT_METHOD:
            self._move(S.REQUIRES_PAYMENT_METHOD, now)
        self.next_action = next_action
        self.failure_code = self.failure_message = None
        self.updated_at = now

    def _fail(self, code: str, message: str, now: datetime) -> None:
        self._move(S.FAILED, now)
        self.failure_code, self.failure_message = code, message
        self.changes.append(Failed(code=code, message=message, at=now))

    def _capture(self, amount: Money, now: datetime) -> None:
        self._move(S.CAPTURED, now)
        self.captured_amount = amount
        self.changes.append(Captured(amount=amount, at=now))

    def _void(self, reason: str, now: datetime) -> None:
        self._move(S.VOIDED, now)
        self.changes.append(Voided(reason=reason, at=now))
