"""Dates read exactly as Babel writes them, in each language and form, though written out without it."""

from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale, format_date, format_datetime

from intranet.core import time

MOMENTS = [datetime(2026, 1, 1, 0, 0, tzinfo=UTC) + timedelta(hours=7 * i, minutes=13 * i) for i in range(60)]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_same_text_as_babel(app, language):
    english = {"short": "d MMM y", "medium": "d MMM y", "long": "d MMMM y", "datetime": "d MMM y HH:mm"}
    with app.test_request_context(f"/?lang={language}"), force_locale(language):
        for moment in MOMENTS:
            expected = format_datetime(moment, english["datetime"] if language == "en" else "short")
            assert time.show_datetime(moment) == time.show_datetime(moment) == expected
            for form in ("short", "medium", "long"):
                for value in (moment.date(), moment):  # a moment shown as a date is the hospital's date
                    pattern = english[form] if language == "en" else form
                    assert time.show_date(value, form) == format_date(value, pattern)


def test_the_language_decides_the_text(app):
    day = date(2026, 12, 1)
    with app.test_request_context("/"):
        with force_locale("en"):
            english = time.show_date(day)
        with force_locale("zh"):
            chinese = time.show_date(day)
    assert english == "1 Dec 2026" and chinese != english
