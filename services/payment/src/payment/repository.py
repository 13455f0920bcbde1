"""Rows <-> domain objects. Repositories never commit: the unit of work does."""

from __future__ import annotations

from typing import Any

from contracts.types import BookingId, Money, PaymentId, PaymentStatus, RiderId
from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payment import db, domain

_T = db.payment


class ConcurrentUpdateError(RuntimeError):
    """The row changed under us although we held its lock: a bug, never a business outcome."""


def _money(minor: int | None, currency: str) -> Money | None:
    return None if minor is None else Money(amount_minor=minor, currency=currency)


def _to_domain(row: Row[Any]) -> domain.Payment:
    m = row._mapping
    return domain.Payment(
        id=PaymentId(m["id"]),
        booking_id=BookingId(m["booking_id"]),
        rider_id=RiderId(m["rider_id"]),
        amount=Money(amount_minor=m["amount_minor"], currency=m["currency"]),
        status=PaymentStatus(m["status"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        description=m["description"],
        customer_ref=m["customer_ref"],
        provider_ref=m["provider_ref"],
        client_secret=m["client_secret"],
        payment_method_id=m["payment_method_id"],
        confirm_attempts=m["confirm_attempts"],
        next_action=m["next_action"],
        captured_amount=_money(m["captured_minor"], m["currency"]),
        refunded_amount=_money(m["refunded_minor"], m["currency"]),
        failure_code=m["failure_code"],
        failure_message=m["failure_message"],
        version=m["version"],
    )


def _mutable_columns(p: domain.Payment) -> dict[str, Any]:
    return {
        "status": p.status.value,
        "captured_minor": p.captured_amount.amount_minor if p.captured_amount else None,
        "refunded_minor": p.refunded_amount.amount_minor if p.refunded_amount else None,
        "customer_ref": p.customer_ref,
        "provider_ref": p.provider_ref,
        "client_secret": p.client_secret,
        "payment_method_id": p.payment_method_id,
        "confirm_attempts": p.confirm_attempts,
        "next_action": p.next_action,
        "failure_code": p.failure_code,
        "failure_message": p.failure_message,
        "updated_at": p.updated_at,
    }


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_or_get_for_update(self, candidate: domain.Payment) -> domain.Payment:
        """Insert the booking's payment unless it exists; either way return it row-locked.

        A concurrent duplicate waits on the unique booking_id until the first commits, then
        gets the first one's row: one payment (and one provider call) per booking.
        """
        values = {
            "id": candidate.id,
            "booking_id": candidate.booking_id,
            "rider_id": candidate.rider_id,
            "currency": candidate.amount.currency,
            "amount_minor": candidate.amount.amount_minor,
            "description": candidate.description,
            "created_at": candidate.created_at,
            "version": candidate.version,
            **_mutable_columns(candidate),
        }
        stmt = insert(_T).values(values).on_conflict_do_nothing(index_elements=["booking_id"])
        await self._session.execute(stmt)
        found = await self._one(_T.c.booking_id == candidate.booking_id, lock=True)
        assert found is not None  # inserted or already there, and rows are never deleted
        return found

    async def get(self, payment_id: PaymentId) -> domain.Payment | None:
        return await self._one(_T.c.id == payment_id, lock=False)

    async def get_for_update(self, payment_id: PaymentId) -> domain.Payment | None:
        return await self._one(_T.c.id == payment_id, lock=True)

    async def get_by_booking(self, booking_id: BookingId) -> domain.Payment | None:
        return await self._one(_T.c.booking_id == booking_id, lock=False)

    async def get_by_provider_ref_for_update(self, provider_ref: str) -> domain.Payment | None:
        return await self._one(_T.c.provider_ref == provider_ref, lock=True)

    async def save(self, p: domain.Payment) -> None:
        """Write the payment's new state; the version guards against lost updates."""
        result = await self._session.execute(
            update(_T)
            .where(_T.c.id == p.id, _T.c.version == p.version)
            .values(**_mutable_columns(p), version=p.version + 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdateError(f"payment {p.id} changed concurrently")
        p.version += 1

    async def _one(self, where: Any, *, lock: bool) -> domain.Payment | None:
        stmt = select(_T).where(where)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _to_domain(row)


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, rider_id: RiderId) -> str | None:
        t = db.provider_customer
        found = await self._session.execute(
            select(t.c.customer_ref).where(t.c.rider_id == rider_id)
        )
        return found.scalar_one_or_none()

    async def add(self, rider_id: RiderId, customer_ref: str) -> str:
        """Store the rider's customer; if another request stored one first, return that one."""
        t = db.provider_customer
        await self._session.execute(
            insert(t)
            .values(rider_id=rider_id, customer_ref=customer_ref)
            .on_conflict_do_nothing(index_elements=["rider_id"])
        )
        stored = await self.get(rider_id)
        assert stored is not None
        return stored


class WebhookEventLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, event_id: str, event_type: str) -> bool:
        """True the first time an event id is seen (in this transaction's view)."""
        t = db.webhook_event
        inserted = await self._session.execute(
            insert(t)
            .values(event_id=event_id, event_type=event_type)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(t.c.event_id)
        )
        return inserted.first() is not None


__all__ = ["ConcurrentUpdateError", "CustomerRepository", "PaymentRepository", "WebhookEventLog"]
