"""Typed client for payment's internal routes (docs/internal-apis.md). Declines are answers
(200, status failed), not errors; every call carries an Idempotency-Key derived from our ids."""

from __future__ import annotations

from contracts.api.payment import (
    PaymentCapture,
    PaymentConfirm,
    PaymentCreate,
    PaymentRead,
    PaymentVoid,
)
from contracts.types import Money, PaymentId
from mobility_platform.http import ServiceClient

from booking.domain import InvalidPaymentStateError
from booking.peer_problems import ErrorTable, expect

ERRORS: ErrorTable = {"invalid_payment_state": InvalidPaymentStateError}


class PaymentClient:
    def __init__(self, http: ServiceClient) -> None:
        self._http = http

    async def _post(self, path: str, body: dict[str, object], key: str) -> PaymentRead:
        response = await self._http.request(
            "POST", path, json=body, headers={"Idempotency-Key": key}
        )
        expect("payment", response, {200, 201}, ERRORS)
        return PaymentRead.model_validate_json(response.content)

    async def create(self, request: PaymentCreate) -> PaymentRead:
        return await self._post(
            "/internal/payments",
            request.model_dump(mode="json"),
            f"booking-{request.booking_id}-payment",
        )

    async def confirm(
        self, payment_id: PaymentId, *, payment_method_id: str, idempotency_key: str
    ) -> PaymentRead:
        body = PaymentConfirm(payment_method_id=payment_method_id).model_dump(mode="json")
        return await self._post(f"/internal/payments/{payment_id}/confirm", body, idempotency_key)

    async def capture(self, payment_id: PaymentId, *, amount: Money) -> PaymentRead:
        body = PaymentCapture(amount=amount).model_dump(mode="json")
        return await self._post(
            f"/internal/payments/{payment_id}/capture", body, f"payment-{payment_id}-capture"
        )

    async def void(self, payment_id: PaymentId, *, reason: str) -> PaymentRead:
        body = PaymentVoid(reason=reason).model_dump(mode="json")
        return await self._post(
            f"/internal/payments/{payment_id}/void", body, f"payment-{payment_id}-void"
        )
