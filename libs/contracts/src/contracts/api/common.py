"""Shapes reused by several service APIs."""

from __future__ import annotations

from pydantic import Field

from contracts.base import ContractModel
from contracts.types import Money


class PriceRead(ContractModel):
    """What a vehicle costs right now (or under a quote): unlock fee + per-minute rate."""

    unlock_fee: Money
    per_minute: Money
    surge_multiplier: float = Field(default=1.0, ge=1.0)
