"""Authentication: riders carry EdDSA JWTs (`sub` = rider id); services carry their own tokens.

Riders and services are verified against different public keys and audiences, so a rider
token can never pass as a service token. `/internal/*` routes depend on `require_service`
(401 without a valid token, 403 for a valid rider token); rider routes depend on
`require_rider`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

import jwt
from contracts.errors import DomainError
from contracts.types import RiderContact, RiderId
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mobility_platform.settings import AuthSettings

ALGORITHM = "EdDSA"
_bearer = HTTPBearer(auto_error=False, description="Rider or service JWT")


class AuthenticationError(DomainError):
    code = "unauthenticated"
    title = "Authentication required"
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="mobilitycorp"'}


class PermissionDeniedError(DomainError):
    code = "forbidden"
    title = "Not allowed"


AUTH_ERROR_STATUS: dict[type[DomainError], int] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
}


@dataclass(frozen=True)
class Rider:
    id: RiderId
    contact: RiderContact = field(default_factory=RiderContact)


@dataclass(frozen=True)
class ServiceIdentity:
    name: str


class TokenVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        self._s = settings
        # parsed once: PyJWT would otherwise re-parse the PEM on every request
        self._rider_key = serialization.load_pem_public_key(settings.rider_public_key.encode())
        self._service_key = serialization.load_pem_public_key(settings.service_public_key.encode())

    def rider(self, token: str) -> Rider:
        claims = self._decode(token, self._rider_key, self._s.rider_audience)
        if claims.get("iss") != self._s.rider_issuer:
            raise jwt.InvalidIssuerError("unexpected issuer")
        try:
            rider_id = RiderId(uuid.UUID(str(claims["sub"])))
        except ValueError as exc:
            raise jwt.InvalidTokenError("sub is not a rider id") from exc
        contact = RiderContact(
            email=claims.get("email"),
            name=claims.get("name"),
            phone=claims.get("phone_number"),
            locale=claims.get("locale") or "en",
        )
        return Rider(id=rider_id, contact=contact)

    def service(self, token: str) -> ServiceIdentity:
        claims = self._decode(token, self._service_key, self._s.service_audience)
        return ServiceIdentity(name=str(claims["sub"]))

    def _decode(self, token: str, key: Any, audience: str) -> dict[str, Any]:
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            leeway=self._s.leeway_s,
            options={"require": ["exp", "iat", "sub", "aud"]},
        )


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


async def require_rider(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Rider:
    if credentials is None:
        raise AuthenticationError("A rider bearer token is required.")
    try:
        return _verifier(request).rider(credentials.credentials)
    except jwt.InvalidTokenError as exc:
        raise AuthenticationError("The bearer token is not a valid rider token.") from exc


async def require_service(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ServiceIdentity:
    if credentials is None:
        raise AuthenticationError("A service bearer token is required.")
    verifier = _verifier(request)
    try:
        return verifier.service(credentials.credentials)
    except jwt.InvalidTokenError:
        pass
    try:
        verifier.rider(credentials.credentials)
    except jwt.InvalidTokenError as exc:
        raise AuthenticationError("The bearer token is not valid.") from exc
    raise PermissionDeniedError("Internal endpoints are not reachable with a rider token.")


RiderDep = Annotated[Rider, Depends(require_rider)]
ServiceDep = Annotated[ServiceIdentity, Depends(require_service)]


def internal_router(**kwargs: Any) -> APIRouter:
    """An APIRouter under /internal whose every route requires a service token."""
    return APIRouter(prefix="/internal", dependencies=[Depends(require_service)], **kwargs)


# --- minting ---------------------------------------------------------------------------------


def generate_keypair() -> tuple[str, str]:
    """A new Ed25519 key pair as (private PEM, public PEM)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def mint_rider_token(
    private_key: str,
    *,
    rider_id: uuid.UUID,
    email: str | None = None,
    name: str | None = None,
    phone: str | None = None,
    ttl_s: int = 3600,
    issuer: str = "mobilitycorp-auth",
    audience: str = "mobilitycorp-riders",
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(rider_id),
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_s,
    }
    extra = {"email": email, "name": name, "phone_number": phone}
    claims.update({k: v for k, v in extra.items() if v is not None})
    return jwt.encode(claims, private_key, algorithm=ALGORITHM)


def mint_service_token(
    private_key: str, *, service: str, audience: str = "mobilitycorp-internal", ttl_s: int = 300
) -> str:
    now = int(time.time())
    claims = {"sub": service, "aud": audience, "iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, private_key, algorithm=ALGORITHM)


class ServiceTokenProvider:
    """Caches this service's token and mints a new one before it expires."""

    def __init__(self, settings: AuthSettings, *, service: str) -> None:
        if settings.service_private_key is None:
            raise ValueError("auth.service_private_key is required to call other services")
        self._key = settings.service_private_key.get_secret_value()
        self._service = service
        self._audience = settings.service_audience
        self._ttl = settings.service_token_ttl_s
        self._token = ""
        self._refresh_at = 0.0

    def token(self) -> str:
        now = time.monotonic()
        if now >= self._refresh_at:
            self._token = mint_service_token(
                self._key, service=self._service, audience=self._audience, ttl_s=self._ttl
            )
            self._refresh_at = now + self._ttl * 0.8
        return self._token
