"""Firebase Cloud Messaging HTTP v1: OAuth2 service-account token + `messages:send`.

Hand-written on httpx + PyJWT (both already in the platform) rather than google-auth: google-auth's
transports are synchronous (requests) or aiohttp, and all we need is one signed JWT exchanged
for an access token, cached until shortly before it expires.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from notification.settings import FcmSettings

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class FcmResult:
    """What FCM said about one device token."""

    ok: bool
    name: str | None = None
    """`projects/<p>/messages/<id>` on success."""
    retryable: bool = False
    unregistered: bool = False
    """The token is dead (app uninstalled): forget it."""
    error: str | None = None


class FcmClient:
    def __init__(self, settings: FcmSettings, http: httpx.AsyncClient) -> None:
        if not settings.configured or settings.project_id is None:
            raise ValueError("FCM is not configured")
        self._s = settings
        self._http = http
        self._account = settings.service_account()
        self._token = ""
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    async def send(self, token: str, *, title: str, body: str, data: dict[str, str]) -> FcmResult:
        payload = {
            "message": {
                "token": token,
                "notification": {"title": title, "body": body},
                "data": data,
                "android": {"priority": "high"},
            }
        }
        url = f"{self._s.endpoint}/v1/projects/{self._s.project_id}/messages:send"
        try:
            response = await self._post(url, payload)
            if response.status_code == 401:  # token revoked or expired early: one fresh try
                self._token_expires = 0.0
                response = await self._post(url, payload)
        except (httpx.HTTPError, jwt.PyJWTError) as exc:
            return FcmResult(ok=False, retryable=True, error=f"{type(exc).__name__}: {exc}")
        return _result(response)

    async def _post(self, url: str, payload: dict[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self._access_token()}"}
        return await self._http.post(url, json=payload, headers=headers, timeout=self._s.timeout_s)

    async def _access_token(self) -> str:
        async with self._token_lock:  # one refresh at a time, however many sends wait on it
            if self._token and time.time() < self._token_expires - 60:
                return self._token
            return await self._refresh_token()

    async def _refresh_token(self) -> str:
        now = time.time()
        token_uri = self._account.get("token_uri", GOOGLE_TOKEN_URI)
        assertion = jwt.encode(
            {
                "iss": self._account["client_email"],
                "scope": SCOPE,
                "aud": token_uri,
                "iat": int(now),
                "exp": int(now) + 3600,
            },
            self._account["private_key"],
            algorithm="RS256",
            headers={"kid": self._account.get("private_key_id", "")},
        )
        response = await self._http.post(
            token_uri,
            data={"grant_type": JWT_BEARER, "assertion": assertion},
            timeout=self._s.timeout_s,
        )
        response.raise_for_status()
        body = response.json()
        self._token = str(body["access_token"])
        self._token_expires = now + float(body.get("expires_in", 3600))
        return self._token


def _result(response: httpx.Response) -> FcmResult:
    if response.is_success:
        return FcmResult(ok=True, name=str(response.json().get("name", "")))
    status = _error_status(response)
    error = f"FCM {response.status_code} {status}".strip()
    if response.status_code == 404 or status == "UNREGISTERED":
        return FcmResult(ok=False, unregistered=True, error=error)
    retryable = response.status_code in (401, 429) or response.status_code >= 500
    return FcmResult(ok=False, retryable=retryable, error=error)


def _error_status(response: httpx.Response) -> str:
    """The FCM error code (`UNREGISTERED`, `INVALID_ARGUMENT`, ...) if the body has one."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return ""
    for detail in error.get("details", []):
        if isinstance(detail, dict) and detail.get("errorCode"):
            return str(detail["errorCode"])
    return str(error.get("status", ""))
