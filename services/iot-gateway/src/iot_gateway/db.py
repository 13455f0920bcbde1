"""IoT gateway's tables. The outbox and inbox tables come from the platform."""

from __future__ import annotations

import uuid
from datetime import datetime

from mobility_platform.db import new_metadata
from mobility_platform.messaging_tables import add_messaging_tables
from sqlalchemy import BigInteger, DateTime, Float, Index, SmallInteger, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = new_metadata()
outbox, inbox = add_messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class VehicleCommandRow(Base):
    """Every command the gateway sent and what came of it (audit)."""

    __tablename__ = "vehicle_command"

    command_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    vehicle_id: Mapped[uuid.UUID] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(Text)
    booking_id: Mapped[uuid.UUID | None]
    nonce: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(Text, server_default=text("'pending'"))
    """pending | acknowledged | rejected | failed | timeout | broker_unavailable"""
    ack_status: Mapped[str | None] = mapped_column(Text)
    """The first ack's status (ok | rejected | failed), whenever it arrived."""
    ack_reason: Mapped[str | None] = mapped_column(Text)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VehicleAckRow(Base):
    """Every distinct ack received, including late, duplicate-status and replay rejections."""

    __tablename__ = "vehicle_ack"

    command_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(Text, primary_key=True)
    acked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    vehicle_id: Mapped[uuid.UUID] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VehicleStateRow(Base):
    """Last heartbeat per vehicle, and whether it is online."""

    __tablename__ = "vehicle_state"

    vehicle_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    online: Mapped[bool]
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """Gateway receive time (offline detection never trusts vehicle clocks)."""
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    battery_pct: Mapped[int] = mapped_column(SmallInteger)
    locked: Mapped[bool]
    speed_kmh: Mapped[float] = mapped_column(Float)
    odometer_m: Mapped[int] = mapped_column(BigInteger)
    telemetry_emitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    offline_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "ix_vehicle_state_online_last_seen",
            "last_seen_at",
            postgresql_where=text("online"),
        ),
    )
