"""Paying: authorised -> confirmed with code and receipt; declines; lost holds; 3-D Secure."""

from __future__ import annotations

from datetime import timedelta

from booking.domain.tasks import TaskKind
from booking.settings import BookingRules
from booking.usecases import reconcile
from booking.usecases.jobs import run_due_tasks
from booking_factories import a_caller, confirm, payload, pending_booking
from booking_fakes import DECLINED_CARD, FakeUnitOfWork, make_world
from contracts.events.booking import BookingCancelled, BookingConfirmed
from contracts.types import BookingId, BookingStatus, PaymentStatus


async def test_an_authorised_payment_confirms_the_booking_and_extends_the_hold() -> None:
    world, caller = make_world(), a_caller()
    booking = await pending_booking(world, caller)
    response = await confirm(world, caller, booking)
    assert response.status == 200
    body = payload(response)
    assert body["status"] == "confirmed"
    assert len(body["confirmation_code"]) == 6
    assert body["payment"]["status"] == "authorized"
    assert body["payment"]["client_secret"] is None
    deadline = world.clock.now() + timedelta(seconds=600)
    assert world.fleet.vehicles[booking.vehicle_id].confirmed
    assert world.fleet.vehicles[booking.vehicle_id].hold_until == deadline
    [event] = world.store.events_of(BookingConfirmed)
    assert (event.confirmation_code, event.unlock_deadline) == (body["confirmation_code"], deadline)
    assert event.rider_contact == caller.contact
    receipt = body["receipt"]
    assert receipt["receipt"]["booking_id"] == str(booking.id)
    assert world.svc.signer.verify(receipt["receipt"], receipt["signature"], receipt["key_id"])


async def test_a_decline_cancels_releases_voids_and_captures_nothing() -> None:
    world, caller = make_world(), a_caller()
    booking = await pending_booking(world, caller)
    response = await confirm(world, caller, booking, card=DECLINED_CARD)
    assert response.status == 200
    body = payload(response)
    assert body["status"] == "cancelled"
    assert body["status_reason"] == "payment_failed: card_declined"
    assert body["payment"]["failure_code"] == "card_declined"
    assert world.fleet.holder(booking.vehicle_id) is None
    assert world.payment.of(booking.id).status is PaymentStatus.VOIDED
    assert world.payment.count("capture") == 0
    assert world.payment.captured_total() == 0
    [event] = world.store.events_of(BookingCancelled)
    assert event.reason == "payment_failed: card_declined"
    assert not world.store.pending_tasks()


async def test_with_retries_allowed_a_decline_keeps_the_hold_and_another_card_succeeds() -> None:
    world, caller = make_world(rules=BookingRules(payment_attempts=3)), a_caller()
    booking = await pending_booking(world, caller)
    declined = await confirm(world, caller, booking, card=DECLINED_CARD)
    assert payload(declined)["status"] == "pending_payment"
    assert payload(declined)["payment"]["status"] == "failed"
    assert world.fleet.holder(booking.vehicle_id) == booking.id
    world.payment.payments[world.payment.by_booking[booking.id]] = world.payment.of(
        booking.id
    ).model_copy(update={"status": PaymentStatus.REQUIRES_PAYMENT_METHOD})
    accepted = await confirm(world, caller, booking)
    assert payload(accepted)["status"] == "confirmed"


async def test_paying_after_the_hold_expired_is_refused_and_charges_nothing() -> None:
    world, caller = make_world(), a_caller()
    booking = await pending_booking(world, caller)
    world.clock.advance(301)
    response = await confirm(world, caller, booking)
    assert response.status == 409
    assert payload(response)["code"] == "hold_expired"
    assert world.payment.count("confirm") == 0


async def test_a_hold_lost_at_fleet_expires_the_booking_and_voids_the_authorisation() -> None:
    world, caller = make_world(), a_caller()
    booking = await pending_booking(world, caller)
    world.fleet.vehicles[booking.vehicle_id].held_by = None  # fleet's own sweeper released it
    response = await confirm(world, caller, booking)
    assert response.status == 409
    assert payload(response)["code"] == "hold_expired"
    assert world.booking(booking.id).status is BookingStatus.EXPIRED
    assert world.payment.of(booking.id).status is PaymentStatus.VOIDED


async def test_another_riders_booking_cannot_be_paid() -> None:
    world = make_world()
    booking = await pending_booking(world, a_caller())
    response = await confirm(world, a_caller(), booking)
    assert response.status == 404
    assert world.payment.count("confirm") == 0


async def test_three_d_secure_waits_and_the_webhook_result_confirms_the_booking() -> None:
    world, caller = make_world(), a_caller()
    booking = await pending_booking(world, caller)
    payment_id = world.payment.by_booking[booking.id]
    original = world.payment.confirm

    async def needs_action(*args: object, **kwargs: object) -> object:
        world.payment.calls.append(("confirm", payment_id))
        return world.payment.payments[payment_id].model_copy(
            update={"next_action": "use_stripe_sdk"}
        )

    world.payment.confirm = needs_action  # type: ignore[method-assign]
    response = await confirm(world, caller, booking)
    world.payment.confirm = original  # type: ignore[method-assign]
    assert payload(response)["status"] == "pending_payment"
    assert payload(response)["payment"]["next_action"] == "use_stripe_sdk"
    await reconcile.payment_authorized(
        FakeUnitOfWork(world.store, world.clock),  # type: ignore[arg-type]
        booking_id=BookingId(booking.id),
        now=world.clock.now(),
    )
    assert world.store.pending_tasks(TaskKind.CONFIRM_BOOKING)
    await run_due_tasks(world.svc)
    assert world.booking(booking.id).status is BookingStatus.CONFIRMED
    assert world.store.events_of(BookingConfirmed)


async def test_a_late_authorisation_for_a_dead_booking_is_voided() -> None:
    world, caller = make_world(), a_caller()
    booking = await pending_booking(world, caller)
    world.clock.advance(301)
    from booking.usecases.expiry import expire_overdue

    await expire_overdue(world.svc)
    await run_due_tasks(world.svc)
    world.payment.payments[world.payment.by_booking[booking.id]] = world.payment.of(
        booking.id
    ).model_copy(update={"status": PaymentStatus.AUTHORIZED})
    await reconcile.payment_authorized(
        FakeUnitOfWork(world.store, world.clock),  # type: ignore[arg-type]
        booking_id=BookingId(booking.id),
        now=world.clock.now(),
    )
    await run_due_tasks(world.svc)
    assert world.payment.of(booking.id).status is PaymentStatus.VOIDED
