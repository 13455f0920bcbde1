"""Pricing's tables. The outbox and inbox tables come from the platform."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from mobility_platform.db import new_metadata
from mobility_platform.messaging_tables import add_messaging_tables
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = new_metadata()
outbox, inbox = add_messaging_tables(metadata)

VEHICLE_TYPES = "vehicle_type IN ('scooter', 'ebike', 'car')"


class Base(DeclarativeBase):
    metadata = metadata


class PriceRuleRow(Base):
    """One immutable version of a tariff; the version in force is the latest valid_from <= now."""

    __tablename__ = "price_rule"
    __table_args__ = (
        UniqueConstraint("city_key", "vehicle_type", "valid_from"),
        CheckConstraint(VEHICLE_TYPES, name="vehicle_type"),
        CheckConstraint(
            "unlock_fee_minor >= 0 AND per_minute_minor >= 0 AND "
            "(per_km_minor IS NULL OR per_km_minor >= 0)",
            name="amounts",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(Text)
    city_key: Mapped[str] = mapped_column(Text)
    vehicle_type: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    unlock_fee_minor: Mapped[int] = mapped_column(Integer)
    per_minute_minor: Mapped[int] = mapped_column(Integer)
    per_km_minor: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class QuoteRow(Base):
    """A price lock: the rates and amounts are a snapshot, so later rule changes never touch it."""

    __tablename__ = "quote"
    __table_args__ = (
        CheckConstraint(VEHICLE_TYPES, name="vehicle_type"),
        Index("ix_quote_created_at", "created_at"),
        Index("ix_quote_vehicle_id_created_at", "vehicle_id", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    rider_id: Mapped[UUID]
    vehicle_id: Mapped[UUID]
    vehicle_type: Mapped[str] = mapped_column(Text)
    city: Mapped[str] = mapped_column(Text)
    city_key: Mapped[str] = mapped_column(Text)
    zone_id: Mapped[str | None] = mapped_column(Text)
    rule_id: Mapped[UUID] = mapped_column(ForeignKey("price_rule.id"))
    currency: Mapped[str] = mapped_column(String(3))
    unlock_fee_minor: Mapped[int] = mapped_column(Integer)
    per_minute_minor: Mapped[int] = mapped_column(Integer)
    per_km_minor: Mapped[int | None] = mapped_column(Integer)
    surge_multiplier: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    estimated_duration_min: Mapped[int] = mapped_column(Integer)
    estimated_amount_minor: Mapped[int] = mapped_column(Integer)
    authorized_amount_minor: Mapped[int] = mapped_column(Integer)
    booking_id: Mapped[UUID | None]
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ZoneSurgeRow(Base):
    """The smoothed surge of one zone and vehicle type, with the signals of its last update."""

    __tablename__ = "zone_surge"
    __table_args__ = (CheckConstraint(VEHICLE_TYPES, name="vehicle_type"),)

    city_key: Mapped[str] = mapped_column(Text, primary_key=True)
    zone_id: Mapped[str] = mapped_column(Text, primary_key=True)
    vehicle_type: Mapped[str] = mapped_column(Text, primary_key=True)
    level: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    multiplier: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    searches: Mapped[int] = mapped_column(Integer)
    quotes: Mapped[int] = mapped_column(Integer)
    bookings: Mapped[int] = mapped_column(Integer)
    supply: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SurgeRunRow(Base):
    """A single row: when surge was last recalculated (by whichever replica claimed the run)."""

    __tablename__ = "surge_run"
    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    ran_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BookingDemandRow(Base):
    """A booking seen on booking.events.v1 (demand signal), at most once per booking."""

    __tablename__ = "booking_demand"
    __table_args__ = (
        CheckConstraint(VEHICLE_TYPES, name="vehicle_type"),
        Index("ix_booking_demand_occurred_at", "occurred_at"),
    )

    booking_id: Mapped[UUID] = mapped_column(primary_key=True)
    city_key: Mapped[str] = mapped_column(Text)
    zone_id: Mapped[str] = mapped_column(Text)
    vehicle_type: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
