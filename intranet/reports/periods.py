"""Reporting periods: a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`), in the hospital's time
zone. A complaint belongs to the period its `received_at` falls in at the hospital: received at 23:30 on
30 November in Beijing is November's, although it is 15:30 UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from ..core.i18n import english
from ..core.time import MONTHS, hospital_tz, today

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")
MONTH, QUARTER, YEAR = "month", "quarter", "year"
_ORDINALS = ("1st", "2nd", "3rd", "4th")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: str
    index: int  # the month (1–12), the quarter (1–4), or 1 for a year

    @classmethod
    def parse(cls, text: str) -> Period | None:
        """The period a URL names, or None for anything else (never an error)."""
        found = _PATTERN.match(text or "")
        if not found:
            return None
        year = int(found["year"])
        if not 2000 <= year <= 2100:
            return None
        if found["month"]:
            month = int(found["month"])
            return cls(year, MONTH, month) if 1 <= month <= 12 else None
        if found["quarter"]:
            return cls(year, QUARTER, int(found["quarter"]))
        return cls(year, YEAR, 1)

    @classmethod
    def month_of(cls, day: date) -> Period:
        return cls(day.year, MONTH, day.month)

    @classmethod
    def last_month(cls) -> Period:
        """The month a monthly analysis is usually read for: the one just ended."""
        return cls.month_of(today()).previous()

    # --- dates ---------------------------------------------------------------------------------------

    @property
    def first_month(self) -> int:
        return {MONTH: self.index, QUARTER: 3 * self.index - 2, YEAR: 1}[self.kind]

    @property
    def months(self) -> int:
        return {MONTH: 1, QUARTER: 3, YEAR: 12}[self.kind]

    @property
    def first_day(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end_day(self) -> date:
        """The first day after the period."""
        month = self.first_month - 1 + self.months
        return date(self.year + month // 12, month % 12 + 1, 1)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as UTC moments: the hospital's midnight at each end. Comparing `received_at` with
        these uses its index, where converting every row would not."""
        tz = hospital_tz()
        return tuple(datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
                     for day in (self.first_day, self.end_day))

    # --- neighbours ----------------------------------------------------------------------------------

    def shifted(self, steps: int) -> Period:
        per_year = {MONTH: 12, QUARTER: 4, YEAR: 1}[self.kind]
        position = self.year * per_year + (self.index - 1) + steps
        return Period(position // per_year, self.kind, position % per_year + 1)

    def previous(self) -> Period:
        return self.shifted(-1)

    def last_year(self) -> Period:
        return Period(self.year - 1, self.kind, self.index)

    def month_periods(self) -> list[Period]:
        start = Period(self.year, MONTH, self.first_month)
        return [start.shifted(i) for i in range(self.months)]

    def trend(self, count: int = 12) -> list[Period]:
        """The `count` months up to and including this period's last month, oldest first."""
        last = self.month_periods()[-1]
        return [last.shifted(i - count + 1) for i in range(count)]

    # --- words ---------------------------------------------------------------------------------------

    @property
    def slug(self) -> str:
        return {MONTH: f"{self.year}-{self.index:02d}", QUARTER: f"{self.year}-Q{self.index}",
                YEAR: f"{self.year}"}[self.kind]

    # Written out, as show_date's forms are (intranet/core/time.py): CLDR's, which Babel's format_skeleton
    # gave, but it loaded the language's whole locale data and Babel's global data into the worker at its
    # first analysis, about 10 MiB. tests/test_dates.py checks them against Babel.
    @property
    def label(self) -> str:
        """"2026年11月" / "November 2026", "2026年第4季度" / "4th quarter 2026", "2026"."""
        if self.kind == MONTH:
            return f"{MONTHS[self.index - 1]} {self.year}" if english() else f"{self.year}年{self.index}月"
        if self.kind == QUARTER:
            if english():
                return f"{_ORDINALS[self.index - 1]} quarter {self.year}"
            return f"{self.year}年第{self.index}季度"
        return str(self.year)

    @property
    def short_label(self) -> str:
        """For chart axes: "11月" / "Nov"."""
        if self.kind != MONTH:
            return self.label
        return MONTHS[self.index - 1][:3] if english() else f"{self.index}月"

    def __str__(self) -> str:
        return self.slug
