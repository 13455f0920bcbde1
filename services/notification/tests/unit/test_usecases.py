from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from contracts.events.notification import NotificationSent
from contracts.types import BookingId, Money, NotificationStatus, RiderContact, VehicleType
from notification import usecases
from notification.domain import (
    Channel,
    DeliveryStatus,
    NotificationKind,
    NotificationRequest,
    Recipient,
    RetryPolicy,
    Sent,
    TransientFailure,
)
from notification.templates import TemplateRenderer
from notification_fakes import FakeUnitOfWork, new_rider, outgoing

OPTIONS = usecases.NotifyOptions(configured=frozenset({Channel.EMAIL, Channel.PUSH}))
RENDERER = TemplateRenderer()


def confirmed(rider_id, contact: RiderContact | None = None) -> NotificationRequest:
    return NotificationRequest(
        kind=NotificationKind.BOOKING_CONFIRMED,
        rider_id=rider_id,
        source_event_id=uuid4(),
        booking_id=BookingId(uuid4()),
        context={
            "vehicle_id": uuid4(),
            "vehicle_type": VehicleType.SCOOTER,
            "confirmation_code": "ABC123",
            "authorized_amount": Money(amount_minor=500, currency="EUR"),
            "unlock_deadline": datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        },
        contact=contact,
    )


async def test_notify_logs_one_pending_delivery_per_channel_and_sends_nothing() -> None:
    uow, rider = FakeUnitOfWork(), new_rider()
    request = confirmed(rider, RiderContact(email="ann@example.com", name="Ann"))
    deliveries = await usecases.notify(uow, request=request, renderer=RENDERER, options=OPTIONS)
    assert {d.channel for d in deliveries} == {Channel.EMAIL, Channel.PUSH}
    assert {d.status for d in deliveries} == {DeliveryStatus.PENDING}
    assert len({d.notification_id for d in deliveries}) == 1
    email = next(d for d in deliveries if d.channel is Channel.EMAIL)
    assert email.address == "ann@example.com"
    assert "ABC123" in email.content["text"]
    assert email.message_id == f"<{email.id}@{OPTIONS.message_id_domain}>"
    assert uow.outbox.events == []  # nothing final yet
    assert uow.commits == 1


async def test_event_contact_seeds_a_rider_who_never_opened_the_settings() -> None:
    uow, rider = FakeUnitOfWork(), new_rider()
    contact = RiderContact(email="new@example.com", locale="de")
    await usecases.notify(
        uow, request=confirmed(rider, contact), renderer=RENDERER, options=OPTIONS
    )
    assert (await uow.recipients.get(rider)) == Recipient(
        rider_id=rider, email="new@example.com", locale="de"
    )


async def test_suppressed_deliveries_are_logged_and_announced_at_once() -> None:
    uow, rider = FakeUnitOfWork(), new_rider()
    await uow.recipients.save(
        Recipient(rider_id=rider, email="a@b.c", disabled_channels=frozenset({Channel.EMAIL})),
        uow.clock.now(),
    )
    contact = RiderContact(email="other@example.com")  # ignored: the rider manages settings
    deliveries = await usecases.notify(
        uow, request=confirmed(rider, contact), renderer=RENDERER, options=OPTIONS
    )
    email = next(d for d in deliveries if d.channel is Channel.EMAIL)
    assert (email.status, email.reason) == (DeliveryStatus.SUPPRESSED, "channel_opted_out")
    [event] = uow.outbox.events
    assert isinstance(event, NotificationSent)
    assert (event.channel, event.status, event.reason) == (
        Channel.EMAIL,
        NotificationStatus.SUPPRESSED,
        "channel_opted_out",
    )
    assert (await uow.recipients.get(rider)).email == "a@b.c"  # type: ignore[union-attr]


async def test_a_successful_attempt_marks_sent_and_emits_notification_sent() -> None:
    uow = FakeUnitOfWork()
    request = confirmed(new_rider(), RiderContact(email="a@b.c"))
    await usecases.notify(uow, request=request, renderer=RENDERER, options=OPTIONS)
    claimed = await usecases.claim_due_deliveries(uow, limit=10, lease=_seconds(60))
    email = next(m for m in claimed if m.channel is Channel.EMAIL)
    step = await usecases.record_attempt(
        uow, message=email, outcome=Sent("250 queued"), policy=RetryPolicy(), jitter=0.5
    )
    assert step.status is DeliveryStatus.SENT
    [event] = uow.outbox.events
    assert (event.channel, event.status, event.provider_id) == (
        Channel.EMAIL,
        NotificationStatus.SENT,
        "250 queued",
    )


async def test_a_transient_failure_is_retried_later_without_an_event() -> None:
    uow = FakeUnitOfWork()
    await usecases.notify(
        uow, request=confirmed(new_rider()), renderer=RENDERER, options=OPTIONS
    )  # push only: no e-mail address
    [claimed] = await usecases.claim_due_deliveries(uow, limit=10, lease=_seconds(60))
    step = await usecases.record_attempt(
        uow, message=claimed, outcome=TransientFailure("down"), policy=RetryPolicy(), jitter=0
    )
    assert step.status is DeliveryStatus.PENDING
    assert step.next_attempt_at is not None
    assert [e.status for e in uow.outbox.events] == [NotificationStatus.SUPPRESSED]  # the e-mail
    assert await usecases.claim_due_deliveries(uow, limit=10, lease=_seconds(60)) == []
    uow.clock.advance(600)
    [again] = await usecases.claim_due_deliveries(uow, limit=10, lease=_seconds(60))
    assert again.attempts == 2


async def test_a_stale_attempt_cannot_overwrite_a_newer_one() -> None:
    uow = FakeUnitOfWork()
    [d] = [
        d
        for d in await usecases.notify(
            uow, request=confirmed(new_rider()), renderer=RENDERER, options=OPTIONS
        )
        if d.status is DeliveryStatus.PENDING
    ]
    stale = outgoing(d, attempts=0)
    await usecases.claim_due_deliveries(uow, limit=10, lease=_seconds(60))
    await usecases.record_attempt(
        uow, message=stale, outcome=TransientFailure("late"), policy=RetryPolicy(), jitter=0
    )
    assert uow.deliveries.rows[d.id].last_error is None


def _seconds(n: int) -> timedelta:
    return timedelta(seconds=n)
