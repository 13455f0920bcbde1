"""The outbox and inbox tables. Each service adds them to its own metadata (and migrations)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

OUTBOX = "outbox_message"
INBOX = "processed_message"


def add_messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Define `outbox_message` and `processed_message` on the service's metadata."""
    outbox = Table(
        OUTBOX,
        metadata,
        Column("id", Uuid, primary_key=True, comment="CloudEvent id"),
        Column("seq", BigInteger, Identity(), nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("type", Text, nullable=False),
        Column("payload", JSONB, nullable=False, comment="the whole CloudEvent"),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
    )
    Index(
        "ix_outbox_message_unpublished",
        outbox.c.seq,
        postgresql_where=outbox.c.published_at.is_(None),
    )
    inbox = Table(
        INBOX,
        metadata,
        Column("consumer", Text, nullable=False),
        Column("event_id", Uuid, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    return outbox, inbox


def notify_channel(service: str) -> str:
    """The LISTEN/NOTIFY channel that wakes a service's relay."""
    return f"outbox_{service.replace('-', '_')}"
