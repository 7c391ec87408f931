"""The accountability report (/reports/people): the people October's complaints named, with the findings
for each, and each department's first responsible person beside its acknowledged-on-time and closure rates,
with a veto mark when either is below its 100 % target. Worked out by hand on a month built through the
real operations, read on 20 Nov 2026.

- A, Tue 13 Oct, cardiology, "Communication and attitude": acknowledged the same day, upheld, told 14 Oct,
  satisfied on 15 Oct: closed. Names Wang Ming (upheld) and Li Juan (not upheld).
- B, Wed 14 Oct, cardiology, "Charges": acknowledged the same day, still being investigated. Names Wang Ming
  (partly upheld) and Zhang Wei of nursing (no finding yet); Li Juan was named and removed again.
- I, Wed 14 Oct, an integrity complaint about cardiology (charges): names Wang Ming (upheld). Leadership
  counts it; cardiology's head never sees it.
- C, Thu 15 Oct, nursing: acknowledged the same day, then withdrawn: nothing the hospital handles, so no
  closure rate, and no mark.
- R, Wed 14 Oct, radiology: acknowledged the same day, not upheld, told 15 Oct, satisfied: closed. Names Zhao
  Jing (not upheld).
- Cardiology: acknowledged on time A B I of A B I; closed A of A B I (33.3 %): a veto. Seen by its head:
  A of A B (50.0 %). Radiology: 100 % and 100 %, no mark. Radiology has two head accounts, one of them
  disabled: the active one is its first responsible person.
- Wang Ming in September (not October's) and a person named only in words: not counted.
- Found against in the twelve months to 31 Oct (the repeat alert's count, set at 3): Wang Ming in A, B, I
  and September's complaint, 4 (his head sees 3: not I); Li Juan's upheld finding on B does not count, she
  was removed from it.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from intranet.complaints import operations, registration
from intranet.complaints.lifecycle import Action
from intranet.complaints.people import ComplaintPerson
from intranet.core.departments import Category, Department
from intranet.core.extensions import db
from intranet.core.hospital import HospitalRecord, forget
from intranet.core.time import clock_at
from intranet.directory.models import StaffMember
from intranet.reports import closing
from intranet.reports.periods import Period
from tests import factories
from tests.conftest import login

BEIJING = ZoneInfo("Asia/Shanghai")
READ_ON = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=BEIJING)


class October:
    def __init__(self, world):
        self.world = world
        self.radiology = Department(code="RAD", name_zh="放射科", name_en="Radiology")
        self.charges = Category(code="CHRG", name_zh="收费", name_en="Charges")
        db.session.add_all([self.radiology, self.charges])
        db.session.flush()
        self.radiology_head = factories.make_user("head-rad", "head", self.radiology)
        self.radiology_head.display_name = "Dr Zhou"
        former = factories.make_user("head-rad-old", "head", self.radiology)
        former.active = False
        db.session.commit()

    def head_of(self, complaint):
        if complaint.integrity:
            return self.world.supervision
        return {self.world.cardiology.id: self.world.head, self.world.nursing.id: self.world.other_head,
                self.radiology.id: self.radiology_head}[complaint.department_id]

    def act(self, complaint, action: Action, when: datetime, who=None, **data):
        who = who or {Action.accept: None, Action.record_findings: None, Action.sign_off: None}.get(
            action, self.world.reception) or self.head_of(complaint)
        with clock_at(when):
            payload = {**factories.action_data(action, self.world, complaint), **data}
            operations.perform(who, action, complaint, payload, complaint.version)
            db.session.commit()

    def receive(self, when: datetime, department: Department, category: Category, integrity=False):
        with clock_at(when):
            complaint = registration.create(None, factories.public_complaint_data(), received_at=when).complaint
            db.session.commit()
        self.act(complaint, Action.acknowledge, when, acknowledged_via="phone", acknowledged_on=when.date())
        self.act(complaint, Action.triage, when, category_id=category.id, integrity=integrity)
        self.act(complaint, Action.assign, when, department_id=department.id)
        if not integrity:
            self.act(complaint, Action.accept, when)
        return complaint

    def close(self, complaint, finding: str, told: datetime):
        self.act(complaint, Action.record_findings, told, responsibility=finding)
        self.act(complaint, Action.sign_off, told)
        self.act(complaint, Action.respond, told, method="phone", responded_on=told.date(), told_text="Looked into.")
        self.act(complaint, Action.follow_up, told, method="phone", satisfied=True)


def name(complaint, member, finding=None, removed=False, described=None):
    db.session.add(ComplaintPerson(
        complaint_id=complaint.id, staff_member_id=member.id if member else None, described=described,
        named_by_role="reception", named_at=complaint.received_at, finding=finding,
        removed_at=complaint.received_at if removed else None))
    db.session.commit()


@pytest.fixture
def october(world):
    m = October(world)
    wang = StaffMember(staff_number="1001", name="王明", department=world.cardiology, title="主治医师")
    li = StaffMember(staff_number="1002", name="李娟", department=world.cardiology)
    zhang = StaffMember(staff_number="2001", name="张伟", department=world.nursing)
    zhao = StaffMember(staff_number="3001", name="赵静", department=m.radiology)
    db.session.add_all([wang, li, zhang, zhao])
    db.session.commit()

    a = m.receive(at(10, 13), world.cardiology, world.category)
    m.close(a, "upheld", at(10, 14))
    b = m.receive(at(10, 14), world.cardiology, m.charges)
    i = m.receive(at(10, 14, 11), world.cardiology, m.charges, integrity=True)
    c = m.receive(at(10, 15), world.nursing, world.category)
    m.act(c, Action.withdraw, at(10, 15))
    r = m.receive(at(10, 14), m.radiology, world.category)
    m.close(r, "not_upheld", at(10, 15))
    september = m.receive(at(9, 15), world.cardiology, world.category)

    name(a, wang, "upheld")
    name(a, li, "not_upheld")
    name(b, wang, "partly_upheld")
    name(b, zhang)
    name(b, li, "upheld", removed=True)
    name(b, None, described="the tall porter")
    name(i, wang, "upheld")
    name(r, zhao, "not_upheld")
    name(september, wang, "upheld")
    m.complaints = dict(a=a, b=b, i=i, c=c, r=r)
    return m


def get(client, user, url):
    login(client, user)
    with clock_at(READ_ON):
        return client.get(url)


def cells(html: str, table_id: str) -> list[list[str]]:
    """The table's body rows, each cell's text with its whitespace squeezed."""
    import re

    body = html.split(f'id="{table_id}"', 1)[1].split("</tbody>", 1)[0].split("<tbody>", 1)[1]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        rows.append([" ".join(re.sub(r"<br>", " | ", re.sub(r"<(?!br)[^>]+>", " ", f)).split()) for f in found])
    return rows


@pytest.fixture
def en_client(app_ctx):
    c = app_ctx.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


def test_leadership_sees_every_person_named_and_every_department(world, october, en_client):
    refs = {k: c.reference for k, c in october.complaints.items()}
    html = get(en_client, world.leadership, "/reports/people?period=2026-10").get_data(as_text=True)
    assert cells(html, "table-people") == [
        ["王明", "1001", "Cardiology", "3", "2", "1", "Charges 2 | Communication and attitude 1",
         f"{refs['a']} | {refs['b']} | {refs['i']}", "4 Repeat"],
        ["李娟", "1002", "Cardiology", "1", "0", "0", "Communication and attitude 1", refs["a"], "0"],
        ["张伟", "2001", "Nursing", "1", "0", "0", "Charges 1", refs["b"], "0"],
        ["赵静", "3001", "Radiology", "1", "0", "0", "Communication and attitude 1", refs["r"], "0"],
    ]
    assert f'href="/complaints/{refs["i"]}"' in html
    # In the KPIs' order (responded on time, then closed): radiology answered all, cardiology not B and I
    # (due 4 and 5 Nov), nursing had nothing to answer.
    assert cells(html, "table-responsible") == [
        ["Radiology", "Dr Zhou", "100.0 % 1/1", "100.0 % 1/1", ""],
        ["Cardiology", "Head-Card", "100.0 % 3/3", "33.3 % 1/3 below target", "Veto"],
        ["Nursing", "Head-Nurs", "100.0 % 1/1", "—", ""],
    ]


def test_a_head_sees_only_their_own_departments_people_and_no_integrity_complaint(world, october, en_client):
    refs = {k: c.reference for k, c in october.complaints.items()}
    html = get(en_client, world.head, "/reports/people?period=2026-10").get_data(as_text=True)
    assert cells(html, "table-people") == [
        ["王明", "1001", "Cardiology", "2", "1", "1", "Charges 1 | Communication and attitude 1",
         f"{refs['a']} | {refs['b']}", "3 Repeat"],
        ["李娟", "1002", "Cardiology", "1", "0", "0", "Communication and attitude 1", refs["a"], "0"],
    ]
    assert cells(html, "table-responsible") == [
        ["Cardiology", "Head-Card", "100.0 % 2/2", "50.0 % 1/2 below target", "Veto"]]
    assert refs["i"] not in html and "张伟" not in html


def test_the_chinese_page_names_the_first_responsible_person_and_the_veto(world, october, app_ctx):
    client = app_ctx.test_client()
    html = get(client, world.leadership, "/reports/people?period=2026-10&lang=zh").get_data(as_text=True)
    assert "第一责任人" in html and "一票否决" in html


@pytest.mark.parametrize("role", ["reception", "supervision", "admin"])
def test_the_report_is_not_for_reception_the_discipline_office_or_the_administrator(world, october, en_client,
                                                                                  role):
    assert get(en_client, world.user(role), "/reports/people").status_code == 403


def test_the_csv_exports_both_tables_as_the_page_shows_them(world, october, en_client):
    refs = {k: c.reference for k, c in october.complaints.items()}
    people = get(en_client, world.leadership, "/reports/people.csv?period=2026-10&table=people")
    assert people.headers["Content-Disposition"] == 'attachment; filename="accountability-2026-10-people.csv"'
    rows = list(csv.reader(io.StringIO(people.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[:5] == [
        ["Name", "Staff number", "Department", "Complaints naming them", "Upheld", "Partly upheld", "By category",
         "Complaints", "Found against in the twelve months to 31 Oct 2026", "Repeat alert (3 or more)"],
        ["王明", "1001", "Cardiology", "3", "2", "1", "Charges 2; Communication and attitude 1",
         f"{refs['a']} {refs['b']} {refs['i']}", "4", "Repeat"],
        ["李娟", "1002", "Cardiology", "1", "0", "0", "Communication and attitude 1", refs["a"], "0", ""],
        ["张伟", "2001", "Nursing", "1", "0", "0", "Charges 1", refs["b"], "0", ""],
        ["赵静", "3001", "Radiology", "1", "0", "0", "Communication and attitude 1", refs["r"], "0", ""],
    ]
    departments = get(en_client, world.leadership, "/reports/people.csv?period=2026-10&table=departments")
    rows = list(csv.reader(io.StringIO(departments.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[:4] == [
        ["Department", "First responsible person", "Acknowledged on time (%)", "Closed (%)", "Veto"],
        ["Radiology", "Dr Zhou", "100.0", "100.0", ""],
        ["Cardiology", "Head-Card", "100.0", "33.3", "Veto"],
        ["Nursing", "Head-Nurs", "100.0", "", ""],
    ]


def test_the_heads_workbook_holds_only_their_department(world, october, en_client):
    response = get(en_client, world.head, "/reports/people.xlsx?period=2026-10")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    people, departments = (list(book[title].iter_rows(values_only=True))
                           for title in ("People named", "First responsible persons"))
    assert [row[:6] for row in people] == [
        ("Name", "Staff number", "Department", "Complaints naming them", "Upheld", "Partly upheld"),
        ("王明", "1001", "Cardiology", 2, 1, 1), ("李娟", "1002", "Cardiology", 1, 0, 0)]
    assert departments == [("Department", "First responsible person", "Acknowledged on time (%)", "Closed (%)",
                            "Veto"), ("Cardiology", "Head-Card", 100, 50, "Veto")]


def test_a_formula_in_a_name_is_defused_in_the_export(world, october, en_client):
    october.complaints["a"].people[0].staff_member.name = "=HYPERLINK(1)"
    db.session.commit()
    response = get(en_client, world.leadership, "/reports/people.csv?period=2026-10")
    assert "'=HYPERLINK(1)" in response.get_data(as_text=True)


def test_the_reports_page_links_to_it_for_leadership_and_heads_only(world, en_client, app_ctx):
    assert 'href="/reports/people' in get(en_client, world.leadership, "/reports").get_data(as_text=True)
    assert 'href="/reports/people' in get(app_ctx.test_client(), world.head, "/reports").get_data(as_text=True)
    assert 'href="/reports/people' not in get(app_ctx.test_client(), world.reception,
                                             "/reports").get_data(as_text=True)


def test_the_repeat_mark_follows_the_hospitals_setting(world, october, en_client):
    db.session.merge(HospitalRecord(id=1, name_zh="测试医院", repeat_alert_upheld=5))
    db.session.commit()
    forget()
    html = get(en_client, world.leadership, "/reports/people?period=2026-10").get_data(as_text=True)
    assert [row[-1] for row in cells(html, "table-people")] == ["4", "0", "0", "0"]
    assert "At 5 or more, the person is marked" in html


def test_a_closed_period_keeps_the_report_as_it_stood(world, october, en_client, app_ctx):
    refs = {k: c.reference for k, c in october.complaints.items()}
    with clock_at(READ_ON):
        closing.close(world.leadership, Period.parse("2026-10"))
    # After closing: Wang Ming's finding on B is changed, and a complaint dated 20 October is logged late.
    b = october.complaints["b"]
    wang = next(p for p in b.people if p.staff_member and p.staff_member.staff_number == "1001")
    wang.finding = "upheld"
    db.session.commit()
    late = october.receive(at(10, 20), world.cardiology, world.category)
    name(late, wang.staff_member, "upheld")

    html = get(en_client, world.leadership, "/reports/people?period=2026-10").get_data(as_text=True)
    assert "Closed on" in html and late.reference not in html
    assert cells(html, "table-people")[0] == [
        "王明", "1001", "Cardiology", "3", "2", "1", "Charges 2 | Communication and attitude 1",
        f"{refs['a']} | {refs['b']} | {refs['i']}", "4 Repeat"]
    assert cells(html, "table-responsible")[1] == [
        "Cardiology", "Head-Card", "100.0 % 3/3", "33.3 % 1/3 below target", "Veto"]
    csv_text = get(en_client, world.leadership, "/reports/people.csv?period=2026-10").get_data(as_text=True)
    assert csv_text.rstrip().endswith("the figures as they stood then.")

    # A head's view is not what the closing froze: worked out now, and it says so.
    head_html = get(app_ctx.test_client(), world.head, "/reports/people?period=2026-10&lang=en").get_data(
        as_text=True)
    assert cells(head_html, "table-people")[0][3:6] == ["3", "3", "0"]
    assert "narrowed, are worked out now" in head_html


def test_the_complaint_list_of_a_closed_period_marks_what_changed_since(world, october, en_client):
    with clock_at(READ_ON):
        closing.close(world.leadership, Period.parse("2026-10"))
    with clock_at(datetime(2026, 11, 21, 9, 0, tzinfo=BEIJING)):
        b = october.complaints["b"]
        operations.perform(world.reception, Action.note, b, {"comment": "Called the ward again."}, b.version)
        db.session.commit()
    rows = list(csv.reader(io.StringIO(get(en_client, world.leadership, "/reports/complaints.csv?period=2026-10")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][-1] == "Changed since the period closed on 20 Nov 2026 10:00"
    assert {row[0]: row[-1] for row in rows[1:]} == {
        c.reference: ("Changed" if key == "b" else "") for key, c in october.complaints.items()}
