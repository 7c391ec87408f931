"""Time: stored in UTC, shown and counted in the hospital's time zone (SPEC §8)."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from .i18n import english


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python; naive UTC in SQLite, timestamptz in PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Set by clock_at(): lets the demo (and frozen-time tests) act "as of" another moment through the same code.
_frozen_now: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def utcnow() -> datetime:
    return _frozen_now.get() or datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime):
    """Within the block, utcnow() and today() answer as of `moment` (an aware datetime)."""
    token = _frozen_now.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _frozen_now.reset(token)


def hospital_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["REDRESS_TIMEZONE"])


def local(dt: datetime) -> datetime:
    return dt.astimezone(hospital_tz())


def today() -> date:
    """The date at the hospital now: deadlines are hospital dates."""
    return utcnow().astimezone(hospital_tz()).date()


# English dates day first, with the month in words, and a 24-hour clock: "1 Dec 2026 14:58". Babel's English
# default ("12/1/26, 2:58 PM") is read as 12 January in a Chinese hospital. Chinese keeps Babel's forms
# (CLDR's: 2026/12/1, 2026年12月1日, 2026/12/1 14:58; tests/test_dates.py checks them against Babel). They
# are written out here: Babel's format_date loads the language's whole CLDR data into the worker for them,
# 3.5 MiB for Chinese and 1 MiB for English. Any other form still goes to Babel.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def show_date(value: date | None, form: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value if value.tzinfo else value.replace(tzinfo=UTC))
    in_english = english()
    if in_english and form in ("short", "medium"):
        return f"{value.day} {MONTHS[value.month - 1][:3]} {value.year}"
    if in_english and form == "long":
        return f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    if not in_english and form == "short":
        return f"{value.year}/{value.month}/{value.day}"
    if not in_english and form in ("medium", "long"):
        return f"{value.year}年{value.month}月{value.day}日"
    from flask_babel import format_date

    return format_date(value, form)


def show_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    moment = local(value if value.tzinfo else value.replace(tzinfo=UTC))  # naive: UTC, as Flask-Babel reads it
    day = show_date(moment.date(), "medium" if english() else "short")
    return f"{day} {moment.hour:02d}:{moment.minute:02d}"
