"""Pricing settings: the platform base plus what only pricing needs (env prefix PRICING_)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contracts.types import VehicleType
from mobility_platform.settings import PlatformSettings
from pydantic import AnyHttpUrl, BaseModel, Field, model_validator
from pydantic_settings import SettingsConfigDict

from pricing import domain


class TimeBandSettings(BaseModel):
    start_hour: int = Field(ge=0, le=23)
    end_hour: int = Field(ge=0, le=24)
    factor: Decimal = Field(gt=0, le=5)


class SurgeSettings(BaseModel):
    """Surge per zone and vehicle type. Formulas: README "Pricing model"."""

    min_multiplier: Decimal = Field(default=Decimal("1.0"), ge=1)
    max_multiplier: Decimal = Field(default=Decimal("2.5"), ge=1, le=10)
    smoothing: Decimal = Field(default=Decimal("0.3"), gt=0, le=1)
    """EWMA weight of the newest target per recalculation (1 = no smoothing)."""
    threshold: Decimal = Field(default=Decimal("1.0"), ge=0)
    """Weighted demand per available vehicle below which there is no surge."""
    sensitivity: Decimal = Field(default=Decimal("0.5"), ge=0)
    """Multiplier added per unit of pressure above the threshold."""
    search_weight: Decimal = Field(default=Decimal(1), ge=0)
    quote_weight: Decimal = Field(default=Decimal(3), ge=0)
    booking_weight: Decimal = Field(default=Decimal(5), ge=0)
    demand_window_s: int = Field(default=600, ge=60)
    interval_s: float = Field(default=15.0, gt=0)
    """How often surge is recalculated (and fleet's supply polled), across all replicas."""
    time_of_day: list[TimeBandSettings] = Field(
        default_factory=lambda: [
            TimeBandSettings(start_hour=7, end_hour=10, factor=Decimal("1.15")),
            TimeBandSettings(start_hour=16, end_hour=19, factor=Decimal("1.2")),
        ]
    )
    timezone: str = "Europe/Berlin"
    city_timezones: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bounds(self) -> SurgeSettings:
        if self.max_multiplier < self.min_multiplier:
            raise ValueError("max_multiplier must be >= min_multiplier")
        for name in [self.timezone, *self.city_timezones.values()]:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown timezone {name!r}") from exc
        return self

    def policy(self) -> domain.SurgePolicy:
        return domain.SurgePolicy(
            min_multiplier=self.min_multiplier,
            max_multiplier=self.max_multiplier,
            smoothing=self.smoothing,
            threshold=self.threshold,
            sensitivity=self.sensitivity,
            search_weight=self.search_weight,
            quote_weight=self.quote_weight,
            booking_weight=self.booking_weight,
            time_bands=tuple(
                domain.TimeBand(b.start_hour, b.end_hour, b.factor) for b in self.time_of_day
            ),
        )


class QuoteSettings(BaseModel):
    """Price locks and what payment holds for them. Formulas: README "Pricing model"."""

    ttl_s: int = Field(default=600, ge=1)
    auth_buffer_factor: Decimal = Field(default=Decimal("1.5"), ge=1, le=10)
    auth_min_extra_min: int = Field(default=10, ge=0)
    """Floor: the hold covers at least this many minutes beyond the estimate."""
    auth_max_extra_min: int = Field(default=120, ge=0)
    """Cap: the hold covers at most this many minutes beyond the estimate."""
    assumed_speed_kmh: dict[VehicleType, int] = Field(
        default_factory=lambda: {
            VehicleType.SCOOTER: 12,
            VehicleType.EBIKE: 15,
            VehicleType.CAR: 25,
        }
    )
    """Distance allowance in estimates and holds, for rules that charge per km."""

    @model_validator(mode="after")
    def _cap_above_floor(self) -> QuoteSettings:
        if self.auth_max_extra_min < self.auth_min_extra_min:
            raise ValueError("auth_max_extra_min must be >= auth_min_extra_min")
        return self

    def policy(self) -> domain.AuthorizationPolicy:
        return domain.AuthorizationPolicy(
            buffer_factor=self.auth_buffer_factor,
            min_extra_min=self.auth_min_extra_min,
            max_extra_min=self.auth_max_extra_min,
            assumed_speed_kmh=dict(self.assumed_speed_kmh),
        )


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(
        env_prefix="PRICING_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "pricing"
    fleet_url: AnyHttpUrl | None = None
    """Fleet's base URL for the supply signal; None = no supply, surge stays at the floor."""
    fleet_timeout_s: float = Field(default=1.0, gt=0)
    redis_key_prefix: str = Field(default="pricing", min_length=1)
    price_cache_ttl_s: int = Field(default=60, ge=1)
    """Cached batch prices live this long at most; rule and surge changes invalidate sooner."""
    consumer_group: str = "pricing"
    surge: SurgeSettings = SurgeSettings()
    quote: QuoteSettings = QuoteSettings()

    def pricing_config(self) -> domain.PricingConfig:
        return domain.PricingConfig(
            surge=self.surge.policy(),
            authorization=self.quote.policy(),
            quote_ttl=timedelta(seconds=self.quote.ttl_s),
            demand_window=timedelta(seconds=self.surge.demand_window_s),
            recalc_interval=timedelta(seconds=self.surge.interval_s),
            timezone=self.surge.timezone,
            city_timezones={domain.city_key(k): v for k, v in self.surge.city_timezones.items()},
        )
