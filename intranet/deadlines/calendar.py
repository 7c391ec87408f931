"""The hospital's working-day calendar: which days count towards a deadline.

Three sources, most specific first:

1. Hospital days in the database (admin-edited): a closed day or an extra working day overrides the rest.
2. `chinese-calendar`: the State Council's yearly holiday notice, *with* the weekend days made working days
   (调休). It is exact, but only for the years it ships (2004–2026 in 1.11.0) and raises for any other.
3. `holidays` (country CN): official data, make-up days included, for the years it has them, and
   rule-based public holidays for later years up to 2100 — but no make-up days for those, because they are
   only known once the notice is published. Better than weekdays alone, so it covers what (2) does not, and
   admins are warned that the make-up days are missing. Read from a table made from the package
   (data/cn_holidays.json, `scripts/cn_holidays.py`): the package itself is 16 MiB in a worker, for a few
   hundred dates, so only the script and the test that checks the table against it need it (dev extras).

A year neither library knows counts Monday to Friday plus the hospital days; admins are warned of that too.
"""

from __future__ import annotations

import enum
import json
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path

import chinese_calendar
from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.extensions import db
from .models import DayKind, HospitalDay

TABLE = Path(__file__).parent / "data" / "cn_holidays.json"


class Coverage(enum.StrEnum):
    official = "official"  # public holidays and make-up working days from the published notice
    rule_based = "rule_based"  # public holidays by rule; make-up working days unknown
    weekdays = "weekdays"  # nothing known: Monday to Friday


@lru_cache(maxsize=256)
def _chinese_calendar_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class _RuleBased:
    """One year of `holidays`' CN calendar: its public holidays and its weekend days made working days."""

    def __init__(self, weekend: frozenset[int], holidays: frozenset[date], workdays: frozenset[date]):
        self.weekend, self.holidays, self.weekend_workdays = weekend, holidays, workdays

    def is_working_day(self, day: date) -> bool:  # as holidays.HolidayBase.is_working_day
        return day in self.weekend_workdays if day.weekday() in self.weekend else day not in self.holidays


@cache
def _table() -> dict:
    return json.loads(TABLE.read_text())


@lru_cache(maxsize=256)
def _holidays_cn(year: int) -> _RuleBased | None:
    data = _table()
    known = data["years"].get(str(year))
    if known is None:
        return None

    def days(values: list[str]) -> frozenset[date]:
        return frozenset(date(year, int(v[:2]), int(v[2:])) for v in values)

    return _RuleBased(frozenset(data["weekend"]), days(known["holidays"]), days(known["workdays"]))


@lru_cache(maxsize=256)
def coverage(year: int) -> Coverage:
    if _chinese_calendar_knows(year):
        return Coverage.official
    cn = _holidays_cn(year)
    if cn is None:
        return Coverage.weekdays
    if cn.weekend_workdays:
        return Coverage.official  # a newer `holidays` release that already has the year's notice
    return Coverage.rule_based


# Kept per day: it depends only on the installed calendars, and chinese_calendar checks a date's year against
# the range of every holiday it knows (about 20 µs) each time it is asked; a deadline asks for 20 days or more.
# A thousand days cover the few years around today that deadlines are counted in.
@lru_cache(maxsize=1024)
def national_working_day(day: date) -> bool:
    """Whether the national calendar (without the hospital's own days) counts `day`."""
    if _chinese_calendar_knows(day.year):
        return chinese_calendar.is_workday(day)
    cn = _holidays_cn(day.year)
    if cn is not None:
        return cn.is_working_day(day)
    return day.weekday() < 5


def hospital_days() -> dict[date, bool]:
    """The hospital's own days (date → counts as working), read once per request or command."""
    if has_app_context() and "hospital_days" in g:
        return g.hospital_days
    with db.session.no_autoflush:  # asked mid-operation: see policy.working_days
        rows = db.session.execute(select(HospitalDay.day, HospitalDay.kind)).all()
    days = {day: kind == DayKind.working for day, kind in rows}
    if has_app_context():
        g.hospital_days = days
    return days


def forget_hospital_days() -> None:
    """After the hospital days change: the next question reads them again."""
    if has_app_context():
        g.pop("hospital_days", None)


def is_working_day(day: date, own: dict[date, bool] | None = None) -> bool:
    """The hospital's own days first, then the national calendar; `own`: hospital_days(), when a count asks
    for many days."""
    own = hospital_days() if own is None else own
    return own[day] if day in own else national_working_day(day)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (`start` itself never counts): every deadline is this."""
    if days <= 0:
        return start
    own, current = hospital_days(), start  # found once for the whole count
    while days > 0:
        current += timedelta(days=1)
        if is_working_day(current, own):
            days -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """How many working days after `start` up to and including `end` (0 when `end` is not after `start`):
    the inverse of add_working_days, for "working days to respond"."""
    if end <= start:
        return 0
    own, count, current = hospital_days(), 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current, own):
            count += 1
    return count


def next_working_day(after: date) -> date:
    return add_working_days(after, 1)


def national_days(year: int) -> tuple[list[date], list[date]]:
    """The year's days off on a weekday and its weekend days made working days (调休), by the national
    calendar: what the administrator checks against the State Council's notice."""
    day, end = date(year, 1, 1), date(year + 1, 1, 1)
    off, make_up = [], []
    while day < end:
        working = national_working_day(day)
        if day.weekday() < 5 and not working:
            off.append(day)
        elif day.weekday() >= 5 and working:
            make_up.append(day)
        day += timedelta(days=1)
    return off, make_up


def warnings(today: date) -> list[str]:
    """What admins must know about this year and next (deadlines set late in the year fall in the next)."""
    messages = []
    for year in (today.year, today.year + 1):
        known = coverage(year)
        if known == Coverage.rule_based:
            messages.append(str(_l(
                "%(year)s: the official holiday notice is not in the calendar yet. Public holidays are counted "
                "by rule, but weekend days made working days (调休) are not known, and holidays moved by the "
                "notice are not either. When the notice is published, the administrator enters those days as "
                "hospital days (Admin › Working-day calendar).",
                year=year)))
        elif known == Coverage.weekdays:
            messages.append(str(_l(
                "%(year)s: no holiday calendar knows this year. Deadlines count Monday to Friday plus the "
                "hospital days; the administrator enters the public holidays and make-up working days by hand "
                "(Admin › Working-day calendar).",
                year=year)))
    return messages
