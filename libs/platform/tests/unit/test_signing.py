from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from contracts.mqtt import SignedCommand, VehicleCommand
from contracts.types import CommandAction
from mobility_platform.auth import generate_keypair
from mobility_platform.signing import (
    CommandRejectedError,
    CommandSigner,
    CommandVerifier,
    sign_document,
    verify_document,
)

PRIVATE, PUBLIC = generate_keypair()
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def command(vehicle_id: uuid.UUID, *, ttl_s: int = 30) -> VehicleCommand:
    return VehicleCommand(
        command_id=uuid.uuid4(),
        vehicle_id=vehicle_id,
        action=CommandAction.UNLOCK,
        booking_id=uuid.uuid4(),
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=ttl_s),
        nonce=uuid.uuid4().hex,
    )


def test_vehicle_accepts_a_command_signed_by_the_platform() -> None:
    vehicle_id = uuid.uuid4()
    original = command(vehicle_id)
    signed = CommandSigner(PRIVATE).sign(original)
    verified = CommandVerifier(PUBLIC, vehicle_id=str(vehicle_id)).verify(signed, now=NOW)
    assert verified == original


def test_command_signed_by_another_key_is_rejected() -> None:
    vehicle_id = uuid.uuid4()
    forged = CommandSigner(generate_keypair()[0]).sign(command(vehicle_id))
    with pytest.raises(CommandRejectedError) as raised:
        CommandVerifier(PUBLIC, vehicle_id=str(vehicle_id)).verify(forged, now=NOW)
    assert raised.value.reason == "bad_signature"


def test_tampered_command_is_rejected() -> None:
    vehicle_id = uuid.uuid4()
    header, payload, signature = CommandSigner(PRIVATE).sign(command(vehicle_id)).token.split(".")
    tampered = SignedCommand(token=f"{header}.{payload[:-4]}AAAA.{signature}")
    with pytest.raises(CommandRejectedError) as raised:
        CommandVerifier(PUBLIC, vehicle_id=str(vehicle_id)).verify(tampered, now=NOW)
    assert raised.value.reason == "bad_signature"


def test_expired_command_is_rejected() -> None:
    vehicle_id = uuid.uuid4()
    signed = CommandSigner(PRIVATE).sign(command(vehicle_id, ttl_s=10))
    with pytest.raises(CommandRejectedError) as raised:
        CommandVerifier(PUBLIC, vehicle_id=str(vehicle_id)).verify(
            signed, now=NOW + timedelta(seconds=10)
        )
    assert raised.value.reason == "expired"


def test_command_for_another_vehicle_is_rejected() -> None:
    signed = CommandSigner(PRIVATE).sign(command(uuid.uuid4()))
    with pytest.raises(CommandRejectedError) as raised:
        CommandVerifier(PUBLIC, vehicle_id=str(uuid.uuid4())).verify(signed, now=NOW)
    assert raised.value.reason == "wrong_vehicle"


def test_signed_document_verifies_and_any_change_breaks_it() -> None:
    receipt = {"booking_id": "b1", "amount_minor": 450, "currency": "EUR"}
    signature = sign_document(PRIVATE, receipt)
    assert verify_document(PUBLIC, dict(reversed(receipt.items())), signature)
    assert not verify_document(PUBLIC, {**receipt, "amount_minor": 1}, signature)
    assert not verify_document(PUBLIC, receipt, signature[:-2] + "xx")
