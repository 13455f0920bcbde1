"""Integer minor units and explicit rounding: money is never a float here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ONE = Decimal(1)
CENT = Decimal("0.01")


def round_half_up(value: Decimal) -> int:
    """The nearest whole minor unit, halves away from zero (commercial rounding)."""
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


def quantize(value: Decimal, step: Decimal = CENT) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))
