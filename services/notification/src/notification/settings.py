"""Notification settings: platform base + its own settings (env prefix NOTIFICATION_)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts import topics
from mobility_platform.settings import PlatformSettings
from pydantic import BaseModel, Field, RedisDsn, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict


class SmtpSettings(BaseModel):
    """Where e-mail goes. `host` has no default: it differs per environment."""

    host: str
    port: int = Field(default=25, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    use_tls: bool = False
    """Implicit TLS (port 465)."""
    start_tls: bool | None = None
    """None: upgrade when the server offers STARTTLS."""
    timeout_s: float = Field(default=10.0, gt=0)
    from_address: str = "MobilityCorp <no-reply@mobilitycorp.example>"
    message_id_domain: str = "notification.mobilitycorp.example"


class FcmSettings(BaseModel):
    """Firebase Cloud Messaging HTTP v1. Unset project/credentials: push goes only to SSE."""

    project_id: str | None = None
    credentials_file: Path | None = None
    """A Google service-account JSON key file (client_email, private_key, token_uri)."""
    credentials_json: SecretStr | None = None
    """The same JSON inline (secret stores often inject it as an env var)."""
    endpoint: str = "https://fcm.googleapis.com"
    timeout_s: float = Field(default=5.0, gt=0)

    @property
    def configured(self) -> bool:
        return self.project_id is not None and (
            self.credentials_file is not None or self.credentials_json is not None
        )

    def service_account(self) -> dict[str, Any]:
        if self.credentials_json is not None:
            raw = self.credentials_json.get_secret_value()
        elif self.credentials_file is not None:
            raw = self.credentials_file.read_text()
        else:
            raise ValueError("FCM credentials are not configured")
        info: dict[str, Any] = json.loads(raw)
        return info

    @model_validator(mode="after")
    def _credentials_readable(self) -> FcmSettings:
        if self.configured:
            info = self.service_account()
            missing = {"client_email", "private_key"} - info.keys()
            if missing:
                raise ValueError(f"FCM service account lacks {sorted(missing)}")
        return self


class SmsSettings(BaseModel):
    """A Twilio-style Messages API. Unset account: SMS are logged as not sent (suppressed)."""

    base_url: str = "https://api.twilio.com/2010-04-01"
    account_sid: str | None = None
    auth_token: SecretStr | None = None
    from_number: str | None = None
    timeout_s: float = Field(default=5.0, gt=0)

    @property
    def configured(self) -> bool:
        return None not in (self.account_sid, self.auth_token, self.from_number)


class DeliverySettings(BaseModel):
    """The delivery worker: retries with exponential backoff, at most `max_attempts`."""

    max_attempts: int = Field(default=8, ge=1, le=50)
    backoff_initial_s: float = Field(default=5.0, gt=0)
    backoff_max_s: float = Field(default=900.0, gt=0)
    lease_s: float = Field(default=120.0, gt=0)
    """A claimed delivery is invisible to other workers this long (> any send timeout)."""
    batch_size: int = Field(default=50, ge=1, le=1000)
    concurrency: int = Field(default=10, ge=1, le=200)
    poll_interval_s: float = Field(default=0.5, gt=0)


class ConsumerSettings(BaseModel):
    group: str = "notification"
    """Kafka consumer group (and inbox consumer name); the topic prefix is prepended."""
    topics: tuple[str, ...] = (topics.BOOKING, topics.PAYMENT, topics.IOT)
    max_attempts: int = Field(default=5, ge=1)
    backoff_initial_s: float = Field(default=0.2, gt=0)
    backoff_max_s: float = Field(default=10.0, gt=0)


class PushStreamSettings(BaseModel):
    max_connections: int = Field(default=2000, ge=1)
    """Redis connections for live SSE streams (one per open stream)."""
    channel_prefix: str = "notification:push:"


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATION_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "notification"
    redis_url: RedisDsn  # required: the SSE fan-out between replicas runs over Redis pub/sub
    smtp: SmtpSettings
    fcm: FcmSettings = FcmSettings()
    sms: SmsSettings = SmsSettings()
    delivery: DeliverySettings = DeliverySettings()
    consumer: ConsumerSettings = ConsumerSettings()
    push_stream: PushStreamSettings = PushStreamSettings()
