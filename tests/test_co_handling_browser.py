"""Co-handling in a real browser: the head of a contributing department finds the complaint in their
"contribution due" queue, with its badge and its own date, opens it and records the department's part (htmx
posts it in place); the queue is empty afterwards and the lead's page shows the part. No console error, CSP
violation or server error on the way (tests/browser.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from intranet.complaints.lifecycle import State
from tests import factories
from tests.browser import release
from tests.test_accounts_browser import log_in

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser


def test_the_contribution_queue_of_a_contributing_head(app_ctx, new_context):
    world = factories.make_world()
    complaint = factories.make_complaint(world, State.investigating)
    theirs = factories.make_complaint(world, State.investigating)  # cardiology's alone: not in the queue
    factories.ask_contribution(world, complaint)
    reference, other = complaint.reference, theirs.reference
    release()
    page = new_context().new_page()
    log_in(page, "head-nurs")
    page.goto("/queue?q=contribution_due")
    expect(page.locator("nav, .queues").get_by_text("Contribution due").first).to_be_visible()
    rows = page.locator("main")
    expect(rows).to_contain_text(reference)
    expect(rows).not_to_contain_text(other)
    page.get_by_role("link", name=reference).first.click()
    page.wait_for_url(f"**/complaints/{reference}")
    expect(page.locator("section.complaint-contributions")).to_contain_text("Due 23 Nov 2026")
    form = page.locator("details:has(#contribute-findings)")
    if form.count() and not form.evaluate("details => details.open"):  # the suggested next step stands open
        form.locator("summary").click()
    page.fill("#contribute-findings", "护工转运等候四十分钟属实。")
    page.fill("#contribute-people", "晚班护工一名")
    page.select_option("#contribute-responsibility", "partly_upheld")
    page.fill("#contribute-remedy_proposal", "晚间增派一名护工。")
    page.get_by_role("button", name="Record our department's part").click()
    parts = page.locator("section.complaint-contributions")
    expect(parts).to_contain_text("护工转运等候四十分钟属实。")
    expect(parts).to_contain_text("Part recorded")
    expect(page.locator("li.event-contribute")).to_contain_text("护工转运等候四十分钟属实。")
    page.goto("/queue?q=contribution_due")
    expect(page.locator("main")).not_to_contain_text(reference)
    page = new_context().new_page()
    log_in(page, "head-card")
    page.goto(f"/complaints/{reference}")
    expect(page.locator("section.complaint-contributions")).to_contain_text("晚班护工一名")
