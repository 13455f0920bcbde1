"""price rules, quotes, zone surge and booking demand

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VEHICLE_TYPES = "vehicle_type IN ('scooter', 'ebike', 'car')"


def upgrade() -> None:
    op.create_table(
        "price_rule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("city_key", sa.Text(), nullable=False),
        sa.Column("vehicle_type", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unlock_fee_minor", sa.Integer(), nullable=False),
        sa.Column("per_minute_minor", sa.Integer(), nullable=False),
        sa.Column("per_km_minor", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(VEHICLE_TYPES, name=op.f("ck_price_rule_vehicle_type")),
        sa.CheckConstraint(
            "unlock_fee_minor >= 0 AND per_minute_minor >= 0 AND "
            "(per_km_minor IS NULL OR per_km_minor >= 0)",
            name=op.f("ck_price_rule_amounts"),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_price_rule"),
        sa.UniqueConstraint(
            "city_key", "vehicle_type", "valid_from", name="uq_price_rule_city_key"
        ),
    )
    op.create_table(
        "quote",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rider_id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_type", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("city_key", sa.Text(), nullable=False),
        sa.Column("zone_id", sa.Text(), nullable=True),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unlock_fee_minor", sa.Integer(), nullable=False),
        sa.Column("per_minute_minor", sa.Integer(), nullable=False),
        sa.Column("per_km_minor", sa.Integer(), nullable=True),
        sa.Column("surge_multiplier", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("estimated_duration_min", sa.Integer(), nullable=False),
        sa.Column("estimated_amount_minor", sa.Integer(), nullable=False),
        sa.Column("authorized_amount_minor", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(VEHICLE_TYPES, name=op.f("ck_quote_vehicle_type")),
        sa.ForeignKeyConstraint(["rule_id"], ["price_rule.id"], name="fk_quote_rule_id_price_rule"),
        sa.PrimaryKeyConstraint("id", name="pk_quote"),
    )
    op.create_index("ix_quote_created_at", "quote", ["created_at"])
    op.create_index("ix_quote_vehicle_id_created_at", "quote", ["vehicle_id", "created_at"])
    op.create_table(
        "zone_surge",
        sa.Column("city_key", sa.Text(), nullable=False),
        sa.Column("zone_id", sa.Text(), nullable=False),
        sa.Column("vehicle_type", sa.Text(), nullable=False),
        sa.Column("level", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("multiplier", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("quotes", sa.Integer(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("supply", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(VEHICLE_TYPES, name=op.f("ck_zone_surge_vehicle_type")),
        sa.PrimaryKeyConstraint("city_key", "zone_id", "vehicle_type", name="pk_zone_surge"),
    )
    op.create_table(
        "surge_run",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_surge_run_singleton")),
        sa.PrimaryKeyConstraint("id", name="pk_surge_run"),
    )
    op.create_table(
        "booking_demand",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("city_key", sa.Text(), nullable=False),
        sa.Column("zone_id", sa.Text(), nullable=False),
        sa.Column("vehicle_type", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(VEHICLE_TYPES, name=op.f("ck_booking_demand_vehicle_type")),
        sa.PrimaryKeyConstraint("booking_id", name="pk_booking_demand"),
    )
    op.create_index("ix_booking_demand_occurred_at", "booking_demand", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_booking_demand_occurred_at", table_name="booking_demand")
    op.drop_table("booking_demand")
    op.drop_table("surge_run")
    op.drop_table("zone_surge")
    op.drop_index("ix_quote_vehicle_id_created_at", table_name="quote")
    op.drop_index("ix_quote_created_at", table_name="quote")
    op.drop_table("quote")
    op.drop_table("price_rule")
