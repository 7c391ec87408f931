"""The accountability report in a real browser, as leadership reads it on a desk and on a phone, in Chinese
and in English: every table there, read in full (a wide table scrolls inside itself, never the page), the
repeat mark shown, and nothing the browser complains of (tests/browser.py watches for CSP and script
errors)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import release
from tests.test_accountability_report import october  # noqa: F401 (the fixture: October worked out by hand)
from tests.test_browser import log_in

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

HEADINGS = {"en": ("People named", "First responsible persons", "Repeat", "Veto"),
            "zh": ("被投诉人", "第一责任人", "多次", "一票否决")}


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_leadership_reads_the_report_on_a_desk_and_on_a_phone(world, october, new_context, lang, width):  # noqa: F811
    username = world.leadership.username
    release()
    page = new_context(locale="zh-CN" if lang == "zh" else "en-US",
                       viewport={"width": width, "height": 800}).new_page()
    log_in(page, username)
    page.goto(f"/reports/people?period=2026-10&lang={lang}")
    people, responsible = page.locator("#table-people"), page.locator("#table-responsible")
    expect(people.locator("tbody tr")).to_have_count(4)
    expect(responsible.locator("tbody tr")).to_have_count(3)
    named, departments, repeat, veto = HEADINGS[lang]
    expect(page.locator("#people-named")).to_have_text(named)
    expect(people.locator("tbody tr").first.locator(".repeat-alert")).to_have_text(repeat)
    expect(responsible.locator(".veto")).to_have_text(veto)
    expect(page.locator("#responsible")).to_have_text(departments)
    scroll, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, f"the page scrolls sideways at {width} px: {scroll} > {client}"
    # The names keep to one line however narrow (they broke one character a line at 360 px).
    lines = people.locator("tbody tr").first.locator("th").evaluate("""cell => {
        const range = document.createRange();
        range.selectNodeContents(cell);
        return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
    }""")
    assert lines == 1
