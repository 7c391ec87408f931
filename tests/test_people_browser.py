"""The people a complaint is about, in a real browser: reception logs a complaint and picks the person from
the directory as it types (htmx offers them to tick); the head records that person's statement with a file.
No console error, CSP violation or server error on the way (tests/browser.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from intranet.complaints.lifecycle import Action, State
from intranet.complaints.people import ComplaintPerson
from intranet.core.extensions import db
from intranet.directory.models import StaffMember
from tests import factories
from tests.browser import release
from tests.test_accounts_browser import log_in
from tests.test_public_browser import Pages, audit, audited  # noqa: F401 (audited: a fixture)

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def directory(world):
    db.session.add_all([StaffMember(staff_number="10014", name="叶文杰", department=world.nursing, title="主管护师"),
                        StaffMember(staff_number="10039", name="夏磊", department=world.nursing)])
    db.session.commit()


def test_reception_picks_the_person_from_the_directory_at_intake(app_ctx, new_context):
    world = factories.make_world()
    directory(world)
    release()
    page = new_context().new_page()
    log_in(page, "reception")
    page.goto("/complaints/new")
    page.select_option("#channel", "phone")
    page.fill("#what_happened", "夜间按铃无人应答。")
    page.fill("#complainant_phone", "13800138000")
    page.fill("#people-find", "叶")
    found = page.locator("#people-found input[type=checkbox]")
    expect(found).to_have_count(1)
    expect(page.locator("#people-found")).to_contain_text("叶文杰 · 10014")
    found.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Log the complaint").click()
    expect(page.locator("section.complaint-people")).to_contain_text("叶文杰 · 10014")
    expect(page.locator("li.event-log")).to_contain_text("叶文杰 (10014)")


def test_the_head_records_a_persons_statement_with_a_file(app_ctx, new_context, tmp_path):
    world = factories.make_world()
    directory(world)
    complaint = factories.make_complaint(world, State.investigating)
    from intranet.complaints import operations
    member = db.session.scalars(db.select(StaffMember).where(StaffMember.staff_number == "10039")).one()
    operations.perform(world.head, Action.name_people, complaint, {"people": [member.id]}, complaint.version)
    db.session.commit()
    reference = complaint.reference
    release()
    schedule = tmp_path / "排班表.pdf"
    schedule.write_bytes(PDF)
    page = new_context().new_page()
    log_in(page, "head-card")
    page.goto(f"/complaints/{reference}")
    page.locator("summary", has_text="Record a person's statement").click()
    page.select_option("#record_statement-person_id", label="夏磊 · 10039 · Nursing")
    page.fill("#record_statement-told_on", "2026-11-17")
    page.select_option("#record_statement-told_via", "in_person")
    page.fill("#record_statement-statement", "当晚两位新入院病人，我尽快回应了。")
    page.set_input_files("#record_statement-evidence", str(schedule))
    page.get_by_role("button", name="Record a person's statement").click()
    people = page.locator("section.complaint-people")
    expect(people).to_contain_text("当晚两位新入院病人，我尽快回应了。")
    expect(people.get_by_role("link", name="排班表.pdf")).to_be_visible()
    expect(page.locator("li.event-record_statement")).to_contain_text("排班表.pdf")
    db.session.expire_all()
    assert [f.original_name for f in db.session.scalars(db.select(ComplaintPerson)).one().files] == ["排班表.pdf"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_people_pages_pass_axe(audited, watch, app_ctx, tmp_path, lang):  # noqa: F811
    # Axe only: the Nu checker knows no htmx attributes, which every staff page's forms carry.
    world = factories.make_world()
    directory(world)
    complaint = factories.make_complaint(world, State.investigating, people_described="5B病房夜班护士")
    from intranet.complaints import operations
    member = db.session.scalars(db.select(StaffMember).where(StaffMember.staff_number == "10039")).one()
    operations.perform(world.head, Action.name_people, complaint, {"people": [member.id]}, complaint.version)
    db.session.commit()
    person = complaint.people[1]
    operations.perform(world.head, Action.record_statement, complaint, {
        "person_id": person.id, "told_on": complaint.received_at.date(), "told_via": "phone",
        "statement": "我尽快回应了。"}, complaint.version)
    db.session.commit()
    reference = complaint.reference
    release()
    pages = Pages(tmp_path)
    page = audited(locale="zh-CN" if lang == "zh" else "en-US").new_page()
    log_in(page, "head-card")
    response = page.goto(f"/complaints/{reference}")
    for summary in page.locator("details.action summary").all():
        summary.click()  # every form open, for axe to read
    audit(page, pages, "complaint-people", response.text())
    page = audited(locale="zh-CN" if lang == "zh" else "en-US").new_page()
    log_in(page, "reception")
    page.goto("/complaints/new")
    page.fill("#people-find", "夏")
    expect(page.locator("#people-found input[type=checkbox]")).to_have_count(1)
    audit(page, pages, "intake-picker", page.content())
