"""IoT gateway settings: platform base + gateway-only settings (env prefix IOT_GATEWAY_)."""

from __future__ import annotations

from mobility_platform.settings import PlatformSettings
from pydantic_settings import SettingsConfigDict


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(
        env_prefix="IOT_GATEWAY_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "iot-gateway"
