"""JSON shapes of the booking's value objects (the jsonb columns and recovery data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.types import (
    GeoPoint,
    Money,
    PaymentId,
    PaymentStatus,
    QuoteId,
)

from booking.domain import Fare, Payment, Quote, Receipt, Reservation, Trip

Json = dict[str, Any]


def money_json(value: Money | None) -> Json | None:
    return None if value is None else value.model_dump(mode="json")


def money(value: Json | None) -> Money | None:
    return None if value is None else Money.model_validate(value)


def _money(value: Json) -> Money:
    return Money.model_validate(value)


def time_json(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def point_json(value: GeoPoint | None) -> Json | None:
    return None if value is None else value.model_dump(mode="json")


def point(value: Json | None) -> GeoPoint | None:
    return None if value is None else GeoPoint.model_validate(value)


def reservation_json(value: Reservation) -> Json:
    return {
        "hold_until": value.hold_until.isoformat(),
        "city": value.city,
        "zone_id": value.zone_id,
    }


def reservation(value: Json) -> Reservation:
    return Reservation(
        hold_until=datetime.fromisoformat(value["hold_until"]),
        city=value["city"],
        zone_id=value.get("zone_id"),
    )


def quote_json(value: Quote) -> Json:
    return {
        "quote_id": str(value.quote_id),
        "unlock_fee": money_json(value.unlock_fee),
        "per_minute": money_json(value.per_minute),
        "surge_multiplier": value.surge_multiplier,
        "estimated_amount": money_json(value.estimated_amount),
        "authorized_amount": money_json(value.authorized_amount),
        "expires_at": value.expires_at.isoformat(),
    }


def quote(value: Json) -> Quote:
    return Quote(
        quote_id=QuoteId(UUID(value["quote_id"])),
        unlock_fee=_money(value["unlock_fee"]),
        per_minute=_money(value["per_minute"]),
        surge_multiplier=float(value["surge_multiplier"]),
        estimated_amount=_money(value["estimated_amount"]),
        authorized_amount=_money(value["authorized_amount"]),
        expires_at=datetime.fromisoformat(value["expires_at"]),
    )


def payment_json(value: Payment) -> Json:
    return {
        "payment_id": str(value.payment_id),
        "status": value.status.value,
        "amount": money_json(value.amount),
        "client_secret": value.client_secret,
        "failure_code": value.failure_code,
        "declines": value.declines,
        "next_action": value.next_action,
    }


def payment(value: Json) -> Payment:
    return Payment(
        payment_id=PaymentId(UUID(value["payment_id"])),
        status=PaymentStatus(value["status"]),
        amount=_money(value["amount"]),
        client_secret=value.get("client_secret"),
        failure_code=value.get("failure_code"),
        declines=int(value.get("declines", 0)),
        next_action=value.get("next_action"),
    )


def fare_json(value: Fare | None) -> Json | None:
    if value is None:
        return None
    return {
        "unlock_fee": money_json(value.unlock_fee),
        "time_charge": money_json(value.time_charge),
        "distance_charge": money_json(value.distance_charge),
        "surge_multiplier": value.surge_multiplier,
        "minutes": value.minutes,
        "distance_m": value.distance_m,
        "total": money_json(value.total),
        "capped": value.capped,
    }


def fare(value: Json | None) -> Fare | None:
    if value is None:
        return None
    return Fare(
        unlock_fee=_money(value["unlock_fee"]),
        time_charge=_money(value["time_charge"]),
        distance_charge=money(value.get("distance_charge")),
        surge_multiplier=float(value["surge_multiplier"]),
        minutes=int(value["minutes"]),
        distance_m=int(value["distance_m"]),
        total=_money(value["total"]),
        capped=bool(value["capped"]),
    )


def trip_json(value: Trip) -> Json:
    return {
        "started_at": time_json(value.started_at),
        "start_position": point_json(value.start_position),
        "ended_at": time_json(value.ended_at),
        "end_position": point_json(value.end_position),
        "distance_m": value.distance_m,
        "vehicle_flagged": value.vehicle_flagged,
        "fare": fare_json(value.fare),
        "captured_amount": money_json(value.captured_amount),
    }


def trip(value: Json) -> Trip:
    return Trip(
        started_at=time(value.get("started_at")),
        start_position=point(value.get("start_position")),
        ended_at=time(value.get("ended_at")),
        end_position=point(value.get("end_position")),
        distance_m=value.get("distance_m"),
        vehicle_flagged=bool(value.get("vehicle_flagged", False)),
        fare=fare(value.get("fare")),
        captured_amount=money(value.get("captured_amount")),
    )


def receipt_json(value: Receipt | None) -> Json | None:
    if value is None:
        return None
    return {"document": value.document, "signature": value.signature, "key_id": value.key_id}


def receipt(value: Json | None) -> Receipt | None:
    if value is None:
        return None
    return Receipt(document=value["document"], signature=value["signature"], key_id=value["key_id"])
