"""reservations: one row per (vehicle, booking), the hold and the trip it became

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 10:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("rider_id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_type", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("hold_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_lat", sa.Float(), nullable=True),
        sa.Column("start_lon", sa.Float(), nullable=True),
        sa.Column("start_odometer_m", sa.BigInteger(), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_lat", sa.Float(), nullable=True),
        sa.Column("end_lon", sa.Float(), nullable=True),
        sa.Column("end_battery_pct", sa.SmallInteger(), nullable=True),
        sa.Column("distance_m", sa.BigInteger(), nullable=True),
        sa.Column("lock_acknowledged", sa.Boolean(), nullable=True),
        sa.Column("end_vehicle_status", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('held', 'confirmed', 'released', 'in_trip', 'ended')",
            name=op.f("ck_reservations_state"),
        ),
        sa.PrimaryKeyConstraint("vehicle_id", "booking_id", name=op.f("pk_reservations")),
    )
    op.create_index("ix_reservations_booking_id", "reservations", ["booking_id"])


def downgrade() -> None:
    op.drop_index("ix_reservations_booking_id", table_name="reservations")
    op.drop_table("reservations")
