"""The SMS channel: a Twilio-style Messages API over httpx (form POST, basic auth)."""

from __future__ import annotations

import httpx

from notification.domain import (
    Channel,
    OutgoingMessage,
    PermanentFailure,
    SendOutcome,
    Sent,
    TransientFailure,
)
from notification.settings import SmsSettings


class TwilioSmsSender:
    """201 -> sent (provider id = message sid); 429/5xx/network -> retry; other 4xx -> failed."""

    channel = Channel.SMS

    def __init__(self, settings: SmsSettings, http: httpx.AsyncClient) -> None:
        if not settings.configured:
            raise ValueError("the SMS provider is not configured")
        sid, secret, sender = settings.account_sid, settings.auth_token, settings.from_number
        assert sid is not None
        assert secret is not None
        assert sender is not None
        self._url = f"{settings.base_url.rstrip('/')}/Accounts/{sid}/Messages.json"
        self._auth = (sid, secret.get_secret_value())
        self._from = sender
        self._timeout = settings.timeout_s
        self._http = http

    async def send(self, message: OutgoingMessage) -> SendOutcome:
        form = {"To": message.address or "", "From": self._from, "Body": message.content["text"]}
        try:
            response = await self._http.post(
                self._url, data=form, auth=self._auth, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            return TransientFailure(f"{type(exc).__name__}: {exc}")
        if response.is_success:
            return Sent(provider_id=str(_json(response).get("sid") or ""))
        error = f"SMS {response.status_code}: {_json(response).get('message', response.text[:200])}"
        if response.status_code == 429 or response.status_code >= 500:
            return TransientFailure(error)
        return PermanentFailure(error)


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
