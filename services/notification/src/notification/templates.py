"""Jinja2 templates -> the text of a notification on every channel, in the rider's language.

Layout: `templates/<lang>/<kind>.txt.j2` holds the blocks `subject`, `push_title`,
`push_body`, `sms` and `text` (plain text, not HTML-escaped); `templates/<lang>/<kind>.html.j2`
is the HTML mail (autoescaped). Languages: en, de; anything else falls back to en. Numbers,
money and dates are formatted with Babel in the rider's full locale (de_AT, en_GB, ...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_time
from babel.numbers import format_currency, format_decimal, get_currency_precision
from contracts.types import Money, VehicleType
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context
from jinja2.runtime import Context

from notification.domain import NotificationKind, RenderedNotification

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"

_VEHICLE_LABELS: Mapping[str, Mapping[VehicleType, str]] = {
    "en": {VehicleType.SCOOTER: "Scooter", VehicleType.EBIKE: "E-bike", VehicleType.CAR: "Car"},
    "de": {VehicleType.SCOOTER: "E-Scooter", VehicleType.EBIKE: "E-Bike", VehicleType.CAR: "Auto"},
}
_ONE_LINE = re.compile(r"[^\S\xa0\u202f]+")  # any whitespace run but no-break spaces


def language_for(locale: str | None) -> str:
    """The template language for a rider locale: 'de-AT' -> 'de', 'fr' -> 'en'."""
    lang = (locale or "").replace("-", "_").split("_")[0].lower()
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def babel_locale(locale: str | None, language: str) -> Locale:
    """The rider's full locale when Babel knows it, else the template language."""
    try:
        return Locale.parse((locale or language).replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(language)


class TemplateRenderer:
    """Renders every channel's text for one notification. Template errors raise."""

    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self._env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=lambda name: name is None or not name.endswith(".txt.j2"),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self._env.filters.update(
            money=_money,
            datetime=_datetime,
            time=_time,
            decimal=_decimal,
            km=_km,
            vehicle=_vehicle,
            short_id=_short_id,
        )

    def render(
        self, kind: NotificationKind, locale: str | None, context: Mapping[str, Any]
    ) -> RenderedNotification:
        lang = language_for(locale)
        values = {**context, "lang": lang, "babel_locale": babel_locale(locale, lang)}
        text = self._env.get_template(f"{lang}/{kind.value}.txt.j2")
        blocks = {
            name: _block(text, name, values)
            for name in ("subject", "push_title", "push_body", "sms", "text")
        }
        subject = _one_line(blocks["subject"])
        html = self._env.get_template(f"{lang}/{kind.value}.html.j2").render(
            {**values, "subject": subject}
        )
        return RenderedNotification(
            subject=subject,
            text=blocks["text"].strip() + "\n",
            html=html,
            push_title=_one_line(blocks["push_title"]),
            push_body=_one_line(blocks["push_body"]),
            sms=_one_line(blocks["sms"]),
        )


def _block(template: Template, name: str, values: Mapping[str, Any]) -> str:
    return "".join(template.blocks[name](template.new_context(dict(values))))


def _one_line(text: str) -> str:
    """Subjects, push texts and SMS are one line (no header injection, no stray breaks)."""
    return _ONE_LINE.sub(" ", text).strip()


def _loc(ctx: Context) -> Locale:
    locale: Locale = ctx["babel_locale"]
    return locale


@pass_context
def _money(ctx: Context, money: Money) -> str:
    units = Decimal(money.amount_minor).scaleb(-get_currency_precision(money.currency))
    return str(format_currency(units, money.currency, locale=_loc(ctx)))


@pass_context
def _datetime(ctx: Context, value: datetime) -> str:
    return f"{format_datetime(value, 'medium', tzinfo=UTC, locale=_loc(ctx))} UTC"


@pass_context
def _time(ctx: Context, value: datetime) -> str:
    return f"{format_time(value, 'short', tzinfo=UTC, locale=_loc(ctx))} UTC"


@pass_context
def _decimal(ctx: Context, value: float) -> str:
    return str(format_decimal(value, format="#,##0.##", locale=_loc(ctx)))


@pass_context
def _km(ctx: Context, metres: int) -> str:
    return f"{format_decimal(metres / 1000, format='#,##0.0', locale=_loc(ctx))} km"


@pass_context
def _vehicle(ctx: Context, vehicle_type: VehicleType | str) -> str:
    labels = _VEHICLE_LABELS[ctx["lang"]]
    try:
        return labels[VehicleType(vehicle_type)]
    except ValueError:
        return str(vehicle_type)


def _short_id(value: UUID | str) -> str:
    """The first block of a UUID, upper-cased: short enough to read out or type."""
    return str(value).split("-")[0].upper()
