"""Accounts in a real browser: the administrator deactivates a colleague, whose open session ends with
their next request; a reset password sends the user to choose their own before anything else. No console
error, CSP violation or server error on the way (tests/browser.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from intranet.complaints.lifecycle import State
from tests import factories
from tests.browser import release
from tests.test_public_browser import Pages, audit, audited  # noqa: F401 (audited: a fixture)

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser


def log_in(page, username: str, password: str = factories.PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")


def test_a_deactivated_users_open_session_ends_on_their_next_request(app_ctx, new_context):
    world = factories.make_world()
    reception_id = world.reception.id
    release()
    colleague = new_context().new_page()
    log_in(colleague, "reception")
    expect(colleague).to_have_url(re.compile(r"/queue$"))

    admin = new_context().new_page()
    log_in(admin, "admin")
    admin.get_by_role("link", name="Accounts").click()
    admin.get_by_role("link", name="Reception", exact=True).click()
    expect(admin).to_have_url(re.compile(rf"/admin/accounts/{reception_id}$"))
    admin.get_by_role("button", name="Deactivate (ends their sessions now)").click()
    expect(admin.get_by_role("status")).to_contain_text("Account deactivated")
    expect(admin.locator("dl.facts")).to_contain_text("Deactivated")

    colleague.get_by_role("link", name="Search").click()
    expect(colleague).to_have_url(re.compile(r"/login"))
    expect(colleague.get_by_role("heading", name="Staff login")).to_be_visible()


def test_after_a_reset_the_user_chooses_a_new_password_first(app_ctx, new_context):
    world = factories.make_world()
    head_id = world.head.id
    release()
    admin = new_context().new_page()
    log_in(admin, "admin")
    admin.goto(f"/admin/accounts/{head_id}")
    admin.fill("#password", "temporary door key")
    admin.get_by_role("button", name="Reset the password").click()
    expect(admin.get_by_role("status")).to_contain_text("Password reset")

    head = new_context().new_page()
    log_in(head, "head-card", "temporary door key")
    expect(head).to_have_url(re.compile(r"/account/password$"))
    head.get_by_role("link", name="Queues").click()
    expect(head).to_have_url(re.compile(r"/account/password$"))
    head.fill("#current_password", "temporary door key")
    head.fill("#new_password", "plum tree by the gate")
    head.fill("#confirm", "plum tree by the gate")
    head.get_by_role("button", name="Save the new password").click()
    expect(head).to_have_url(re.compile(r"/queue$"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_administrators_pages_pass_axe_and_the_nu_checker(audited, watch, app_ctx, tmp_path, lang):  # noqa: F811
    world = factories.make_world()
    complaint = factories.make_complaint(world, State.investigating)
    ids = {"reception": world.reception.id, "cardiology": world.cardiology.id, "reference": complaint.reference}
    release()
    page = audited(locale="zh-CN" if lang == "zh" else "en-US").new_page()
    log_in(page, "admin")
    watch.allow(r"status of 403")  # the break-glass page answers 403 until a reason is given
    pages = Pages(tmp_path)
    for name, path in [("accounts", "/admin/accounts"), ("account", f"/admin/accounts/{ids['reception']}"),
                       ("new-account", "/admin/accounts/new"), ("departments", "/admin/departments"),
                       ("department", f"/admin/departments/{ids['cardiology']}"),
                       # What an administrator meets on a complaint: the break-glass page (a 403, by design).
                       ("break-glass", f"/complaints/{ids['reference']}"),
                       ("change-password", "/account/password")]:
        response = page.goto(path)
        audit(page, pages, name, response.text())
    watch.allow(r"status of 422")  # the form sent empty, on purpose
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.goto("/admin/accounts/new")
        page.locator("form.narrow button[type=submit]").click()
    audit(page, pages, "new-account-errors", answer.value.text())
    pages.validate()
