"""Repositories: rows <-> domain objects, and the claim queries of the workers. Never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.types import (
    BookingId,
    BookingStatus,
    RiderContact,
    RiderId,
    VehicleId,
    VehicleType,
)
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking import codec
from booking.db import BookingRow, BookingTaskRow, IdempotencyKeyRow
from booking.domain import (
    Booking,
    ConcurrentUpdateError,
    IdempotencyKey,
    RecoveryPoint,
    VehicleUnavailableError,
)
from booking.domain.tasks import Task, TaskKind


def _booking_values(booking: Booking) -> dict[str, Any]:
    return {
        "rider_id": booking.rider_id,
        "vehicle_id": booking.vehicle_id,
        "vehicle_type": booking.vehicle_type.value,
        "status": booking.status.value,
        "estimated_duration_min": booking.estimated_duration_min,
        "start_time": booking.start_time,
        "hold_until": booking.hold_until,
        "unlock_deadline": booking.unlock_deadline,
        "confirmation_code": booking.confirmation_code,
        "status_reason": booking.status_reason,
        "promotion_attempts": booking.promotion_attempts,
        "payment_id": None if booking.payment is None else booking.payment.payment_id,
        "rider_contact": booking.rider_contact.model_dump(mode="json"),
        "reservation": None
        if booking.reservation is None
        else codec.reservation_json(booking.reservation),
        "quote": None if booking.quote is None else codec.quote_json(booking.quote),
        "payment": None if booking.payment is None else codec.payment_json(booking.payment),
        "trip": codec.trip_json(booking.trip),
        "receipt": codec.receipt_json(booking.receipt),
        "created_at": booking.created_at,
        "updated_at": booking.updated_at,
    }


def _booking(row: BookingRow) -> Booking:
    return Booking(
        id=BookingId(row.id),
        rider_id=RiderId(row.rider_id),
        vehicle_id=VehicleId(row.vehicle_id),
        vehicle_type=VehicleType(row.vehicle_type),
        status=BookingStatus(row.status),
        estimated_duration_min=row.estimated_duration_min,
        created_at=row.created_at,
        updated_at=row.updated_at,
        rider_contact=RiderContact.model_validate(row.rider_contact),
        start_time=row.start_time,
        hold_until=row.hold_until,
        unlock_deadline=row.unlock_deadline,
        reservation=None if row.reservation is None else codec.reservation(row.reservation),
        quote=None if row.quote is None else codec.quote(row.quote),
        payment=None if row.payment is None else codec.payment(row.payment),
        confirmation_code=row.confirmation_code,
        receipt=codec.receipt(row.receipt),
        trip=codec.trip(row.trip),
        status_reason=row.status_reason,
        promotion_attempts=row.promotion_attempts,
        version=row.version,
    )


class SqlBookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, booking_id: UUID) -> Booking | None:
        row = await self._s.get(BookingRow, booking_id, populate_existing=True)
        return None if row is None else _booking(row)

    async def get_for_update(self, booking_id: UUID) -> Booking | None:
        query = select(BookingRow).where(BookingRow.id == booking_id).with_for_update()
        row = (await self._s.execute(query.execution_options(populate_existing=True))).scalar()
        return None if row is None else _booking(row)

    async def add(self, booking: Booking) -> None:
        values = {"id": booking.id, "version": 1, **_booking_values(booking)}
        try:
            async with self._s.begin_nested():
                await self._s.execute(insert(BookingRow).values(values))
        except IntegrityError as exc:
            if "uq_booking_live_vehicle" in str(exc.orig):
                raise VehicleUnavailableError("The vehicle already has a live booking.") from exc
            raise ConcurrentUpdateError("The booking was created meanwhile.") from exc
        booking.version = 1

    async def save(self, booking: Booking) -> None:
        result = await self._s.execute(
            update(BookingRow)
            .where(BookingRow.id == booking.id, BookingRow.version == booking.version)
            .values(version=BookingRow.version + 1, **_booking_values(booking))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdateError()
        booking.version += 1

    async def list_for_rider(
        self, rider_id: RiderId, *, limit: int, offset: int
    ) -> tuple[Sequence[Booking], int]:
        query = (
            select(BookingRow)
            .where(BookingRow.rider_id == rider_id)
            .order_by(BookingRow.created_at.desc(), BookingRow.id)
            .limit(limit)
            .offset(offset)
        )
        rows = (await self._s.execute(query)).scalars().all()
        total = await self._s.scalar(
            select(func.count()).select_from(BookingRow).where(BookingRow.rider_id == rider_id)
        )
        return [_booking(row) for row in rows], int(total or 0)

    async def claim_overdue(self, now: datetime, *, limit: int) -> Sequence[Booking]:
        overdue = or_(
            and_(BookingRow.status == "pending_payment", BookingRow.hold_until <= now),
            and_(BookingRow.status == "confirmed", BookingRow.unlock_deadline <= now),
        )
        query = (
            select(BookingRow)
            .where(overdue)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return [_booking(row) for row in (await self._s.execute(query)).scalars()]


def _key_values(key: IdempotencyKey) -> dict[str, Any]:
    return {
        "recovery_point": key.recovery_point.value,
        "recovery_data": key.recovery_data,
        "resource_id": key.resource_id,
        "locked_at": key.locked_at,
        "last_run_at": key.last_run_at,
        "response_status": key.response_status,
        "response_body": key.response_body,
        "finished_at": key.finished_at,
    }


def _key(row: IdempotencyKeyRow) -> IdempotencyKey:
    return IdempotencyKey(
        id=row.id,
        rider_id=RiderId(row.rider_id),
        key=row.key,
        method=row.request_method,
        path=row.request_path,
        operation=row.operation,
        fingerprint=row.fingerprint,
        params=row.params,
        resource_id=row.resource_id,
        created_at=row.created_at,
        rider_contact=RiderContact.model_validate(row.rider_contact),
        recovery_point=RecoveryPoint(row.recovery_point),
        recovery_data=row.recovery_data,
        locked_at=row.locked_at,
        last_run_at=row.last_run_at,
        response_status=row.response_status,
        response_body=row.response_body,
        finished_at=row.finished_at,
    )


class SqlIdempotencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def insert_if_absent(self, key: IdempotencyKey) -> bool:
        values = {
            "id": key.id,
            "rider_id": key.rider_id,
            "key": key.key,
            "request_method": key.method,
            "request_path": key.path,
            "operation": key.operation,
            "fingerprint": key.fingerprint,
            "params": key.params,
            "rider_contact": key.rider_contact.model_dump(mode="json"),
            "created_at": key.created_at,
            **_key_values(key),
        }
        query = (
            insert(IdempotencyKeyRow)
            .values(values)
            .on_conflict_do_nothing(constraint="uq_idempotency_key_rider_id_key")
            .returning(IdempotencyKeyRow.id)
        )
        return (await self._s.execute(query)).first() is not None

    def _by_key(self, rider_id: RiderId, key: str) -> Any:
        return (
            select(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.rider_id == rider_id, IdempotencyKeyRow.key == key)
            .execution_options(populate_existing=True)
        )

    async def get_for_update(self, rider_id: RiderId, key: str) -> IdempotencyKey | None:
        row = (await self._s.execute(self._by_key(rider_id, key).with_for_update())).scalar()
        return None if row is None else _key(row)

    async def get(self, rider_id: RiderId, key: str) -> IdempotencyKey | None:
        row = (await self._s.execute(self._by_key(rider_id, key))).scalar()
        return None if row is None else _key(row)

    async def save(self, key: IdempotencyKey) -> None:
        await self._s.execute(
            update(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.id == key.id)
            .values(_key_values(key))
            .execution_options(synchronize_session=False)
        )

    async def claim_stale(
        self, *, locked_before: datetime, now: datetime, limit: int
    ) -> Sequence[IdempotencyKey]:
        query = (
            select(IdempotencyKeyRow)
            .where(
                IdempotencyKeyRow.response_status.is_(None),
                IdempotencyKeyRow.locked_at < locked_before,
            )
            .order_by(IdempotencyKeyRow.locked_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        keys = [_key(row) for row in (await self._s.execute(query)).scalars()]
        for key in keys:
            key.lock(now)
            await self.save(key)
        return keys

    async def delete_created_before(self, cutoff: datetime) -> int:
        result = await self._s.execute(
            delete(IdempotencyKeyRow).where(
                IdempotencyKeyRow.created_at < cutoff,
                or_(IdempotencyKeyRow.locked_at.is_(None), IdempotencyKeyRow.locked_at < cutoff),
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def _task(row: BookingTaskRow) -> Task:
    return Task(
        id=row.id,
        booking_id=BookingId(row.booking_id),
        kind=TaskKind(row.kind),
        run_at=row.run_at,
        args=row.args,
        attempts=row.attempts,
        last_error=row.last_error,
        done_at=row.done_at,
    )


class SqlTaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def ensure(self, task: Task) -> None:
        query = insert(BookingTaskRow).values(
            id=task.id,
            booking_id=task.booking_id,
            kind=task.kind.value,
            args=task.args,
            run_at=task.run_at,
            attempts=0,
        )
        query = query.on_conflict_do_update(
            constraint="uq_booking_task_booking_id_kind",
            set_={
                "done_at": None,
                "run_at": query.excluded.run_at,
                "args": query.excluded.args,
                "attempts": 0,
                "last_error": None,
            },
            where=BookingTaskRow.done_at.is_not(None),
        )
        await self._s.execute(query)

    async def claim_due(
        self, now: datetime, *, lease_until: datetime, limit: int, booking_id: UUID | None = None
    ) -> Sequence[Task]:
        due = select(BookingTaskRow.id).where(
            BookingTaskRow.done_at.is_(None), BookingTaskRow.run_at <= now
        )
        if booking_id is not None:
            due = due.where(BookingTaskRow.booking_id == booking_id)
        due = due.order_by(BookingTaskRow.run_at).limit(limit).with_for_update(skip_locked=True)
        query = (
            update(BookingTaskRow)
            .where(BookingTaskRow.id.in_(due.scalar_subquery()))
            .values(run_at=lease_until, attempts=BookingTaskRow.attempts + 1)
            .returning(BookingTaskRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return [_task(row) for row in (await self._s.execute(query)).scalars()]

    async def complete(self, task_id: UUID, now: datetime) -> None:
        await self._s.execute(
            update(BookingTaskRow)
            .where(BookingTaskRow.id == task_id)
            .values(done_at=now)
            .execution_options(synchronize_session=False)
        )

    async def retry_at(self, task_id: UUID, run_at: datetime, error: str) -> None:
        await self._s.execute(
            update(BookingTaskRow)
            .where(BookingTaskRow.id == task_id)
            .values(run_at=run_at, last_error=error[:2000])
            .execution_options(synchronize_session=False)
        )

    async def cancel(self, booking_id: UUID, kind: TaskKind, now: datetime) -> None:
        await self._s.execute(
            update(BookingTaskRow)
            .where(
                BookingTaskRow.booking_id == booking_id,
                BookingTaskRow.kind == kind.value,
                BookingTaskRow.done_at.is_(None),
            )
            .values(done_at=now)
            .execution_options(synchronize_session=False)
        )
