"""The workers' claims against real PostgreSQL: the completer resumes a crashed request, and
concurrent sweeps/claims (several replicas) never take the same row twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import UUID, uuid4

from booking import db
from booking.domain import IdempotencyKey, fingerprint
from booking.domain.tasks import Task, TaskKind
from booking.uow import BookingUnitOfWork
from booking.usecases import requests
from booking.usecases.context import Services
from booking.usecases.idempotency import complete_stale
from booking_integration import Env, Rider, booking_status_sql, running
from contracts.clock import SystemClock
from contracts.types import BookingId, RiderContact, RiderId
from sqlalchemy.ext.asyncio import async_sessionmaker


def uow_for(env: Env) -> BookingUnitOfWork:
    return BookingUnitOfWork(
        async_sessionmaker(env.engine, expire_on_commit=False),
        outbox_table=db.outbox,
        source="booking",
        clock=SystemClock(),
    )


async def test_the_completer_finishes_a_request_whose_process_died(env: Env) -> None:
    async with running(env, workers={"enabled": False}) as (app, _):
        svc: Services = app.state.services
        body = {"vehicle_id": str(uuid4()), "estimated_duration_min": 10, "start_time": None}
        long_ago = datetime.now(UTC) - timedelta(minutes=5)
        key = IdempotencyKey(
            id=uuid4(),
            rider_id=RiderId(uuid4()),
            key="crashed",
            method="POST",
            path="/bookings",
            operation="create_booking",
            fingerprint=fingerprint("POST", "/bookings", body),
            params={"body": body},
            resource_id=uuid4(),
            created_at=long_ago,
            rider_contact=RiderContact(email="r@example.com"),
            locked_at=long_ago,
        )
        async with uow_for(env) as uow:
            assert await uow.keys.insert_if_absent(key)
            await uow.commit()
        assert await complete_stale(svc, partial(requests.replay, svc)) == 1
        assert await env.scalar(booking_status_sql(), id=key.resource_id) == "pending_payment"
        stored = await env.rows(
            "SELECT response_status, recovery_point, locked_at FROM idempotency_key WHERE id = :i",
            i=key.id,
        )
        assert [tuple(r) for r in stored] == [(201, "finished", None)]
        assert await complete_stale(svc, partial(requests.replay, svc)) == 0


async def test_two_replicas_never_claim_the_same_task(env: Env) -> None:
    now = datetime.now(UTC)
    booking_ids = [BookingId(uuid4()) for _ in range(6)]
    async with uow_for(env) as uow:
        for booking_id in booking_ids:
            await uow.tasks.ensure(Task(booking_id=booking_id, kind=TaskKind.PROMOTE, run_at=now))
        await uow.commit()
    lease = now + timedelta(seconds=30)
    async with uow_for(env) as first, uow_for(env) as second:
        mine = await first.tasks.claim_due(now, lease_until=lease, limit=4)
        theirs = await second.tasks.claim_due(now, lease_until=lease, limit=1000)
        ours = {t.booking_id for t in mine} | {t.booking_id for t in theirs}
        assert not {t.id for t in mine} & {t.id for t in theirs}
        assert set(booking_ids) <= ours
        await first.commit()
        await second.commit()
    async with uow_for(env) as third:
        again = await third.tasks.claim_due(now, lease_until=lease, limit=1000)
        assert not {t.booking_id for t in again} & set(booking_ids)


async def test_concurrent_sweeps_expire_each_booking_once(env: Env) -> None:
    async with running(env, rules={"reservation_hold_s": 1}, workers={"enabled": False}) as app:
        client = app[1]
        ids = [UUID((await Rider(client, env.keys).book()).json()["id"]) for _ in range(3)]
    later = datetime.now(UTC) + timedelta(seconds=5)
    async with uow_for(env) as first, uow_for(env) as second:
        a = {b.id for b in await first.bookings.claim_overdue(later, limit=2)}
        b = {b.id for b in await second.bookings.claim_overdue(later, limit=1000)}
        assert not a & b
        assert set(ids) <= a | b
