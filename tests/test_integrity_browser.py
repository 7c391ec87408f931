"""The discipline office's queue in a real browser: its integrity complaints listed, opened, accepted in
place; nothing of them on the accused department's head's queue; no sideways scrolling at 360 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from intranet.complaints.lifecycle import State
from tests import factories
from tests.browser import release
from tests.test_browser import log_in

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_office_works_its_queue_and_the_head_sees_nothing(world, new_context, lang):
    new = factories.make_complaint(world, State.assigned, integrity=True, what_happened="医生收了红包。")
    ordinary = factories.make_complaint(world, State.assigned)
    office, head = world.supervision.username, world.head.username
    new, ordinary = new.reference, ordinary.reference
    release()
    page = new_context(locale="zh-CN" if lang == "zh" else "en-US").new_page()
    log_in(page, office)
    page.goto(f"/queue?lang={lang}")
    rows = page.locator("#queue-rows" if page.locator("#queue-rows").count() else "main table")
    expect(rows).to_contain_text(new)
    expect(rows).not_to_contain_text(ordinary)
    expect(page.locator('[data-queue="investigate"]')).to_have_text("1")
    page.click(f'a[href="/complaints/{new}"]')
    expect(page.locator(".integrity-route")).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/accept")) as answer:
        page.locator(f'#complaint form[action="/complaints/{new}/accept"] button[type=submit]').click()
    assert answer.value.status in (200, 302)
    expect(page.locator("#complaint .badges")).to_contain_text("Investigating" if lang == "en" else "调查")
    context = new_context(locale="zh-CN", viewport={"width": 360, "height": 640})
    narrow = context.new_page()
    log_in(narrow, head)
    narrow.goto("/queue?q=history")
    expect(narrow.locator("main")).to_contain_text(ordinary)
    expect(narrow.locator("main")).not_to_contain_text(new)
    width = narrow.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1]
