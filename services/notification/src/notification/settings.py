"""Notification settings: platform base + its own settings (env prefix NOTIFICATION_)."""

from __future__ import annotations

from mobility_platform.settings import PlatformSettings
from pydantic_settings import SettingsConfigDict


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATION_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "notification"
