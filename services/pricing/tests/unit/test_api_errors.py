"""Every business rejection has an HTTP status (the problem handler would answer 400 otherwise)."""

from __future__ import annotations

from contracts.errors import DomainError
from pricing import api, domain


def test_every_domain_error_is_mapped_to_a_status() -> None:
    errors = {
        value
        for value in vars(domain).values()
        if isinstance(value, type) and issubclass(value, DomainError)
    }
    assert errors, "no domain errors found"
    assert errors <= set(api.ERROR_STATUS)
    assert len({error.code for error in errors}) == len(errors)
