"""Notification's tables. The outbox and inbox tables come from the platform."""

from __future__ import annotations

from mobility_platform.db import new_metadata
from mobility_platform.messaging_tables import add_messaging_tables
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = new_metadata()
outbox, inbox = add_messaging_tables(metadata)


def _timestamps() -> list[Column[object]]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


recipient = Table(
    "recipient",
    metadata,
    Column("rider_id", Uuid, primary_key=True),
    Column("email", Text),
    Column("name", Text),
    Column("phone", Text),
    Column("locale", Text, nullable=False, server_default=text("'en'")),
    Column("disabled_channels", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("muted_kinds", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column(
        "rider_managed",
        Boolean,
        nullable=False,
        server_default=text("false"),
        comment="the rider saved settings: token/event contact no longer overwrites them",
    ),
    *_timestamps(),
)

device = Table(
    "device",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("rider_id", Uuid, nullable=False, index=True),
    Column("token", Text, nullable=False, unique=True, comment="FCM registration token"),
    Column("platform", Text, nullable=False),
    *_timestamps(),
    CheckConstraint("platform IN ('android', 'ios', 'web')", name="platform"),
)

delivery = Table(
    "delivery",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("notification_id", Uuid, nullable=False),
    Column("rider_id", Uuid, nullable=False),
    Column("kind", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason", Text, comment="why suppressed or failed"),
    Column("address", Text, comment="e-mail address / phone number / rider id (push)"),
    Column("content", JSONB, nullable=False, comment="rendered text for this channel"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("provider_id", Text, comment="SMTP queue reply, FCM message name, SMS sid"),
    Column("message_id", Text, nullable=False, comment="stable RFC 5322 Message-ID"),
    Column("source_event_id", Uuid),
    Column("booking_id", Uuid),
    Column("sent_at", DateTime(timezone=True)),
    *_timestamps(),
    CheckConstraint("status IN ('pending', 'sent', 'failed', 'suppressed')", name="status"),
    CheckConstraint("channel IN ('email', 'push', 'sms')", name="channel"),
    UniqueConstraint("source_event_id", "kind", "channel", name="uq_delivery_source_kind_channel"),
)
Index(
    "ix_delivery_due",
    delivery.c.next_attempt_at,
    postgresql_where=delivery.c.status == "pending",
)
Index("ix_delivery_rider_created", delivery.c.rider_id, delivery.c.created_at.desc())
Index("ix_delivery_booking_id", delivery.c.booking_id)
