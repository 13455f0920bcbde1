"""Every signature the platform makes or checks lives here.

- Vehicle commands travel as compact JWS (EdDSA via PyJWT) whose claims are a VehicleCommand
  plus standard `exp`/`iat`/`jti`; the vehicle verifies signature, expiry and target.
- Documents (booking receipts) are signed as Ed25519 over canonical JSON, so support can check
  a receipt a rider shows them without trusting the rider.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import jwt
from contracts.mqtt import SignedCommand, VehicleCommand
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
CLOCK_SKEW = timedelta(seconds=30)


class CommandRejectedError(Exception):
    """The vehicle must refuse this command. `reason` is a stable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _private(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("expected an Ed25519 private key")
    return key


def _public(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("expected an Ed25519 public key")
    return key


class CommandSigner:
    def __init__(self, private_key_pem: str, *, key_id: str = "platform-1") -> None:
        self._key = _private(private_key_pem)
        self._kid = key_id

    def sign(self, command: VehicleCommand) -> SignedCommand:
        claims = command.model_dump(mode="json")
        claims |= {
            "jti": claims["command_id"],
            "sub": claims["vehicle_id"],
            "iat": int(command.issued_at.timestamp()),
            "exp": int(command.expires_at.timestamp()),
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid})
        return SignedCommand(token=token)


class CommandVerifier:
    """Vehicle-side check: signature by the platform key, not expired, addressed to this vehicle."""

    def __init__(self, public_key_pem: str, *, vehicle_id: str) -> None:
        self._key = _public(public_key_pem)
        self._vehicle_id = vehicle_id

    def verify(self, signed: SignedCommand, *, now: datetime) -> VehicleCommand:
        try:
            claims = jwt.decode(
                signed.token,
                self._key,
                algorithms=[ALGORITHM],
                # time is checked below against the vehicle's injected clock, not PyJWT's
                options={
                    "require": ["exp", "iat", "jti", "sub"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidTokenError as exc:
            raise CommandRejectedError("bad_signature", str(exc)) from exc
        command = VehicleCommand.model_validate(claims)
        if command.issued_at > now + CLOCK_SKEW:
            raise CommandRejectedError("not_yet_valid", "issued in the future")
        if command.expires_at <= now:
            raise CommandRejectedError("expired", f"expired at {command.expires_at.isoformat()}")
        if str(command.vehicle_id) != self._vehicle_id:
            raise CommandRejectedError("wrong_vehicle", "command addressed to another vehicle")
        return command


def canonical_json(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_document(private_key_pem: str, document: Mapping[str, Any]) -> str:
    signature = _private(private_key_pem).sign(canonical_json(document))
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def verify_document(public_key_pem: str, document: Mapping[str, Any], signature: str) -> bool:
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        _public(public_key_pem).verify(raw, canonical_json(document))
    except (InvalidSignature, ValueError):
        return False
    return True


def vehicle_mqtt_password(secret: str, vehicle_id: str) -> str:
    """A vehicle's broker password, derived so provisioning and the simulator agree."""
    mac = hmac.new(secret.encode(), vehicle_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()[:32]
