from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from contracts.events.booking import FareBreakdown
from contracts.types import Money, VehicleType
from notification.domain import NotificationKind
from notification.templates import TemplateRenderer, language_for

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
VEHICLE = uuid4()


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


CONTEXTS = {
    NotificationKind.BOOKING_CONFIRMED: {
        "confirmation_code": "K7QX2",
        "vehicle_type": VehicleType.EBIKE,
        "authorized_amount": eur(1250),
        "unlock_deadline": NOW,
    },
    NotificationKind.BOOKING_CANCELLED: {"reason": "payment_declined", "cancelled_at": NOW},
    NotificationKind.BOOKING_EXPIRED: {"previous_status": "confirmed", "expired_at": NOW},
    NotificationKind.BOOKING_FAILED: {
        "reason": "vehicle_unavailable",
        "attempts": 5,
        "failed_at": NOW,
    },
    NotificationKind.PAYMENT_FAILED: {
        "amount": eur(900),
        "code": "card_declined",
        "message": "Your card was declined.",
        "failed_at": NOW,
    },
    NotificationKind.TRIP_RECEIPT: {
        "fare": FareBreakdown(
            unlock_fee=eur(100),
            time_charge=eur(460),
            distance_charge=eur(40),
            surge_multiplier=1.5,
            minutes=23,
            distance_m=4200,
            total=eur(600),
            capped=True,
        ),
        "captured_amount": eur(600),
        "started_at": NOW,
        "ended_at": NOW,
    },
    NotificationKind.UNLOCK_REJECTED: {"action": "unlock", "reason": "expired", "rejected_at": NOW},
}


def context(kind: NotificationKind, **overrides: object) -> dict[str, object]:
    base = {"name": "Ann", "booking_id": uuid4(), "vehicle_id": VEHICLE}
    return {**base, **CONTEXTS[kind], **overrides}


@pytest.fixture(scope="module")
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


@pytest.mark.parametrize("locale", ["en", "de"])
@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_renders_in_every_language(
    renderer: TemplateRenderer, kind: NotificationKind, locale: str
) -> None:
    out = renderer.render(kind, locale, context(kind))
    for text in (out.subject, out.text, out.html, out.push_title, out.push_body, out.sms):
        assert text.strip()
    assert "\n" not in out.subject + out.push_title + out.push_body + out.sms
    assert f'<html lang="{locale}">' in out.html


def test_confirmation_mail_carries_code_vehicle_and_amount(renderer: TemplateRenderer) -> None:
    out = renderer.render(
        NotificationKind.BOOKING_CONFIRMED, "en", context(NotificationKind.BOOKING_CONFIRMED)
    )
    short = str(VEHICLE).split("-")[0].upper()
    for text in (out.text, out.html):
        assert "K7QX2" in text
        assert f"E-bike {short}" in text
        assert "€12.50" in text
    assert out.subject == f"Booking confirmed: E-bike {short}"


def test_html_escapes_event_data_but_plain_text_keeps_it(renderer: TemplateRenderer) -> None:
    kind = NotificationKind.BOOKING_CONFIRMED
    out = renderer.render(kind, "en", context(kind, confirmation_code="<b>X&Y</b>", name="<i>"))
    assert "&lt;b&gt;X&amp;Y&lt;/b&gt;" in out.html
    assert "<b>X&Y</b>" not in out.html
    assert "Hi &lt;i&gt;," in out.html
    assert "Confirmation code: <b>X&Y</b>" in out.text


def test_german_rider_gets_german_text_and_number_formats(renderer: TemplateRenderer) -> None:
    kind = NotificationKind.TRIP_RECEIPT
    out = renderer.render(kind, "de-DE", context(kind))
    assert out.subject == "Deine Quittung: 6,00\xa0€"
    assert "Entsperrgebühr: 1,00\xa0€" in out.text
    assert "4,2 km" in out.text
    assert "\u00d71,5" in out.text  # the multiplication sign
    assert "begrenzt" in out.text


def test_receipt_lists_the_fare_breakdown(renderer: TemplateRenderer) -> None:
    kind = NotificationKind.TRIP_RECEIPT
    out = renderer.render(kind, "en", context(kind))
    for line in ("Unlock fee:     €1.00", "Time:           €4.60", "Distance:       €0.40"):
        assert line in out.text
    assert "Total:          €6.00 (capped" in out.text
    assert "Charged:        €6.00" in out.text


def test_a_line_break_in_event_data_cannot_split_the_subject(renderer: TemplateRenderer) -> None:
    out = renderer.render(
        NotificationKind.BOOKING_CANCELLED,
        "en",
        context(NotificationKind.BOOKING_CANCELLED, reason="x\r\nBcc: evil@example.com"),
    )
    assert "\n" not in out.push_body
    assert "\r" not in out.sms


def test_unknown_locales_fall_back_to_english() -> None:
    assert language_for("de_AT") == "de"
    assert language_for("fr") == "en"
    assert language_for(None) == "en"
