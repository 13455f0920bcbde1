"""Every event round-trips through its CloudEvent envelope, and the committed schemas match."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from contracts import schemas, topics
from contracts.envelope import (
    CloudEvent,
    Event,
    UndecodableEventError,
    UnknownEventTypeError,
    decode_event,
    event_types,
)

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
EXPECTED = {
    "VehicleReserved", "VehicleReleased", "VehicleUnlocked", "VehicleLocked", "VehicleOffline",
    "VehicleOnline", "VehicleTelemetry", "BookingCreated", "BookingConfirmed", "BookingCancelled",
    "BookingExpired", "TripStarted", "TripEnded", "PaymentAuthorized", "PaymentFailed",
    "PaymentCaptured", "PaymentRefunded", "NotificationSent",
}  # fmt: skip


def sample(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A minimal valid instance of a JSON schema (enough for every contracts model)."""
    if "$ref" in schema:
        return sample(defs[schema["$ref"].split("/")[-1]], defs)
    if "anyOf" in schema:
        return sample(next(s for s in schema["anyOf"] if s.get("type") != "null"), defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: sample(props[name], defs) for name in props}
    if kind == "array":
        return [sample(schema["items"], defs)]
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "date-time":
            return NOW.isoformat()
        if schema.get("minLength") == 3 and schema.get("maxLength") == 3:
            return "EUR"
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    return None


def build(cls: type[Event]) -> Event:
    schema = cls.model_json_schema()
    return cls.model_validate(sample(schema, schema.get("$defs", {})))


def test_every_event_of_the_architecture_exists() -> None:
    assert set(event_types()) >= EXPECTED


@pytest.mark.parametrize("name", sorted(event_types()))
def test_event_round_trips_through_its_envelope(name: str) -> None:
    event = build(event_types()[name])
    envelope = CloudEvent.wrap(
        event, source="test", time=NOW, traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    )
    decoded = decode_event(envelope.model_dump_json())
    assert decoded == envelope
    assert decoded.type == name
    assert decoded.subject == event.key()
    assert event.topic in topics.ALL


def test_envelope_times_are_normalised_to_utc() -> None:
    event = build(event_types()["BookingCancelled"])
    local = NOW.astimezone(timezone(timedelta(hours=2)))
    envelope = CloudEvent.wrap(event, source="test", time=local)
    assert envelope.time.utcoffset() == timedelta(0)
    assert envelope.time == NOW


def test_naive_datetimes_are_rejected() -> None:
    raw = json.loads(
        CloudEvent.wrap(
            build(event_types()["BookingCancelled"]), source="t", time=NOW
        ).model_dump_json()
    )
    raw["time"] = "2026-11-21T09:30:00"
    with pytest.raises(UndecodableEventError):
        decode_event(json.dumps(raw))


def test_unknown_type_is_reported_as_unknown_not_garbage() -> None:
    raw = json.loads(
        CloudEvent.wrap(
            build(event_types()["BookingCancelled"]), source="t", time=NOW
        ).model_dump_json()
    )
    raw["type"] = "BookingTeleported"
    with pytest.raises(UnknownEventTypeError):
        decode_event(json.dumps(raw))


@pytest.mark.parametrize("raw", [b"", b"not json", b"{}", b'{"specversion": "1.0"}'])
def test_garbage_is_undecodable(raw: bytes) -> None:
    with pytest.raises(UndecodableEventError):
        decode_event(raw)


def test_payload_missing_a_required_field_is_undecodable() -> None:
    raw = json.loads(
        CloudEvent.wrap(
            build(event_types()["PaymentCaptured"]), source="t", time=NOW
        ).model_dump_json()
    )
    del raw["data"]["amount"]
    with pytest.raises(UndecodableEventError):
        decode_event(json.dumps(raw))


def test_consumers_ignore_fields_added_by_newer_producers() -> None:
    raw = json.loads(
        CloudEvent.wrap(build(event_types()["TripStarted"]), source="t", time=NOW).model_dump_json()
    )
    raw["data"]["helmet_detected"] = True
    assert decode_event(json.dumps(raw)).type == "TripStarted"


def test_committed_json_schemas_match_the_models() -> None:
    stale = schemas.diff(schemas.DEFAULT_DIR)
    assert stale == [], f"run `uv run contracts-schemas` and commit: {stale}"


def test_schema_check_notices_a_changed_file(tmp_path: Path) -> None:
    schemas.write(tmp_path)
    assert schemas.diff(tmp_path) == []
    target = next(tmp_path.rglob("BookingConfirmed.json"))
    target.write_text(target.read_text().replace("confirmation_code", "code"))
    (tmp_path / "events" / "Old.json").write_text("{}")
    assert sorted(schemas.diff(tmp_path)) == sorted(
        [str(target.relative_to(tmp_path)), "events/Old.json"]
    )
