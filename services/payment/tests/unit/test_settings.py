"""Settings fail fast: no Stripe key, no webhook secret, no stripe-mock shortcuts in prod."""

from __future__ import annotations

from typing import Any

import pytest
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing.plugin import AuthKeys
from payment.settings import Settings, StripeSettings
from pydantic import ValidationError


def build(auth_keys: AuthKeys, **stripe: Any) -> Settings:
    values = {"api_base": "https://api.stripe.com", "api_key": "sk_x", "webhook_secret": "whsec_x"}
    return Settings(
        database_url="postgresql+asyncpg://u:p@127.0.0.1:1/payment",  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=auth_keys.settings(),
        stripe=StripeSettings(**(values | stripe)),
        environment="prod",
    )


def test_stripe_api_key_has_no_default() -> None:
    with pytest.raises(ValidationError, match="api_key"):
        StripeSettings(api_base="https://api.stripe.com", webhook_secret="whsec_x")  # type: ignore[call-arg,arg-type]


def test_empty_webhook_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="webhook_secret"):
        StripeSettings(api_base="https://api.stripe.com", api_key="sk_x", webhook_secret=" ")  # type: ignore[arg-type]


def test_stateless_mock_is_refused_in_prod(auth_keys: AuthKeys) -> None:
    with pytest.raises(ValidationError, match="stateless_mock"):
        build(auth_keys, stateless_mock=True)


def test_secrets_do_not_leak_in_repr(auth_keys: AuthKeys) -> None:
    settings = build(auth_keys)
    assert "sk_x" not in repr(settings)
    assert settings.stripe.api_key.get_secret_value() == "sk_x"
