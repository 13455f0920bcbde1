"""The SQL unit of work: one session, the three repositories, the outbox written at commit."""

from __future__ import annotations

from mobility_platform.uow import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from booking.repository import SqlBookingRepository, SqlIdempotencyRepository, SqlTaskRepository


class BookingUnitOfWork(SqlUnitOfWork):
    bookings: SqlBookingRepository
    keys: SqlIdempotencyRepository
    tasks: SqlTaskRepository

    def _bind(self, session: AsyncSession) -> None:
        self.bookings = SqlBookingRepository(session)
        self.keys = SqlIdempotencyRepository(session)
        self.tasks = SqlTaskRepository(session)
