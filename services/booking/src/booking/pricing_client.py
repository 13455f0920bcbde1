"""Typed client for pricing's quote and fare routes (docs/internal-apis.md)."""

from __future__ import annotations

from contracts.api.pricing import FareCreate, FareRead, InternalQuoteCreate, QuoteLock, QuoteRead
from contracts.types import QuoteId
from mobility_platform.http import ServiceClient

from booking.domain import (
    InvalidBookingStateError,
    NoPriceRuleError,
    QuoteAlreadyUsedError,
    QuoteExpiredError,
    QuoteNotFoundError,
    QuoteNotYoursError,
)
from booking.peer_problems import ErrorTable, expect

ERRORS: ErrorTable = {
    "no_price_rule": NoPriceRuleError,
    "quote_not_found": QuoteNotFoundError,
    "quote_not_yours": QuoteNotYoursError,
    "quote_already_used": QuoteAlreadyUsedError,
    "quote_expired": QuoteExpiredError,
    "quote_not_locked": InvalidBookingStateError,
}


class PricingClient:
    def __init__(self, http: ServiceClient) -> None:
        self._http = http

    async def create_quote(
        self, request: InternalQuoteCreate, *, idempotency_key: str
    ) -> QuoteRead:
        """A duplicate from a retry is harmless: only the quote we lock is ever used."""
        response = await self._http.request(
            "POST",
            "/internal/quotes",
            json=request.model_dump(mode="json"),
            headers={"Idempotency-Key": idempotency_key},
        )
        expect("pricing", response, {200, 201}, ERRORS)
        return QuoteRead.model_validate_json(response.content)

    async def lock_quote(self, quote_id: QuoteId, request: QuoteLock) -> QuoteRead:
        response = await self._http.request(
            "POST",
            f"/internal/quotes/{quote_id}/lock",
            json=request.model_dump(mode="json"),
            headers={"Idempotency-Key": f"booking-{request.booking_id}-quote-lock"},
        )
        expect("pricing", response, {200}, ERRORS)
        return QuoteRead.model_validate_json(response.content)

    async def fare(self, request: FareCreate) -> FareRead:
        response = await self._http.request(
            "POST",
            "/internal/fares",
            json=request.model_dump(mode="json"),
            headers={"Idempotency-Key": f"booking-{request.booking_id}-fare"},
        )
        expect("pricing", response, {200, 201}, ERRORS)
        return FareRead.model_validate_json(response.content)
