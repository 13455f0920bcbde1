"""Booking's tables. The outbox and inbox tables come from the platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from mobility_platform.db import new_metadata
from mobility_platform.messaging_tables import add_messaging_tables
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = new_metadata()
outbox, inbox = add_messaging_tables(metadata)

Timestamp = DateTime(timezone=True)
STATUSES = (
    "scheduled",
    "pending_payment",
    "confirmed",
    "active",
    "completed",
    "cancelled",
    "expired",
    "failed",
)


class Base(DeclarativeBase):
    metadata = metadata


class BookingRow(Base):
    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")", name="status"),
        Index("ix_booking_rider_created", "rider_id", "created_at"),
        Index(
            "ix_booking_hold_due",
            "hold_until",
            postgresql_where=text("status = 'pending_payment'"),
        ),
        Index(
            "ix_booking_unlock_due",
            "unlock_deadline",
            postgresql_where=text("status = 'confirmed'"),
        ),
        # Belt and braces against double-booking: fleet's conditional UPDATE is the real
        # lock, but one vehicle can never have two live bookings here either.
        Index(
            "uq_booking_live_vehicle",
            "vehicle_id",
            unique=True,
            postgresql_where=text("status IN ('pending_payment', 'confirmed', 'active')"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    rider_id: Mapped[UUID]
    vehicle_id: Mapped[UUID]
    vehicle_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    estimated_duration_min: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[datetime | None] = mapped_column(Timestamp)
    hold_until: Mapped[datetime | None] = mapped_column(Timestamp)
    unlock_deadline: Mapped[datetime | None] = mapped_column(Timestamp)
    confirmation_code: Mapped[str | None] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    promotion_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    payment_id: Mapped[UUID | None]
    rider_contact: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reservation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    quote: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    payment: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    trip: Mapped[dict[str, Any]] = mapped_column(JSONB)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class IdempotencyKeyRow(Base):
    """One rider request under an Idempotency-Key (rocket-rides' idempotency_keys)."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        UniqueConstraint("rider_id", "key", name="uq_idempotency_key_rider_id_key"),
        Index(
            "ix_idempotency_key_unfinished",
            "locked_at",
            postgresql_where=text("response_status IS NULL"),
        ),
        Index("ix_idempotency_key_created_at", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    rider_id: Mapped[UUID]
    key: Mapped[str] = mapped_column(String(255))
    request_method: Mapped[str] = mapped_column(String(8))
    request_path: Mapped[str] = mapped_column(Text)
    operation: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    rider_contact: Mapped[dict[str, Any]] = mapped_column(JSONB)
    resource_id: Mapped[UUID]
    recovery_point: Mapped[str] = mapped_column(String(32))
    recovery_data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    locked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_run_at: Mapped[datetime | None] = mapped_column(Timestamp)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)


class BookingTaskRow(Base):
    """The job queue: scheduled promotions, compensations, trip billing."""

    __tablename__ = "booking_task"
    __table_args__ = (
        UniqueConstraint("booking_id", "kind", name="uq_booking_task_booking_id_kind"),
        Index("ix_booking_task_due", "run_at", postgresql_where=text("done_at IS NULL")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    booking_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(32))
    args: Mapped[dict[str, Any]] = mapped_column(JSONB)
    run_at: Mapped[datetime] = mapped_column(Timestamp)
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    done_at: Mapped[datetime | None] = mapped_column(Timestamp)
