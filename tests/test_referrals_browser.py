"""Referrals (转办件) in a real browser: reception logs one with a reply-by date before the complaint was
received, is refused beside the field with everything typed kept, corrects it and saves; once the
complainant is answered, in place, the referral waits in reception's "Referrals to report back".

The pinned clock: Wednesday 18 November 2026 at the hospital; the report back is due two working days after
the answer, Friday 20 November."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intranet.complaints.lifecycle import State
from intranet.core.departments import ReferringBody
from intranet.core.extensions import db
from tests import factories
from tests.browser import release
from tests.test_browser import expect_state, fact, log_in, open_action, submit_in_place

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

WHAT_HAPPENED = "【12345热线转办】我母亲在心内科门诊候诊三个多小时，没有任何人解释原因。"


def hotline_id() -> int:
    return db.session.scalar(select(ReferringBody.id).where(ReferringBody.code == "12345"))


def test_a_reply_by_date_before_receipt_is_refused_beside_it_and_the_rest_is_kept(new_context, watch, world):
    body = str(hotline_id())
    release()
    page = new_context(locale="zh-CN").new_page()
    log_in(page, "reception")
    page.goto("/complaints/new?lang=zh")
    page.select_option("#channel", "referral")
    page.select_option("#referral_body_id", body)
    page.fill("#referral_case_number", "12345-2026-0001234")
    page.fill("#referral_reply_by", "2026-11-17")  # the day before it was received (today)
    page.fill("#what_happened", WHAT_HAPPENED)
    page.fill("#complainant_name", "王女士")
    page.fill("#complainant_phone", "13800138000")
    watch.allow(r"status of 422")  # chromium logs every non-2xx answer to the console
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("form.intake button[type=submit]")
    assert answer.value.status == 422
    expect(page.locator("#referral_reply_by-error")).to_contain_text("对方要求的回复日期不能早于收到投诉的日期。")
    for selector, typed in (("#channel", "referral"), ("#referral_body_id", body),
                            ("#referral_case_number", "12345-2026-0001234"), ("#referral_reply_by", "2026-11-17"),
                            ("#what_happened", WHAT_HAPPENED), ("#complainant_name", "王女士")):
        expect(page.locator(selector)).to_have_value(typed)

    page.fill("#referral_reply_by", "2026-11-23")
    with page.expect_navigation():
        page.click("form.intake button[type=submit]")
    expect(page).to_have_url(re.compile(r"/complaints/TS-\d{4}-\d{6}$"))
    expect(fact(page, "转办单位")).to_have_text("12345政务服务便民热线 · 对方编号 12345-2026-0001234")
    watch.check()


def test_once_answered_in_place_the_referral_waits_in_the_report_back_queue(new_context, watch, world):
    complaint = factories.make_complaint(world, State.signed_off, channel="referral", referral_body_id=hotline_id(),
                                         referral_case_number="12345-2026-0001234")
    reference = complaint.reference
    release()
    # On a phone: the referral's facts and the answer's form fit the width.
    page = new_context(locale="en-GB", viewport={"width": 360, "height": 740}).new_page()
    log_in(page, "reception")
    page.goto(f"/complaints/{reference}?lang=en")
    expect(fact(page, "Report back by")).to_have_text("once the complainant is answered")
    form = open_action(page, reference, "respond")
    form.locator("#respond-method").select_option("phone")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    submit_in_place(page, form, watch=watch)
    expect_state(page, State.responded)
    expect(fact(page, "Report back by")).to_have_text(
        "20 Nov 2026 · the deadline policy's report-back clock, from the answer")

    page.goto("/queue?q=report_back&lang=en")
    row = page.locator(f"#row-{reference}")
    expect(row).to_contain_text("Report back by 20 Nov 2026")
    expect(page.locator('#queue-counts .count[data-queue="report_back"]')).to_have_text("1")
    watch.check()
