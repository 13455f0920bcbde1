"""Booking settings: the platform base plus what only booking needs (env prefix BOOKING_)."""

from __future__ import annotations

from pathlib import Path

from mobility_platform.settings import PlatformSettings
from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict


def _pem_or_path(value: str) -> str:
    """Accept a PEM text or the path of a PEM file (keys are mounted as files)."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError("expected a PEM key or the path of a PEM file")
    return path.read_text().strip()


class BookingRules(BaseModel):
    """Business timings and limits (all in seconds unless named otherwise)."""

    reservation_hold_s: int = Field(default=300, ge=1)
    """How long an unpaid booking holds its vehicle before it expires."""
    unlock_window_s: int = Field(default=600, ge=1)
    """How long a confirmed booking waits for its unlock before it expires."""
    payment_attempts: int = Field(default=1, ge=1, le=10)
    """Declines tolerated per booking: below this the rider may confirm again while the hold
    lives; reaching it cancels the booking and releases the vehicle."""
    rate_limit_per_window: int = Field(default=10, ge=1)
    rate_limit_window_s: int = Field(default=60, ge=1)
    scheduled_lead_s: int = Field(default=0, ge=0)
    """Promote a scheduled booking this long before its start time."""
    scheduled_min_advance_s: int = Field(default=60, ge=0)
    """A start_time closer than this is an immediate booking, not a scheduled one."""
    scheduled_max_advance_days: int = Field(default=30, ge=1)


class WorkerSettings(BaseModel):
    """Background loops (each safe with several replicas: FOR UPDATE SKIP LOCKED)."""

    enabled: bool = True
    poll_interval_s: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=50, ge=1, le=1000)
    task_lease_s: float = Field(default=30.0, gt=0)
    """A claimed task is invisible to other replicas this long (the worker may have died)."""
    promote_max_attempts: int = Field(default=5, ge=1)
    backoff_initial_s: float = Field(default=2.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)


class IdempotencySettings(BaseModel):
    lock_timeout_s: float = Field(default=90.0, gt=0)
    """A key locked longer than this belongs to a crashed request: it may be resumed."""
    wait_s: float = Field(default=2.0, ge=0)
    """A concurrent duplicate waits this long for the first request, then gets 409."""
    completer_interval_s: float = Field(default=5.0, gt=0)
    retention_h: int = Field(default=72, ge=1)
    reaper_interval_s: float = Field(default=600.0, gt=0)


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(
        env_prefix="BOOKING_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "booking"
    fleet_url: AnyHttpUrl
    pricing_url: AnyHttpUrl
    payment_url: AnyHttpUrl
    receipt_private_key: SecretStr
    receipt_public_key: str
    receipt_key_id: str = "receipt-1"
    rules: BookingRules = BookingRules()
    workers: WorkerSettings = WorkerSettings()
    idempotency: IdempotencySettings = IdempotencySettings()
    consumer_enabled: bool = True

    @field_validator("receipt_public_key")
    @classmethod
    def _load_public(cls, value: str) -> str:
        return _pem_or_path(value)

    @field_validator("receipt_private_key")
    @classmethod
    def _load_private(cls, value: SecretStr) -> SecretStr:
        return SecretStr(_pem_or_path(value.get_secret_value()))
