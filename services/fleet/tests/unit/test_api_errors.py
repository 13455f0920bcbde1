"""Every business rejection has an HTTP status."""

from __future__ import annotations

import inspect

from contracts.errors import DomainError
from fleet import domain
from fleet.api import ERROR_STATUS


def test_every_domain_error_is_mapped_to_a_status() -> None:
    errors = {
        obj
        for _, obj in inspect.getmembers(domain, inspect.isclass)
        if issubclass(obj, DomainError) and obj is not DomainError
    }
    assert errors
    assert errors <= set(ERROR_STATUS)
    assert ERROR_STATUS[domain.NotYourBookingError] == 403
    assert ERROR_STATUS[domain.VehicleTimeoutError] == 504
    assert ERROR_STATUS[domain.GatewayUnavailableError] == 503
