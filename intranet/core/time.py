"""Time: stored in UTC, shown and counted in the hospital's time zone (SPEC §8)."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, format_datetime, get_timezone
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from .i18n import current_locale


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
# default ("12/1/26, 2:58 PM") is read as 12 January in a Chinese hospital. Chinese keeps Babel's forms.
_ENGLISH = {"short": "d MMM y", "medium": "d MMM y", "long": "d MMMM y", "datetime": "d MMM y HH:mm"}


def show_date(value: date | None, form: str = "medium") -> str:
    if value is None:
        return ""
    locale = current_locale()
    if locale is None:  # no request: nothing to key the text on
        return _date_text(value, form, None)
    return _date_text_once(value, form, locale, get_timezone())


def show_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    locale = current_locale()
    if locale is None:
        return _datetime_text(value, None)
    return _datetime_text_once(value, locale, get_timezone())


def _date_text(value: date, form: str, locale) -> str:
    english = locale is not None and locale.language == "en"
    return format_date(value, _ENGLISH.get(form, form) if english else form)


def _datetime_text(value: datetime, locale) -> str:
    english = locale is not None and locale.language == "en"
    return format_datetime(value, _ENGLISH["datetime"] if english else "short")


# A date's text is a function of the value, the form, the language and the time zone alone (the key: Babel
# reads the same language and zone again inside), and formatting it is most of a queue row's dates: a queue
# page shows a hundred, mostly the same ones at each refresh. Bounded, and holding nothing of anyone's.
@lru_cache(maxsize=2048)
def _date_text_once(value: date, form: str, locale, _zone) -> str:
    return _date_text(value, form, locale)


@lru_cache(maxsize=2048)
def _datetime_text_once(value: datetime, locale, _zone) -> str:
    return _datetime_text(value, locale)
