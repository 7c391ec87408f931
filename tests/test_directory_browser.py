"""The staff directory in a real browser: the administrator uploads the hospital's export, reads its
preview, confirms it, and finds a person by typing in the list's search (htmx narrows the list in place).
No console error, CSP violation or server error on the way (tests/browser.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intranet.core.extensions import db
from intranet.directory import imports
from intranet.directory.models import StaffMember
from tests import factories
from tests.browser import release
from tests.test_accounts_browser import log_in
from tests.test_public_browser import Pages, audit, audited  # noqa: F401 (audited: a fixture)

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

STAFF_LIST = ("工号,姓名,科室,职称,在职\n"
              "1001,李明,CARD,主治医师,是\n"
              "1002,王芳,护理部,护士长,是\n"
              "1003,张伟,Cardiology,住院医师,是\n").encode("gb18030")


def test_the_administrator_imports_the_staff_list_and_searches_it(app_ctx, new_context, tmp_path):
    factories.make_world()
    release()
    export = tmp_path / "员工名单.csv"
    export.write_bytes(STAFF_LIST)
    page = new_context().new_page()
    log_in(page, "admin")
    page.get_by_role("link", name="Staff directory").click()
    expect(page.locator("#directory-results")).to_contain_text("Nobody in the directory matches these filters.")

    page.get_by_role("link", name="Import", exact=True).click()
    page.set_input_files("#file", str(export))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview of 员工名单.csv")
    expect(page.locator("#main")).to_contain_text("3 rows: 3 new, 0 updated, 0 unchanged, 0 with errors.")
    expect(page.locator("table.import-preview tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Confirm and write the import").click()
    expect(page.get_by_role("status")).to_have_text(
        "Import written from 员工名单.csv: 3 new, 0 updated, 0 unchanged, 0 marked inactive.")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)  # the import, recorded

    page.get_by_role("link", name="People", exact=True).click()
    rows = page.locator("#directory-results tbody tr")
    expect(rows).to_have_count(3)
    page.fill("#q", "王")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("王芳")
    expect(page).to_have_url(re.compile(r"/admin/directory\?q=%E7%8E%8B"))  # the search, in the address bar
    page.fill("#q", "card")
    expect(rows).to_have_count(2)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_directorys_pages_pass_axe_and_the_nu_checker(audited, app_ctx, tmp_path, lang):  # noqa: F811
    world = factories.make_world()
    admin = world.admin
    plan = imports.preview(STAFF_LIST, "staff.csv")
    imports.apply(admin, plan, plan.digest, False)
    person = db.session.scalar(select(StaffMember).where(StaffMember.staff_number == "1002"))
    with_errors = imports.keep("工号,姓名,科室\n,王芳,NURS\n1001,李明,神经科\n".encode(), "staff.csv", admin)
    clean = imports.keep("工号,姓名,科室\n1001,李明,NURS\n1004,赵六,CARD\n".encode(), "staff.csv", admin)
    person_id = person.id
    release()
    page = audited(locale="zh-CN" if lang == "zh" else "en-US").new_page()
    log_in(page, "admin")
    pages = Pages(tmp_path)
    for name, path in [("directory", "/admin/directory"), ("directory-search", "/admin/directory?q=王&state=all"),
                       ("person", f"/admin/directory/{person_id}"), ("new-person", "/admin/directory/new"),
                       ("import", "/admin/directory/import"),
                       ("preview-errors", f"/admin/directory/import/{with_errors}"),
                       ("preview", f"/admin/directory/import/{clean}")]:
        response = page.goto(path)
        audit(page, pages, name, response.text())
    pages.validate()
