"""Time: stored in UTC, shown and counted in the hospital's time zone (SPEC §8)."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


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
