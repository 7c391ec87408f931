"""Re-triage in a real browser: reception raises a complaint to major on its page, in place (htmx), and the
card, the timeline and leadership's approval follow."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from intranet.complaints.lifecycle import State
from tests import factories
from tests.browser import release
from tests.test_browser import expect_state, fact, log_in, open_action, submit_in_place

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser


def test_reception_raises_a_complaint_to_major_in_place(new_context, watch, world):
    complaint = factories.make_complaint(world, State.signed_off)
    reference = complaint.reference
    release()

    page = new_context().new_page()
    log_in(page, "reception")
    page.goto(f"/complaints/{reference}?lang=en")
    expect(fact(page, "Severity")).to_have_text("Minor · Simple (one department)")
    form = open_action(page, reference, "retriage")
    expect(form.locator("#retriage-complexity-hint")).to_contain_text("Involves several departments: due 2 Dec 2026")
    form.locator("#retriage-severity").select_option("major")
    form.locator("#retriage-reason").fill("Short")
    watch.allow(r"status of 422")  # chromium logs every non-2xx answer to the console
    submit_in_place(page, form, status=422, watch=watch)
    expect(page.locator("#retriage-reason-error")).to_contain_text("at least 10 characters")
    expect(page.locator("#retriage-severity")).to_have_value("major")

    form = open_action(page, reference, "retriage")
    form.locator("#retriage-reason").fill("The ward's records show a fall that was not reported.")
    submit_in_place(page, form, watch=watch)

    expect(page.locator("#complaint .notice-success")).to_be_visible()
    expect(fact(page, "Severity")).to_have_text("Major · Simple (one department)")
    expect_state(page, State.awaiting_approval)  # the signed-off response now waits for leadership
    event = page.locator("#complaint .timeline .event-retriage")
    expect(event).to_have_count(1)
    expect(event).to_contain_text("Severity now")
    expect(event).to_contain_text("Major")
    expect(page.locator('#complaint form[action$="/respond"]')).to_have_count(0)
    watch.check()
