"""The knobs the use cases need, as one immutable value built from Settings in app.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from pricing.domain.quotes import AuthorizationPolicy
from pricing.domain.surge import SurgePolicy, time_of_day_factor


@dataclass(frozen=True)
class PricingConfig:
    surge: SurgePolicy = field(default_factory=SurgePolicy)
    authorization: AuthorizationPolicy = field(default_factory=AuthorizationPolicy)
    quote_ttl: timedelta = timedelta(minutes=10)
    demand_window: timedelta = timedelta(minutes=10)
    recalc_interval: timedelta = timedelta(seconds=15)
    timezone: str = "Europe/Berlin"
    city_timezones: Mapping[str, str] = field(default_factory=dict)
    """city_key -> IANA zone, for cities outside `timezone`."""

    def time_of_day(self, city_key: str, now: datetime) -> Decimal:
        """The time-of-day factor for a city at `now` (bands are in the city's local time)."""
        zone = ZoneInfo(self.city_timezones.get(city_key, self.timezone))
        return time_of_day_factor(self.surge, now.astimezone(zone))
