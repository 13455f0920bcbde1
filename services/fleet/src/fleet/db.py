"""Fleet's tables. The outbox and inbox tables come from the platform."""

from __future__ import annotations

from geoalchemy2 import Geography
from mobility_platform.db import new_metadata
from mobility_platform.messaging_tables import add_messaging_tables
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    Uuid,
    func,
    text,
)

metadata = new_metadata()
outbox, inbox = add_messaging_tables(metadata)

VEHICLE_TYPES = ("scooter", "ebike", "car")
VEHICLE_STATUSES = ("available", "reserved", "in_use", "offline", "maintenance")
ZONE_KINDS = ("operating", "no_parking")
RESERVATION_STATES = ("held", "confirmed", "released", "in_trip", "ended")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


zones = Table(
    "zones",
    metadata,
    Column("id", Text, primary_key=True, comment="stable label, e.g. fra-c"),
    Column("city", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("area", Geography("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    CheckConstraint(_one_of("kind", ZONE_KINDS), name="kind"),
)
Index("ix_zones_area", zones.c.area, postgresql_using="gist")
Index("ix_zones_city", zones.c.city)

vehicles = Table(
    "vehicles",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("type", Text, nullable=False),
    Column("position", Geography("POINT", srid=4326, spatial_index=False), nullable=False),
    Column("status", Text, nullable=False),
    Column("online", Boolean, nullable=False, server_default=text("true")),
    Column("battery_pct", SmallInteger, nullable=False),
    Column("city", Text, nullable=False),
    Column("zone_id", Text, comment="operating area containing the position; NULL = outside"),
    Column("reserved_booking_id", Uuid),
    Column("reserved_rider_id", Uuid),
    Column("reservation_confirmed", Boolean, nullable=False, server_default=text("false")),
    Column("hold_until", DateTime(timezone=True)),
    Column("last_seen_at", DateTime(timezone=True)),
    Column("odometer_m", BigInteger, nullable=False, server_default=text("0")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("type", VEHICLE_TYPES), name="type"),
    CheckConstraint(_one_of("status", VEHICLE_STATUSES), name="status"),
    CheckConstraint("battery_pct BETWEEN 0 AND 100", name="battery_pct"),
    CheckConstraint(
        "(status IN ('reserved', 'in_use')) = (reserved_booking_id IS NOT NULL)",
        name="hold_matches_status",
    ),
)
Index("ix_vehicles_position", vehicles.c.position, postgresql_using="gist")
Index("ix_vehicles_city_id", vehicles.c.city, vehicles.c.id)
Index(
    "ix_vehicles_hold_until_reserved",
    vehicles.c.hold_until,
    postgresql_where=vehicles.c.status == "reserved",
)

reservations = Table(
    "reservations",
    metadata,
    Column("vehicle_id", Uuid, nullable=False),
    Column("booking_id", Uuid, nullable=False),
    Column("rider_id", Uuid, nullable=False),
    Column("vehicle_type", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("hold_until", DateTime(timezone=True)),
    Column("reserved_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("released_at", DateTime(timezone=True)),
    Column("release_reason", Text),
    Column("unlocked_at", DateTime(timezone=True)),
    Column("start_lat", Float),
    Column("start_lon", Float),
    Column("start_odometer_m", BigInteger),
    Column("locked_at", DateTime(timezone=True)),
    Column("end_lat", Float),
    Column("end_lon", Float),
    Column("end_battery_pct", SmallInteger),
    Column("distance_m", BigInteger),
    Column("lock_acknowledged", Boolean),
    Column("end_vehicle_status", Text),
    PrimaryKeyConstraint("vehicle_id", "booking_id"),
    CheckConstraint(_one_of("state", RESERVATION_STATES), name="state"),
)
Index("ix_reservations_booking_id", reservations.c.booking_id)
