from __future__ import annotations

from contracts.errors import DomainError
from notification import api, domain


def test_every_domain_error_is_mapped_to_a_status() -> None:
    errors = {
        obj
        for obj in vars(domain).values()
        if isinstance(obj, type) and issubclass(obj, DomainError) and obj is not DomainError
    }
    assert errors <= set(api.ERROR_STATUS)
