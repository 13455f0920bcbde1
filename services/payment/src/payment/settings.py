"""Payment settings: the platform base plus what only payment needs (env prefix PAYMENT_)."""

from __future__ import annotations

from typing import Self

from mobility_platform.settings import PlatformSettings
from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict


class StripeSettings(BaseModel):
    """Where Stripe (or stripe-mock) answers and how hard we try. Env `PAYMENT_STRIPE__*`."""

    api_key: SecretStr
    """`sk_live_...` in production, `sk_test_123` for stripe-mock. No default: fail at startup."""
    webhook_secret: SecretStr
    """The endpoint's signing secret (`whsec_...`) used to verify `Stripe-Signature`."""
    api_base: AnyHttpUrl
    """`https://api.stripe.com` in production, the stripe-mock URL locally."""
    stateless_mock: bool = False
    """Read stripe-mock's canned answers as each call's success (see psp.py). Never in prod."""
    connect_timeout_s: float = Field(default=2.0, gt=0)
    timeout_s: float = Field(default=10.0, gt=0)
    retries: int = Field(default=2, ge=0, le=5)
    """Extra attempts on connection errors/timeouts, always with the same idempotency key."""
    backoff_initial_s: float = Field(default=0.2, gt=0)
    backoff_max_s: float = Field(default=2.0, gt=0)
    breaker_threshold: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=10.0, gt=0)
    webhook_tolerance_s: int = Field(default=300, ge=1)

    @model_validator(mode="after")
    def _key_present(self) -> Self:
        if not self.api_key.get_secret_value().strip():
            raise ValueError("stripe.api_key must not be empty")
        if not self.webhook_secret.get_secret_value().strip():
            raise ValueError("stripe.webhook_secret must not be empty")
        return self


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(
        env_prefix="PAYMENT_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "payment"
    stripe: StripeSettings

    @model_validator(mode="after")
    def _no_mock_in_prod(self) -> Self:
        if self.environment == "prod" and self.stripe.stateless_mock:
            raise ValueError("stripe.stateless_mock is for stripe-mock only, never in prod")
        return self
