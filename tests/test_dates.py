"""Dates are unambiguous in both languages: English day first with the month in words and a 24-hour
clock (a Chinese hospital reads 12/1/26 as 12 January), Chinese in its own form."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from intranet.complaints.lifecycle import State
from intranet.core.time import clock_at, show_date, show_datetime
from tests import factories
from tests.conftest import login

# 06:58 UTC is 14:58 in Shanghai.
MOMENT = datetime(2026, 12, 1, 6, 58, tzinfo=UTC)


@pytest.mark.parametrize(("language", "form", "expected"), [
    ("en", "medium", "1 Dec 2026"),
    ("en", "long", "1 December 2026"),
    ("zh", "medium", "2026年12月1日"),
    ("zh", "long", "2026年12月1日"),
    ("en", "short", "1 Dec 2026"),
    ("zh", "short", "2026/12/1"),
])
def test_dates(app_ctx, language, form, expected):
    with force_locale(language):
        assert show_date(date(2026, 12, 1), form) == expected


@pytest.mark.parametrize(("language", "expected"), [("en", "1 Dec 2026 14:58"), ("zh", "2026/12/1 14:58")])
def test_moments_in_the_hospitals_time(app_ctx, language, expected):
    with force_locale(language):
        assert show_datetime(MOMENT) == expected


@pytest.mark.parametrize("day", [date(2026, 12, 1), date(2027, 1, 9), date(2030, 10, 31)])
def test_chinese_forms_are_babels(app_ctx, day):
    """The Chinese forms are written out (Babel's locale data is megabytes in each worker): still CLDR's."""
    from babel.dates import format_date, format_datetime

    with force_locale("zh"):
        for form in ("short", "medium", "long"):
            assert show_date(day, form) == format_date(day, form, locale="zh")
        moment = datetime(day.year, day.month, day.day, 1, 5, tzinfo=UTC)
        assert show_datetime(moment) == format_datetime(moment, "short", tzinfo=ZoneInfo("Asia/Shanghai"),
                                                        locale="zh")


def test_the_pages_use_them(world, client):
    with clock_at(MOMENT):
        complaint = factories.make_complaint(world, State.submitted)
    login(client, world.reception)
    english = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "1 Dec 2026 14:58" in english and " PM" not in english
    chinese = client.get(f"/complaints/{complaint.reference}?lang=zh").get_data(as_text=True)
    assert "2026/12/1 14:58" in chinese


@pytest.mark.parametrize("language", ["zh", "en"])
def test_period_names_are_babels(app_ctx, language):
    """The analysis's period names are written out too (Babel's locale data, loaded for them, was about
    10 MiB in each worker at its first analysis): still CLDR's, as format_skeleton gives them."""
    from babel.dates import format_skeleton

    from intranet.reports.periods import MONTH, QUARTER, YEAR, Period

    with force_locale(language):
        for index in range(1, 13):
            month = Period(2026, MONTH, index)
            assert month.label == format_skeleton("yMMMM", month.first_day, locale=language)
            assert month.short_label == format_skeleton("MMM", month.first_day, locale=language)
        for index in range(1, 5):
            quarter = Period(2026, QUARTER, index)
            assert quarter.label == format_skeleton("yQQQQ", quarter.first_day, locale=language)
        assert Period(2026, YEAR, 1).label == "2026"
    with force_locale("en"):
        assert Period(2026, QUARTER, 4).label == "4th quarter 2026"
    with force_locale("zh"):
        assert Period(2026, MONTH, 11).label == "2026年11月"
