"""Every business rejection has exactly one HTTP status."""

from __future__ import annotations

from contracts.errors import DomainError
from payment import api, domain


def _subclasses(cls: type[DomainError]) -> set[type[DomainError]]:
    found: set[type[DomainError]] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_every_domain_error_of_payment_is_mapped_to_a_status() -> None:
    ours = {c for c in _subclasses(DomainError) if c.__module__.startswith("payment.")}
    assert domain.InvalidSignatureError in ours
    assert ours <= set(api.ERROR_STATUS)


def test_problem_codes_match_the_internal_api_document() -> None:
    assert domain.PaymentNotFoundError.code == "payment_not_found"
    assert domain.InvalidPaymentStateError.code == "invalid_payment_state"
    assert domain.AmountExceedsAuthorizationError.code == "amount_exceeds_authorization"
    assert domain.InvalidSignatureError.code == "invalid_signature"
    assert api.ERROR_STATUS[domain.AmountExceedsAuthorizationError] == 422
    assert api.ERROR_STATUS[domain.InvalidPaymentStateError] == 409
    assert api.ERROR_STATUS[domain.PaymentNotFoundError] == 404
    assert api.ERROR_STATUS[domain.InvalidSignatureError] == 400
