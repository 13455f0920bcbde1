"""Pricing's business rejections; each `code` is part of the API (docs/internal-apis.md)."""

from __future__ import annotations

from contracts.errors import DomainError


class NoPriceRuleError(DomainError):
    code = "no_price_rule"
    title = "No price rule"


class InvalidPriceRuleError(DomainError):
    code = "invalid_price_rule"
    title = "Invalid price rule"


class PriceRuleConflictError(DomainError):
    code = "price_rule_conflict"
    title = "Price rule version exists"


class QuoteNotFoundError(DomainError):
    code = "quote_not_found"
    title = "Quote not found"


class QuoteNotYoursError(DomainError):
    code = "quote_not_yours"
    title = "Quote belongs to another rider or vehicle"


class QuoteAlreadyUsedError(DomainError):
    code = "quote_already_used"
    title = "Quote already used"


class QuoteExpiredError(DomainError):
    code = "quote_expired"
    title = "Quote expired"


class QuoteNotLockedError(DomainError):
    code = "quote_not_locked"
    title = "Quote is not locked to this booking"


class InvalidTripWindowError(DomainError):
    code = "invalid_trip_window"
    title = "Invalid trip times"
