from __future__ import annotations

import json
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from uuid import uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from notification.channels import _by_code, build_email
from notification.domain import (
    Channel,
    NotificationKind,
    OutgoingMessage,
    PermanentFailure,
    Sent,
    Suppressed,
    SuppressionReason,
    TransientFailure,
)
from notification.fcm import FcmClient
from notification.push import PushSender
from notification.settings import FcmSettings, SmsSettings
from notification.sms import TwilioSmsSender
from notification_fakes import FakeDevices, FakeLiveStreams, new_rider
from pydantic import SecretStr


def message(
    channel: Channel, content: dict[str, str], address: str | None = None
) -> OutgoingMessage:
    delivery_id = uuid4()
    return OutgoingMessage(
        delivery_id=delivery_id,
        notification_id=uuid4(),  # type: ignore[arg-type]
        rider_id=new_rider(),
        kind=NotificationKind.BOOKING_CONFIRMED,
        channel=channel,
        address=address,
        content=content,
        message_id=f"<{delivery_id}@test>",
        booking_id=uuid4(),  # type: ignore[arg-type]
        source_event_id=uuid4(),
        attempts=1,
        created_at=datetime(2026, 11, 21, tzinfo=UTC),
    )


PUSH = {"title": "Reserved", "body": "Code K7"}


def test_an_email_is_multipart_with_the_deliverys_stable_message_id() -> None:
    msg = message(Channel.EMAIL, {"subject": "Hi", "text": "plain", "html": "<p>html</p>"}, "a@b.c")
    parsed: Message = message_from_bytes(build_email(msg, sender="X <x@y.z>").as_bytes())
    assert parsed["Message-ID"] == msg.message_id
    assert parsed["To"] == "a@b.c"
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.get_payload()] == ["text/plain", "text/html"]  # type: ignore[union-attr]
    again = build_email(msg, sender="X <x@y.z>")
    assert again["Message-ID"] == parsed["Message-ID"]


def test_smtp_5xx_is_permanent_and_4xx_is_retried() -> None:
    assert isinstance(_by_code(550, "no such user"), PermanentFailure)
    assert isinstance(_by_code(451, "try later"), TransientFailure)


async def test_push_without_listener_or_fcm_is_suppressed_with_the_reason() -> None:
    outcome = await PushSender(FakeLiveStreams(0), FakeDevices(), None).send(
        message(Channel.PUSH, PUSH)
    )
    assert outcome == Suppressed(
        SuppressionReason.NO_PUSH_TARGET, "no live stream; FCM not configured"
    )


async def test_push_to_a_live_stream_counts_as_sent() -> None:
    streams = FakeLiveStreams(2)
    outcome = await PushSender(streams, FakeDevices(), None).send(message(Channel.PUSH, PUSH))
    assert outcome == Sent(provider_id="sse:2")
    assert streams.published[0].title == "Reserved"


# --- FCM HTTP v1 ---------------------------------------------------------------------------


def service_account() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    info = {
        "client_email": "push@proj.iam.gserviceaccount.com",
        "private_key": pem,
        "token_uri": "https://oauth2.example/token",
    }
    return json.dumps(info), public


