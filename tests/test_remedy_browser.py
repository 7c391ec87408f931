"""Remedies (补救措施) in a real browser, on a phone: the head proposes compensation of a negative amount,
then of an absurd one, each refused beside the amount with what was typed kept, in place (htmx); then
¥5,000, above the ¥2,000 threshold, which waits for leadership's approval."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from intranet.complaints.lifecycle import State
from tests import factories
from tests.browser import release
from tests.test_browser import log_in, open_action, submit_in_place

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

OFFERED = "因延误诊治导致二次入院，赔偿交通及误工费用。"


def test_a_head_s_bad_amounts_are_refused_beside_the_field_and_5000_waits_for_leadership(new_context, watch, world):
    reference = factories.make_complaint(world, State.investigating).reference
    release()
    page = new_context(locale="zh-CN", viewport={"width": 360, "height": 740}).new_page()
    log_in(page, "head-card")
    page.goto(f"/complaints/{reference}?lang=zh")
    watch.allow(r"status of 422")  # chromium logs every non-2xx answer to the console

    for typed, refused in (("-5000", "金额不能为负数。"),
                           ("50,000,000", "金额超过 ¥10,000,000 不合常理，请核对数字。")):
        form = open_action(page, reference, "propose_remedy")
        form.locator("#propose_remedy-kind").select_option("compensation")
        form.locator("#propose_remedy-amount").fill(typed)
        form.locator("#propose_remedy-description").fill(OFFERED)
        if typed == "-5000":
            assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        submit_in_place(page, form, status=422, watch=watch)
        expect(page.locator("#propose_remedy-amount-error")).to_contain_text(refused)
        expect(page.locator("#propose_remedy-amount")).to_have_value(typed)
        expect(page.locator("#propose_remedy-kind")).to_have_value("compensation")
        expect(page.locator("#propose_remedy-description")).to_have_value(OFFERED)
    expect(page.locator("#complaint .remedies")).to_have_count(0)

    form = open_action(page, reference, "propose_remedy")
    form.locator("#propose_remedy-amount").fill("5,000")
    submit_in_place(page, form, watch=watch)
    remedy = page.locator("#complaint .remedies li.remedy")
    expect(remedy).to_have_count(1)
    expect(remedy.locator(".amount")).to_have_text("¥5,000.00")
    expect(remedy.locator(".badge-remedy-waiting")).to_have_text("待院领导审批")
    expect(remedy).to_contain_text("超过 ¥2,000.00，须院领导审批")
    watch.check()
