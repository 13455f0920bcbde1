"""Vehicle agent settings (env prefix VEHICLE_AGENT_). Built once by the CLI, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _pem_or_path(value: str) -> str:
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError("expected a PEM key or the path of a PEM file")
    return path.read_text().strip()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VEHICLE_AGENT_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    mqtt_host: str
    mqtt_port: int = 1883
    mqtt_keepalive_s: int = Field(default=30, ge=5)
    reconnect_min_s: float = Field(default=0.5, gt=0)
    reconnect_max_s: float = Field(default=10.0, gt=0)
    command_public_key: str
    """The platform's command-signing public key (PEM text or path): the only key obeyed."""
    mqtt_password: SecretStr | None = None
    """This vehicle's broker password (`run`). Or derive it from `mqtt_secret_file` (dev)."""
    mqtt_secret_file: Path | None = None
    """Dev only: the shared secret the platform derives vehicle passwords from (simulator)."""
    heartbeat_interval_s: float = Field(default=10.0, gt=0)
    trip_speed_kmh: float = Field(default=15.0, ge=0)
    battery_drain_pct_per_km: float = Field(default=1.5, ge=0)
    fleet_url: str | None = None
    """Fleet base URL for `GET /internal/vehicles` (simulator)."""
    service_private_key: SecretStr | None = None
    """PEM text or path: signs the simulator's service token for fleet."""
    connect_rate_per_s: float = Field(default=300.0, gt=0)
    """Simulator: new broker connections per second (no connect storm on the broker)."""

    @field_validator("command_public_key")
    @classmethod
    def _load_public(cls, value: str) -> str:
        return _pem_or_path(value)

    @field_validator("service_private_key")
    @classmethod
    def _load_private(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else SecretStr(_pem_or_path(value.get_secret_value()))

    @model_validator(mode="after")
    def _one_credential_source(self) -> Settings:
        if self.mqtt_password is None and self.mqtt_secret_file is None:
            raise ValueError("set VEHICLE_AGENT_MQTT_PASSWORD or VEHICLE_AGENT_MQTT_SECRET_FILE")
        return self

    def mqtt_secret(self) -> str | None:
        if self.mqtt_secret_file is None:
            return None
        return self.mqtt_secret_file.read_text().strip()
