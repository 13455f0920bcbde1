"""recipients, devices and the delivery log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "recipient",
        sa.Column("rider_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("locale", sa.Text(), server_default=sa.text("'en'"), nullable=False),
        sa.Column(
            "disabled_channels",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "muted_kinds",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "rider_managed",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
            comment="the rider saved settings: token/event contact no longer overwrites them",
        ),
        *_timestamps(),
        sa.PrimaryKeyConstraint("rider_id", name="pk_recipient"),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rider_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False, comment="FCM registration token"),
        sa.Column("platform", sa.Text(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("platform IN ('android', 'ios', 'web')", name="ck_device_platform"),
        sa.PrimaryKeyConstraint("id", name="pk_device"),
        sa.UniqueConstraint("token", name="uq_device_token"),
    )
    op.create_index("ix_device_rider_id", "device", ["rider_id"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("rider_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True, comment="why suppressed or failed"),
        sa.Column(
            "address",
            sa.Text(),
            nullable=True,
            comment="e-mail address / phone number / rider id (push)",
        ),
        sa.Column(
            "content",
            postgresql.JSONB(),
            nullable=False,
            comment="rendered text for this channel",
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "provider_id",
            sa.Text(),
            nullable=True,
            comment="SMTP queue reply, FCM message name, SMS sid",
        ),
        sa.Column("message_id", sa.Text(), nullable=False, comment="stable RFC 5322 Message-ID"),
        sa.Column("source_event_id", sa.Uuid(), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'suppressed')", name="ck_delivery_status"
        ),
        sa.CheckConstraint("channel IN ('email', 'push', 'sms')", name="ck_delivery_channel"),
        sa.PrimaryKeyConstraint("id", name="pk_delivery"),
        sa.UniqueConstraint(
            "source_event_id", "kind", "channel", name="uq_delivery_source_kind_channel"
        ),
    )
    op.create_index(
        "ix_delivery_due",
        "delivery",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_delivery_rider_created", "delivery", ["rider_id", sa.text("created_at DESC")]
    )
    op.create_index("ix_delivery_booking_id", "delivery", ["booking_id"])


def downgrade() -> None:
    op.drop_index("ix_delivery_booking_id", table_name="delivery")
    op.drop_index("ix_delivery_rider_created", table_name="delivery")
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("ix_device_rider_id", table_name="device")
    op.drop_table("device")
    op.drop_table("recipient")
