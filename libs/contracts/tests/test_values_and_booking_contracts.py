from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from contracts.api.booking import BookingCreate, BookingResult, GroupBookingCreate
from contracts.types import GeoPoint, Money
from pydantic import ValidationError


def test_money_is_integer_minor_units_of_an_iso_currency() -> None:
    assert Money(amount_minor=250, currency="EUR") + Money(
        amount_minor=50, currency="EUR"
    ) == Money(amount_minor=300, currency="EUR")
    bad_values = [
        {"amount_minor": 1.5, "currency": "EUR"},
        {"amount_minor": -1, "currency": "EUR"},
        {"amount_minor": 1, "currency": "EURO"},
        {"amount_minor": 1, "currency": "XXY"},
    ]
    for bad in bad_values:
        with pytest.raises(ValidationError):
            Money.model_validate(bad)


def test_money_refuses_to_mix_currencies() -> None:
    with pytest.raises(ValueError, match="cannot combine"):
        Money(amount_minor=1, currency="EUR") + Money(amount_minor=1, currency="GBP")


def test_positions_are_bounded() -> None:
    GeoPoint(lat=50.11, lon=8.68)
    with pytest.raises(ValidationError):
        GeoPoint(lat=91, lon=0)
    with pytest.raises(ValidationError):
        GeoPoint(lat=0, lon=-181)


def request() -> BookingCreate:
    return BookingCreate(vehicle_id=uuid.uuid4(), estimated_duration_min=15)


def test_booking_request_is_validated_when_built() -> None:
    with pytest.raises(ValidationError):
        BookingCreate(vehicle_id=uuid.uuid4(), estimated_duration_min=0)
    with pytest.raises(ValidationError):
        BookingCreate.model_validate(
            {"vehicle_id": str(uuid.uuid4()), "estimated_duration_min": 5, "tip": 1}
        )
    with pytest.raises(ValidationError):
        BookingCreate(
            vehicle_id=uuid.uuid4(), estimated_duration_min=5, start_time=datetime(2026, 1, 1)
        )


def test_failure_result_needs_at_least_one_error_with_code_and_message() -> None:
    result = BookingResult.failure(request(), code="vehicle_unavailable", message="Taken.")
    assert [(e.code, e.message) for e in result.errors] == [("vehicle_unavailable", "Taken.")]
    with pytest.raises(ValidationError):
        BookingResult(outcome="failure")
    with pytest.raises(ValidationError):
        BookingResult(outcome="failure", errors=[{"code": "", "message": "x"}])


def test_success_result_needs_the_booking() -> None:
    with pytest.raises(ValidationError):
        BookingResult(outcome="success")


def test_result_metadata_echoes_the_request_and_is_json() -> None:
    req = request()
    result = BookingResult.failure(req, code="c", message="m")
    assert result.metadata["request"]["vehicle_id"] == str(req.vehicle_id)  # type: ignore[index]
    assert BookingResult.model_validate_json(result.model_dump_json()) == result
    with pytest.raises(ValidationError):
        BookingResult(
            outcome="failure", errors=[{"code": "c", "message": "m"}], metadata={"x": object()}
        )


def test_group_booking_rejects_the_same_vehicle_twice() -> None:
    one = request()
    with pytest.raises(ValidationError):
        GroupBookingCreate(items=[one, one])
    assert len(GroupBookingCreate(items=[one, request()]).items) == 2
