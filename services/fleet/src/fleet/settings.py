"""Fleet settings: the platform base plus what only fleet needs (env prefix FLEET_)."""

from __future__ import annotations

from typing import Self

from mobility_platform.settings import Dependency, PlatformSettings
from pydantic import AnyHttpUrl, Field, model_validator
from pydantic_settings import SettingsConfigDict


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(
        env_prefix="FLEET_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "fleet"
    readiness_requires: frozenset[Dependency] = frozenset({"db"})
    """Search survives Redis being down and events wait in the outbox while Kafka is: only
    the database makes fleet unable to serve."""

    pricing_url: AnyHttpUrl
    iot_gateway_url: AnyHttpUrl

    # --- search --------------------------------------------------------------------------
    search_radius_default_m: int = Field(default=500, ge=1)
    search_radius_max_m: int = Field(default=5_000, ge=1)
    search_limit_default: int = Field(default=20, ge=1)
    search_limit_max: int = Field(default=100, ge=1, le=500)
    search_min_battery_pct: int = Field(default=15, ge=0, le=100)
    search_prices_enabled: bool = True
    """False: search never calls pricing (items carry price=None); for benchmarks and outages."""
    pricing_timeout_s: float = Field(default=0.3, gt=0)

    # --- search cache (Redis) ------------------------------------------------------------
    cache_prefix: str = "fleet"
    """First segment of every cache key (`fleet:search:<geohash>:<type>`)."""
    search_cell_precision: int = Field(default=6, ge=4, le=8)
    """Geohash length of a cached cell: 6 = about 0.6 x 0.8 km at 50 degrees north."""
    search_cells_per_round: int = Field(default=3, ge=1, le=100)
    """Cells read in the first Redis round trip (nearest first); each further round reads
    twice as many, until nothing unread can be nearer than what was found."""
    search_max_cells: int = Field(default=1_500, ge=1)
    """A query that would touch more cells (huge radius near a pole) goes straight to PostGIS."""
    search_cache_ttl_s: int = Field(default=30, ge=1)
    search_cache_timeout_s: float = Field(default=0.25, gt=0)
    """Redis socket timeout: long enough for a busy event loop, short enough to fall back."""
    cache_breaker_threshold: int = Field(default=3, ge=1)
    cache_breaker_reset_s: float = Field(default=5.0, gt=0)
    search_prewarm_interval_s: float = Field(default=15.0, ge=0)
    """Refresh the busiest cells this often (0 = off)."""
    search_prewarm_cells: int = Field(default=1_000, ge=1)

    # --- reservations, trips ---------------------------------------------------------------
    alternatives_count: int = Field(default=5, ge=0, le=20)
    alternatives_radius_m: int = Field(default=1_000, ge=1)
    command_timeout_ms: int = Field(default=5_000, ge=100, le=30_000)
    """How long the gateway waits for a vehicle's ack (CommandCreate.timeout_ms)."""
    sweeper_enabled: bool = True
    sweeper_interval_s: float = Field(default=5.0, gt=0)
    sweeper_batch: int = Field(default=200, ge=1)

    # --- iot events -----------------------------------------------------------------------
    iot_consumer_enabled: bool = True
    iot_consumer_name: str = "fleet-iot"
    """Kafka consumer group and inbox consumer name."""
    telemetry_move_threshold_m: float = Field(default=10.0, ge=0)
    telemetry_last_seen_every_s: float = Field(default=60.0, ge=0)
    """A heartbeat that changes nothing else writes last_seen_at at most this often."""

    @model_validator(mode="after")
    def _defaults_within_bounds(self) -> Self:
        if self.search_radius_default_m > self.search_radius_max_m:
            raise ValueError("search_radius_default_m must not exceed search_radius_max_m")
        if self.search_limit_default > self.search_limit_max:
            raise ValueError("search_limit_default must not exceed search_limit_max")
        return self
