"""IoT gateway settings: platform base + gateway-only settings (env prefix IOT_GATEWAY_)."""

from __future__ import annotations

from pathlib import Path

from mobility_platform.settings import PlatformSettings
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict


def pem_or_path(value: SecretStr) -> SecretStr:
    """Accept a PEM text or the path of a PEM file (keys are often mounted as files)."""
    text = value.get_secret_value().strip()
    if text.startswith("-----BEGIN"):
        return SecretStr(text)
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError("expected a PEM key or the path of a PEM file")
    return SecretStr(path.read_text().strip())


class MqttSettings(BaseModel):
    """The gateway's own broker account (ACL: readwrite vehicles/#)."""

    host: str
    port: int = 1883
    username: str = "iot-gateway"
    password: SecretStr
    client_id_prefix: str = "iot-gateway"
    """A random suffix is added per process so replicas never kick each other off."""
    keepalive_s: int = Field(default=15, ge=5)
    reconnect_min_s: float = Field(default=0.2, gt=0)
    reconnect_max_s: float = Field(default=5.0, gt=0)
    shared_group: str | None = None
    """With replicas, set e.g. `iot-gateway`: telemetry is then read through
    `$share/<group>/...` and each heartbeat reaches ONE replica. Off by default because dev
    and e2e stacks share one broker and must not split each other's heartbeats."""


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(
        env_prefix="IOT_GATEWAY_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "iot-gateway"
    mqtt: MqttSettings
    command_signing_key: SecretStr
    """The platform's Ed25519 private key (PEM text or path) that vehicles trust."""
    command_signing_key_id: str = "platform-1"
    command_timeout_ms: int = Field(default=5_000, ge=100, le=30_000)
    """How long the command API waits for the vehicle's ack unless the request says otherwise."""
    command_expiry_grace_s: float = Field(default=5.0, ge=0)
    """A command expires this long after its ack deadline: a late delivery cannot actuate."""
    telemetry_flush_interval_s: float = Field(default=1.0, gt=0)
    """Heartbeats are buffered (latest per vehicle) and written in one statement this often."""
    telemetry_event_interval_s: float = Field(default=30.0, ge=0)
    """At most one VehicleTelemetry event per vehicle this often."""
    offline_after_s: float = Field(default=300.0, gt=0)
    offline_check_interval_s: float = Field(default=15.0, gt=0)
    offline_batch_size: int = Field(default=500, ge=1, le=10_000)

    @field_validator("command_signing_key")
    @classmethod
    def _load_key(cls, value: SecretStr) -> SecretStr:
        return pem_or_path(value)
