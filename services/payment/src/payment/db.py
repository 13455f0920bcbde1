"""Payment's tables. The outbox and inbox tables come from the platform."""

from __future__ import annotations

from datetime import datetime
from typing import cast
from uuid import UUID

from mobility_platform.db import new_metadata
from mobility_platform.messaging_tables import add_messaging_tables
from sqlalchemy import BigInteger, CheckConstraint, DateTime, Integer, String, Table, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = new_metadata()
outbox, inbox = add_messaging_tables(metadata)

PAYMENT_STATUSES = (
    "requires_payment_method",
    "authorized",
    "captured",
    "voided",
    "refunded",
    "failed",
)


class Base(DeclarativeBase):
    metadata = metadata


class PaymentRow(Base):
    """One payment per booking (unique booking_id); `version` bumps on every change."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in PAYMENT_STATUSES) + ")", name="status"
        ),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "captured_minor IS NULL OR captured_minor <= amount_minor", name="capture_le_amount"
        ),
        CheckConstraint(
            "refunded_minor IS NULL OR refunded_minor <= captured_minor", name="refund_le_capture"
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    booking_id: Mapped[UUID] = mapped_column(unique=True)
    rider_id: Mapped[UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    captured_minor: Mapped[int | None] = mapped_column(BigInteger)
    refunded_minor: Mapped[int | None] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text)
    customer_ref: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(Text, unique=True)
    client_secret: Mapped[str | None] = mapped_column(Text)
    payment_method_id: Mapped[str | None] = mapped_column(Text)
    confirm_attempts: Mapped[int] = mapped_column(Integer)
    next_action: Mapped[str | None] = mapped_column(Text)
    failure_code: Mapped[str | None] = mapped_column(Text)
    failure_message: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProviderCustomerRow(Base):
    """The provider's customer for a rider (Stripe `cus_...`), created once per rider."""

    __tablename__ = "provider_customer"

    rider_id: Mapped[UUID] = mapped_column(primary_key=True)
    customer_ref: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WebhookEventRow(Base):
    """Every provider webhook applied (Stripe `evt_...`), recorded with its effect: dedupe."""

    __tablename__ = "webhook_event"

    event_id: Mapped[str] = mapped_column(Text, primary_key=True)
    event_type: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


payment = cast(Table, PaymentRow.__table__)
provider_customer = cast(Table, ProviderCustomerRow.__table__)
webhook_event = cast(Table, WebhookEventRow.__table__)
