"""postgis, zones and vehicles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "zones",
        sa.Column("id", sa.Text(), nullable=False, comment="stable label, e.g. fra-c"),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "area",
            Geography(geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('operating', 'no_parking')", name=op.f("ck_zones_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
    )
    op.create_index("ix_zones_area", "zones", ["area"], postgresql_using="gist")
    op.create_index("ix_zones_city", "zones", ["city"])
    op.create_table(
        "vehicles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column(
            "position",
            Geography(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("online", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("battery_pct", sa.SmallInteger(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column(
            "zone_id",
            sa.Text(),
            nullable=True,
            comment="operating area containing the position; NULL = outside",
        ),
        sa.Column("reserved_booking_id", sa.Uuid(), nullable=True),
        sa.Column("reserved_rider_id", sa.Uuid(), nullable=True),
        sa.Column(
            "reservation_confirmed", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("hold_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("odometer_m", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status IN ('reserved', 'in_use')) = (reserved_booking_id IS NOT NULL)",
            name=op.f("ck_vehicles_hold_matches_status"),
        ),
        sa.CheckConstraint(
            "status IN ('available', 'reserved', 'in_use', 'offline', 'maintenance')",
            name=op.f("ck_vehicles_status"),
        ),
        sa.CheckConstraint("type IN ('scooter', 'ebike', 'car')", name=op.f("ck_vehicles_type")),
        sa.CheckConstraint("battery_pct BETWEEN 0 AND 100", name=op.f("ck_vehicles_battery_pct")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
    )
    op.create_index("ix_vehicles_position", "vehicles", ["position"], postgresql_using="gist")
    op.create_index("ix_vehicles_city_id", "vehicles", ["city", "id"])
    op.create_index(
        "ix_vehicles_hold_until_reserved",
        "vehicles",
        ["hold_until"],
        postgresql_where=sa.text("status = 'reserved'"),
    )


def downgrade() -> None:
    op.drop_index("ix_vehicles_hold_until_reserved", table_name="vehicles")
    op.drop_index("ix_vehicles_city_id", table_name="vehicles")
    op.drop_index("ix_vehicles_position", table_name="vehicles")
    op.drop_table("vehicles")
    op.drop_index("ix_zones_city", table_name="zones")
    op.drop_index("ix_zones_area", table_name="zones")
    op.drop_table("zones")
    # The postgis extension stays: it may predate this revision (the dev infra creates it in
    # the fleet database) and dropping it needs privileges a service account should not have.
