from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from contracts.types import BookingId, Money, NotificationStatus, RiderContact, VehicleType
from notification import usecases
from notification.delivery import DeliveryWorker
from notification.domain import (
    Channel,
    DeliveryStatus,
    NotificationKind,
    NotificationRequest,
    TransientFailure,
)
from notification.settings import DeliverySettings
from notification.templates import TemplateRenderer
from notification_fakes import FakeSender, FakeUnitOfWork, new_rider

SETTINGS = DeliverySettings(max_attempts=3, backoff_initial_s=1, backoff_max_s=4)


async def logged(uow: FakeUnitOfWork) -> None:
    request = NotificationRequest(
        kind=NotificationKind.BOOKING_CONFIRMED,
        rider_id=new_rider(),
        source_event_id=uuid4(),
        booking_id=BookingId(uuid4()),
        context={
            "vehicle_id": uuid4(),
            "vehicle_type": VehicleType.CAR,
            "confirmation_code": "Q1",
            "authorized_amount": Money(amount_minor=1, currency="EUR"),
            "unlock_deadline": datetime(2026, 1, 1, tzinfo=UTC),
        },
        contact=RiderContact(email="a@example.com"),
    )
    options = usecases.NotifyOptions(configured=frozenset(Channel))
    await usecases.notify(uow, request=request, renderer=TemplateRenderer(), options=options)


def worker(uow: FakeUnitOfWork, *senders: FakeSender) -> DeliveryWorker:
    return DeliveryWorker(
        uow_factory=lambda: uow,
        senders={s.channel: s for s in senders},
        settings=SETTINGS,
        jitter=lambda: 0.0,
    )


def statuses(uow: FakeUnitOfWork) -> dict[Channel, DeliveryStatus]:
    return {r.delivery.channel: r.delivery.status for r in uow.deliveries.rows.values()}


async def test_one_round_sends_every_due_delivery_through_its_channel() -> None:
    uow = FakeUnitOfWork()
    await logged(uow)
    email, push = FakeSender(Channel.EMAIL), FakeSender(Channel.PUSH)
    assert await worker(uow, email, push).run_once() == 2
    assert statuses(uow) == {Channel.EMAIL: DeliveryStatus.SENT, Channel.PUSH: DeliveryStatus.SENT}
    assert [m.address for m in email.sent] == ["a@example.com"]
    assert {e.status for e in uow.outbox.events} == {NotificationStatus.SENT}


async def test_transient_failures_back_off_and_end_failed_after_max_attempts() -> None:
    uow = FakeUnitOfWork()
    await logged(uow)
    email = FakeSender(Channel.EMAIL, TransientFailure("connection refused"))
    w = worker(uow, email, FakeSender(Channel.PUSH))
    for _ in range(SETTINGS.max_attempts):
        assert await w.run_once() >= 1
        assert await w.run_once() == 0  # backing off: not due yet
        uow.clock.advance(10)
    assert statuses(uow)[Channel.EMAIL] is DeliveryStatus.FAILED
    assert len(email.sent) == SETTINGS.max_attempts
    failed = [e for e in uow.outbox.events if e.channel is Channel.EMAIL]
    assert [(e.status, e.reason) for e in failed] == [
        (NotificationStatus.FAILED, "attempts_exhausted")
    ]


async def test_a_sender_that_raises_is_retried_not_fatal() -> None:
    uow = FakeUnitOfWork()
    await logged(uow)

    class Broken(FakeSender):
        async def send(self, message):  # type: ignore[no-untyped-def]
            raise RuntimeError("bug")

    await worker(uow, Broken(Channel.EMAIL), FakeSender(Channel.PUSH)).run_once()
    row = next(r for r in uow.deliveries.rows.values() if r.delivery.channel is Channel.EMAIL)
    assert row.delivery.status is DeliveryStatus.PENDING
    assert row.last_error == "RuntimeError: bug"


async def test_a_channel_without_a_sender_is_suppressed() -> None:
    uow = FakeUnitOfWork()
    await logged(uow)
    await worker(uow, FakeSender(Channel.PUSH)).run_once()
    row = next(r for r in uow.deliveries.rows.values() if r.delivery.channel is Channel.EMAIL)
    assert row.delivery.status is DeliveryStatus.SUPPRESSED
    assert row.delivery.reason == "provider_not_configured: email"