class FakeGoogle:
    """Token endpoint + FCM messages:send, answering per device token."""

    def __init__(self, public_key: str, answers: dict[str, httpx.Response]) -> None:
        self.public_key = public_key
        self.answers = answers
        self.token_requests = 0
        self.sent: list[dict[str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            self.token_requests += 1
            form = dict(httpx.QueryParams(request.content.decode()))
            claims = jwt.decode(
                form["assertion"], self.public_key, algorithms=["RS256"], audience=str(request.url)
            )
            assert claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging"
            return httpx.Response(200, json={"access_token": "ya29.t", "expires_in": 3600})
        assert request.headers["Authorization"] == "Bearer ya29.t"
        assert request.url.path == "/v1/projects/proj/messages:send"
        body = json.loads(request.content)
        self.sent.append(body)
        return self.answers[body["message"]["token"]]


def fcm_client(google: FakeGoogle, credentials: str) -> FcmClient:
    settings = FcmSettings(
        project_id="proj", credentials_json=SecretStr(credentials), endpoint="https://fcm.example"
    )
    return FcmClient(settings, httpx.AsyncClient(transport=httpx.MockTransport(google)))


async def test_fcm_sends_to_every_device_and_forgets_unregistered_tokens() -> None:
    credentials, public = service_account()
    unregistered = {"error": {"status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}}
    google = FakeGoogle(
        public,
        {
            "tok-ok-123": httpx.Response(200, json={"name": "projects/proj/messages/1"}),
            "tok-dead-45": httpx.Response(404, json=unregistered),
        },
    )
    devices = FakeDevices()
    rider = new_rider()
    push = message(Channel.PUSH, PUSH)
    push = OutgoingMessage(**{**push.__dict__, "rider_id": rider})
    for token in ("tok-ok-123", "tok-dead-45"):
        await devices.add(
            device_id=uuid4(), rider_id=rider, token=token, platform="android", now=push.created_at
        )
    outcome = await PushSender(FakeLiveStreams(0), devices, fcm_client(google, credentials)).send(
        push
    )
    assert isinstance(outcome, Sent)
    assert outcome.provider_id == "projects/proj/messages/1"
    assert "UNREGISTERED" in (outcome.note or "")
    assert await devices.tokens(rider) == ["tok-ok-123"]
    assert google.token_requests == 1  # the access token is cached
    assert google.sent[0]["message"]["notification"] == {"title": "Reserved", "body": "Code K7"}  # type: ignore[index]


async def test_fcm_server_errors_are_retried() -> None:
    credentials, public = service_account()
    google = FakeGoogle(public, {"tok-1234567": httpx.Response(503, json={})})
    devices = FakeDevices()
    push = message(Channel.PUSH, PUSH)
    await devices.add(
        device_id=uuid4(),
        rider_id=push.rider_id,
        token="tok-1234567",
        platform="ios",
        now=push.created_at,
    )
    outcome = await PushSender(FakeLiveStreams(0), devices, fcm_client(google, credentials)).send(
        push
    )
    assert isinstance(outcome, TransientFailure)


def test_fcm_settings_refuse_credentials_without_a_key() -> None:
    with pytest.raises(ValueError, match="private_key"):
        FcmSettings(project_id="p", credentials_json=SecretStr('{"client_email": "x"}'))
    assert not FcmSettings().configured


# --- SMS ----------------------------------------------------------------------------------


def sms_sender(handler) -> TwilioSmsSender:  # type: ignore[no-untyped-def]
    settings = SmsSettings(
        base_url="https://sms.example/2010-04-01",
        account_sid="AC123",
        auth_token=SecretStr("secret"),
        from_number="+15005550006",
    )
    return TwilioSmsSender(settings, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_sms_posts_the_text_and_keeps_the_provider_sid() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"sid": "SM42", "status": "queued"})

    outcome = await sms_sender(handler).send(message(Channel.SMS, {"text": "Hi"}, "+4915112345678"))
    assert outcome == Sent(provider_id="SM42")
    assert seen[0].url.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert dict(httpx.QueryParams(seen[0].content.decode())) == {
        "To": "+4915112345678",
        "From": "+15005550006",
        "Body": "Hi",
    }
    assert seen[0].headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("status", "expected"),
    [(400, PermanentFailure), (429, TransientFailure), (503, TransientFailure)],
)
async def test_sms_errors_are_classified(status: int, expected: type) -> None:
    sender = sms_sender(lambda request: httpx.Response(status, json={"message": "nope"}))
    outcome = await sender.send(message(Channel.SMS, {"text": "Hi"}, "+4915112345678"))
    assert isinstance(outcome, expected)


def test_sms_is_not_configured_without_an_account() -> None:
    assert not SmsSettings().configured
