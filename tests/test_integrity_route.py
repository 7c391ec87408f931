"""An integrity complaint (医德医风: a red envelope, a kickback, misconduct) goes to the discipline office
(纪检监察室), which takes the department head's part in it; the department it accuses never sees it, in
any page, fragment, count, search, notification, report or export; leadership does; and every view of its
page is logged."""

import io
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from intranet.complaints import audit, operations
from intranet.complaints.identity_views import IdentityView
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint, ComplaintEvent
from intranet.core.departments import Category
from intranet.core.extensions import db
from intranet.core.time import today
from intranet.core.users import User
from intranet.notifications import relay
from intranet.notifications.kinds import KINDS, TO_HEADS
from intranet.notifications.models import OutboxMessage, StaffNotification
from intranet.reports.periods import Period
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_authorization_matrix import POLICIES

ACCUSATION = "外科医生收红包二千元"  # words of the integrity complaint, to look for everywhere
HX_COMPLAINT = {"HX-Request": "true", "HX-Target": "complaint"}
HX_COUNTS = {"HX-Request": "true", "HX-Target": "queue-counts"}
HX_ROWS = {"HX-Request": "true", "HX-Target": "queue-rows"}
HX_RESULTS = {"HX-Request": "true", "HX-Target": "results"}


@pytest.fixture
def client(app_ctx):
    c = app_ctx.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


def integrity_complaint(world, state=State.investigating, **data):
    """An integrity complaint about cardiology (world.head's department), taken this far."""
    return factories.make_complaint(world, state, integrity=True, what_happened=f"{ACCUSATION}。", **data)


def integrity_category() -> Category:
    category = Category(code="REDENV", name_zh="红包回扣", name_en="Red envelopes and kickbacks", integrity=True)
    db.session.add(category)
    db.session.commit()
    return category


def xlsx_text(data: bytes) -> str:
    """Every cell of a workbook, as one text to look in."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)


def counts(html: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r'data-queue="([a-z_]+)">(\d+)<', html)}


# --- what makes a complaint an integrity one --------------------------------------------------------------


def test_a_complaint_logged_in_an_integrity_category_is_one_and_its_record_says_so(world, client):
    category = integrity_category()
    login(client, world.reception)
    token = csrf_token(client, "/complaints/new")
    response = client.post("/complaints/new", data={
        "csrf_token": token, "channel": "phone", "what_happened": ACCUSATION, "complainant_phone": "13800138000",
        "category_id": category.id, "severity": "minor", "complexity": "simple"})
    assert response.status_code == 302
    complaint = db.session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert complaint.integrity is True
    [event] = complaint.events
    assert event.data["integrity"] is True
    # The chained facts vouch for it: changed behind the record's back, the record no longer verifies.
    assert "integrity" in audit.FACTS and audit.record_problems(complaint) == []
    db.session.execute(text("UPDATE complaints SET integrity = :v WHERE id = :id"), {"v": False, "id": complaint.id})
    db.session.commit()
    db.session.expire_all()
    assert [p.fact for p in audit.record_problems(db.session.get(Complaint, complaint.id))
            if isinstance(p, audit.Disagrees)] == ["integrity"]


def test_reception_marks_it_at_intake(world, client):
    login(client, world.reception)
    token = csrf_token(client, "/complaints/new")
    client.post("/complaints/new", data={"csrf_token": token, "channel": "phone", "what_happened": ACCUSATION,
                                         "complainant_phone": "13800138000", "integrity": "y"})
    assert db.session.scalars(select(Complaint.integrity).order_by(Complaint.id.desc())).first() is True


@pytest.mark.parametrize(("ticked", "category_integrity", "expected"), [
    (False, False, False), (True, False, True), (False, True, True), (True, True, True)])
def test_triage_marks_it_by_the_box_or_by_the_category(world, ticked, category_integrity, expected):
    complaint = factories.make_complaint(world, State.submitted)
    world.category.integrity = category_integrity
    db.session.commit()
    data = {**factories.action_data(Action.triage, world), "integrity": ticked}
    operations.perform(world.reception, Action.triage, complaint, data, complaint.version)
    db.session.commit()
    assert complaint.integrity is expected
    assert complaint.events[-1].data.get("integrity") == (True if expected else None)


def test_once_marked_triage_does_not_unmark_it(world):
    complaint = integrity_complaint(world, State.registered)
    data = {**factories.action_data(Action.triage, world), "integrity": False}
    operations.perform(world.reception, Action.triage, complaint, data, complaint.version)
    db.session.commit()
    assert complaint.integrity is True


def test_marked_later_it_leaves_the_department_and_its_bell(world, client):
    complaint = factories.make_complaint(world, State.investigating, what_happened=ACCUSATION)
    relay.send_pending()
    assert db.session.scalars(select(StaffNotification).where(StaffNotification.user_id == world.head.id)).all()
    operations.perform(world.reception, Action.mark_integrity, complaint,
                       {"reason": "The patient says the surgeon asked for a red envelope."}, complaint.version)
    db.session.commit()
    relay.send_pending()
    assert complaint.integrity is True
    assert db.session.scalars(select(StaffNotification).where(StaffNotification.user_id == world.head.id)).all() == []
    [told] = db.session.scalars(select(StaffNotification).where(StaffNotification.user_id == world.supervision.id))
    assert told.kind == "integrity_marked" and told.complaint_id == complaint.id
    login(client, world.head)
    assert client.get(f"/complaints/{complaint.reference}").status_code == 404
    assert complaint.reference not in client.get("/notifications").get_data(as_text=True)


def test_marked_later_it_leaves_a_contributing_department_too(world, client):
    """Co-handling: a department asked for its part before the mark sees it no more, nor hears of it, and
    no department is asked once it is marked."""
    complaint = factories.make_complaint(world, State.investigating, what_happened=ACCUSATION)
    factories.ask_contribution(world, complaint)
    relay.send_pending()
    assert db.session.scalars(select(StaffNotification).where(StaffNotification.user_id == world.other_head.id)).all()
    operations.perform(world.reception, Action.mark_integrity, complaint,
                       {"reason": "The patient says the surgeon asked for a red envelope."}, complaint.version)
    db.session.commit()
    relay.send_pending()
    assert db.session.scalars(select(StaffNotification).where(
        StaffNotification.user_id == world.other_head.id)).all() == []
    login(client, world.other_head)
    assert client.get(f"/complaints/{complaint.reference}").status_code == 404
    for url in ("/queue?q=contribution_due", "/notifications", "/reports/complaints.csv"):
        assert complaint.reference not in client.get(url).get_data(as_text=True), url
    login(client, world.reception)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert 'action="/complaints/' + complaint.reference + '/ask_contribution"' not in page


def test_the_database_refuses_a_complaint_without_the_mark(world):
    complaint = factories.make_complaint(world)
    with pytest.raises(IntegrityError):
        db.session.execute(update(Complaint).where(Complaint.id == complaint.id).values(integrity=None))
        db.session.flush()
    db.session.rollback()


# --- the department concerned never sees it -----------------------------------------------------------------

# Every GET the accused department's head may open (test_authorization_matrix.POLICIES says which), with the
# URLs tried for it: each must answer without naming the integrity complaint. A route added for heads
# without a line here fails test_the_list_is_every_page_a_head_can_open.
def head_urls(c, evidence_id: int, month: str) -> dict[str, list[tuple[str, dict]]]:
    ref = c.reference
    last_month = Period.month_of(today()).previous().slug
    quarter, year = f"{today().year}-Q{(today().month - 1) // 3 + 1}", str(today().year)
    return {
        "public.landing": [("/", {})],
        "public.complain": [("/complain", {})],
        "public.track": [("/track", {})],
        "public.confirmation": [],  # only after the visitor's own submission
        "notices.index": [("/notices", {})],
        "notices.show": [],  # a published notice, not a complaint
        "static": [],
        "auth.login": [],
        "second_factor.code": [],
        "auth.change_password": [("/account/password", {})],
        "notifications.index": [("/notifications", {}), ("/notifications?unread=1", {})],
        "notifications.bell": [("/notifications/bell", {})],
        "complaints.queue": [("/queue", {}), ("/queue", HX_COUNTS)]
                            + [(f"/queue?q={q}", h) for q in ("new", "investigating", "overdue",
                                                                   "contribution_due", "history")
                               for h in ({}, HX_ROWS)],
        "complaints.search": [(f"/search?q={q}", h) for q in (ref, ACCUSATION, "红包", "13800138000")
                              for h in ({}, HX_RESULTS)]
                             + [(f"/search?department_id={c.department_id}", {})],
        "receipts.poster": [("/poster", {})],
        "complaints.detail": [(f"/complaints/{ref}", {}), (f"/complaints/{ref}", HX_COMPLAINT)],
        "evidence.download": [(f"/complaints/{ref}/evidence/{evidence_id}", {})],
        # A person's statement file: refused like the complaint's own files (none is kept here).
        "evidence.statement_file": [(f"/complaints/{ref}/people/1/files/1", {})],
        # The people picker finds staff in the directory, never complaints.
        "complaints.people_found": [("/complaints/people-found?field=people&people-find=王", {})],
        "healthz": [("/healthz", {})],
        "receipts.show_receipt": [(f"/complaints/{ref}/receipt", {})],
        "complaints.archive_record": [(f"/complaints/{ref}/record", {})],
        "complaints.letter": [(f"/complaints/{ref}/letters/1", {})],
        "reports.index": [("/reports", {}), (f"/reports?period={month}", {})],
        "reports.monthly_latest": [],  # a redirect to last month's, below
        "reports.monthly": [(f"/reports/monthly/{month}", {}), (f"/reports/monthly/{last_month}", {})],
        "reports.analysis_of": [(f"/reports/analysis/{quarter}", {}), (f"/reports/analysis/{year}", {})],
        "reports.meeting": [],  # a quality meeting that reviewed it: tried below
        "reports.kpi_export": [(f"/reports/kpis.csv?period={month}", {}), (f"/reports/kpis.xlsx?period={month}", {})],
        "reports.remedies_export": [(f"/reports/remedies.csv?period={month}", {}),
                                    (f"/reports/remedies.csv?period={quarter}&table=month", {}),
                                    (f"/reports/remedies.xlsx?period={month}", {})],
        "reports.complaint_export": [("/reports/complaints.csv", {}), (f"/reports/complaints.csv?period={month}", {}),
                                     ("/reports/complaints.xlsx", {})],
        "reports.people": [("/reports/people", {}), (f"/reports/people?period={month}", {})],
        "reports.people_export": [(f"/reports/people.csv?period={month}", {}),
                                  (f"/reports/people.csv?period={month}&table=departments", {}),
                                  (f"/reports/people.xlsx?period={month}", {})],
        "corrective.index": [("/corrective", {})],
        "corrective.new": [("/corrective/new", {})],
        "corrective.detail": [],  # one of its department's corrective actions: tried below
    }


def test_the_list_is_every_page_a_head_can_open(app_ctx):
    heads_pages = {endpoint for (endpoint, method), policy in POLICIES.items()
                   if method == "GET" and "head_a" in policy.allowed}
    # The complaint's own pages are the head's for their department's complaints: listed to be refused.
    listed = set(head_urls(Complaint(reference="TS-0"), 0, "2026-01"))
    assert heads_pages <= listed, heads_pages - listed


def test_no_page_fragment_count_search_report_or_export_of_the_head_names_it(world, client):
    complaint = integrity_complaint(world, State.investigating, complainant_name="举报人")
    ordinary = factories.make_complaint(world, State.investigating)  # cardiology's own, as a control
    from intranet.complaints.evidence import Evidence

    evidence = Evidence(complaint_id=complaint.id, stored_name="none.jpg", original_name="photo.jpg",
                        content_type="image/jpeg", size=4)
    db.session.add(evidence)
    db.session.commit()
    relay.send_pending()
    month = today().strftime("%Y-%m")
    login(client, world.head)
    seen = []
    for endpoint, urls in head_urls(complaint, evidence.id, month).items():
        for url, headers in urls:
            response = client.get(url, headers=headers)
            body = xlsx_text(response.get_data()) if ".xlsx" in url else response.get_data(as_text=True)
            if endpoint in ("complaints.detail", "evidence.download", "evidence.statement_file",
                            "receipts.show_receipt", "complaints.archive_record", "complaints.letter"):
                assert response.status_code == 404, (url, response.status_code)
            else:
                assert response.status_code == 200, (url, response.status_code)
            if endpoint == "complaints.search":  # the search box says again what was searched for
                body = re.sub(r'value="[^"]*"|“[^”]*”', "", body)
            for secret in (complaint.reference, ACCUSATION, "举报人"):
                assert secret not in body, (url, secret)
            seen.append(url)
    # The control shows where the integrity complaint would have: the lists above are not empty ones.
    assert ordinary.reference in client.get("/queue?q=history").get_data(as_text=True)
    assert ordinary.reference in client.get("/reports/complaints.csv").get_data(as_text=True)
    assert counts(client.get("/queue", headers=HX_COUNTS).get_data(as_text=True)) == {
        "new": 0, "investigating": 1, "overdue": 0, "contribution_due": 0, "history": 1}
    assert len(seen) > 30


def test_nor_does_a_quality_meeting_that_reviewed_it(world, client):
    from datetime import date

    from intranet.reports.meetings import QualityMeeting

    complaint = integrity_complaint(world)
    ordinary = factories.make_complaint(world, State.investigating)  # cardiology's own, as a control
    meeting = QualityMeeting(held_on=date(2026, 11, 5), period_kind="month", period_start=date(2026, 10, 1),
                             decisions="红包问题移交纪检监察室。", recorded_by_id=world.leadership.id,
                             complaints=[complaint, ordinary])
    db.session.add(meeting)
    db.session.commit()
    login(client, world.head)
    page = client.get(f"/reports/meetings/{meeting.id}").get_data(as_text=True)
    assert ordinary.reference in page
    assert complaint.reference not in page


def test_nor_does_a_corrective_action_it_shares_with_the_department(world, client):
    complaint = integrity_complaint(world)
    from intranet.complaints.corrective import records

    action = records.raise_action(world.leadership, {"title": "Gift policy", "owner_department_id": world.cardiology.id,
                                                     "due_on": today() + timedelta(days=30)}, complaints=[complaint])
    db.session.commit()
    login(client, world.head)
    # The department owns the corrective action and sees it; not the complaint it answers.
    page = client.get(f"/corrective/{action.id}").get_data(as_text=True)
    assert "Gift policy" in page and complaint.reference not in page


def test_the_heads_reports_count_only_their_own(world):
    from intranet.reports import kpis

    integrity_complaint(world)
    factories.make_complaint(world, State.investigating)
    period = Period.month_of(today())
    assert kpis.figures(kpis.Scope(world.head), period).counts["received"] == 1
    assert kpis.figures(kpis.Scope(world.leadership), period).counts["received"] == 2


# --- the discipline office ----------------------------------------------------------------------------------


def test_the_office_queues_list_integrity_complaints_only(world, client):
    new = integrity_complaint(world, State.assigned)
    investigating = integrity_complaint(world, State.investigating)
    findings = integrity_complaint(world, State.investigating)
    operations.perform(world.supervision, Action.record_findings, findings,
                       factories.action_data(Action.record_findings, world), findings.version)
    db.session.commit()
    approval = integrity_complaint(world, State.awaiting_approval)
    ordinary = factories.make_complaint(world, State.investigating)
    login(client, world.supervision)
    expected = {
        "investigate": {new, investigating},
        "sign_off": {findings},
        "due_soon": set(),  # every one is due weeks from now
        "approval": {approval},
        "history": {new, investigating, findings, approval},
    }
    everyone = {new, investigating, findings, approval, ordinary}
    for name, listed in expected.items():
        html = client.get(f"/queue?q={name}").get_data(as_text=True)
        assert {c.reference for c in everyone if c.reference in html} == {c.reference for c in listed}, name
    assert counts(client.get("/queue", headers=HX_COUNTS).get_data(as_text=True)) == {
        name: len(listed) for name, listed in expected.items()}
    assert client.get(f"/complaints/{ordinary.reference}").status_code == 404


def test_due_soon_lists_what_falls_due_within_three_days(world, client):
    complaint = integrity_complaint(world, State.investigating)
    db.session.execute(update(Complaint).where(Complaint.id == complaint.id)
                       .values(response_due_on=today() + timedelta(days=3)))
    db.session.commit()
    login(client, world.supervision)
    assert complaint.reference in client.get("/queue?q=due_soon").get_data(as_text=True)


# On an integrity complaint of cardiology: (action, state it is tried in) -> (the office's answer, the head's).
HEADS_STEPS = {
    (Action.accept, State.assigned): (302, 404),
    (Action.send_back, State.assigned): (302, 404),
    (Action.record_findings, State.investigating): (302, 404),
    (Action.sign_off, State.investigating): (302, 404),
    (Action.extend, State.investigating): (302, 404),
    (Action.escalate, State.investigating): (302, 404),
    (Action.note, State.investigating): (302, 404),
    (Action.respond, State.signed_off): (302, 404),
    # Leadership's part stays leadership's.
    (Action.approve, State.awaiting_approval): (403, 404),
    (Action.confirm_malicious, State.investigating): (403, 404),
    # Reception's too.
    (Action.assign, State.investigating): (403, 404),
    (Action.follow_up, State.responded): (403, 404),
}


@pytest.mark.parametrize(("action", "state"), list(HEADS_STEPS), ids=lambda v: getattr(v, "value", str(v)))
def test_the_office_takes_the_heads_steps_and_the_head_cannot(world, client, action, state):
    office, head = HEADS_STEPS[(action, state)]
    for user, expected in ((world.head, head), (world.supervision, office)):
        complaint = integrity_complaint(world, state)
        if action == Action.sign_off:
            operations.perform(world.supervision, Action.record_findings, complaint,
                               factories.action_data(Action.record_findings, world), complaint.version)
            db.session.commit()
        if action == Action.confirm_malicious:
            db.session.execute(update(Complaint).where(Complaint.id == complaint.id)
                               .values(responsibility="malicious_proposed"))
            db.session.commit()
        login(client, user)
        token = csrf_token(client, "/queue")
        fields = {f"{action.value}-{k}": v for k, v in factories.form_data(action, world, complaint).items()}
        response = client.post(f"/complaints/{complaint.reference}/{action.value}",
                               data={**fields, f"{action.value}-version": complaint.version},
                               headers={"X-CSRFToken": token})
        assert response.status_code == expected, (user.username, response.get_data(as_text=True)[:500])


def test_the_office_is_not_asked_for_corrective_actions(world, client):
    complaint = integrity_complaint(world)
    login(client, world.supervision)
    html = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    assert 'name="record_findings-findings"' in html
    assert "record_findings-corrective_title" not in html


# Who hears what of an integrity complaint: the office instead of the accused department's heads.
WHO_HEARS = [
    (State.registered, "minor", "reception", Action.assign, {}, {("assigned", "supervision")}),
    (State.investigating, "minor", "reception", Action.escalate, {"reason": "Press."},
     {("escalated", "leadership"), ("escalated_department", "supervision")}),
    (State.investigating, "major", "supervision", Action.sign_off, {}, {("awaiting_approval", "leadership")}),
    (State.investigating, "minor", "supervision", Action.sign_off, {}, {("signed_off", "reception")}),
    (State.awaiting_approval, "major", "leadership", Action.approve, {},
     {("signed_off", "reception"), ("approved", "supervision")}),
    (State.awaiting_approval, "major", "leadership", Action.return_for_rework, {"comment": "再核实一次。"},
     {("returned_for_rework", "supervision")}),
]


@pytest.mark.parametrize(("state", "severity", "who", "action", "data", "heard"), WHO_HEARS,
                         ids=[f"{row[3].value}-from-{row[0].value}-{row[1]}" for row in WHO_HEARS])
def test_the_office_hears_what_the_head_would(world, state, severity, who, action, data, heard):
    complaint = integrity_complaint(world, state, severity=severity)
    if action == Action.sign_off:
        operations.perform(world.supervision, Action.record_findings, complaint,
                           factories.action_data(Action.record_findings, world), complaint.version)
        db.session.commit()
    before = db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())) or 0
    payload = {**factories.action_data(action, world, complaint), **data}
    operations.perform(world.user(who), action, complaint, payload, complaint.version)
    db.session.commit()
    users = {str(world.user(k).id): k for k in ("reception", "leadership", "head", "other_head", "supervision")}
    queued = {(r.kind, users.get(r.recipient, r.recipient)) for r in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id > before, OutboxMessage.channel == "in_app"))}
    assert queued == heard


# What the department would read speaks to "your department"; the office reads its own words instead.
DEPARTMENT_WORDS = {"en": "your department", "zh": "本科室"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_what_the_office_hears_never_speaks_of_your_department(world, lang):
    about = integrity_complaint(world, State.assigned).about()
    ordinary = factories.make_complaint(world, State.assigned).about()
    # An integrity complaint takes no contributing department: what those hear is never about one.
    heads_kinds = [kind for kind in KINDS.values() if kind.to is TO_HEADS and not kind.name.startswith("contribution_")]
    data = {"reason": "理由", "comment": "意见", "level": 1}
    with force_locale(lang):
        told_the_office = ["\n".join(kind.render(about, data)) for kind in heads_kinds]
        told_a_head = ["\n".join(kind.render(ordinary, data)) for kind in heads_kinds]
    assert [text for text in told_the_office if DEPARTMENT_WORDS[lang] in text] == []
    # The department still reads its own: every kind with words for the office reads otherwise to a head.
    assert [kind.name for kind, office, head in zip(heads_kinds, told_the_office, told_a_head, strict=True)
            if (kind.office_subject or kind.office_body) and office.replace(about.reference, "")
            == head.replace(ordinary.reference, "")] == []


# --- leadership, and the log of who read it ------------------------------------------------------------------


def test_leadership_sees_it(world, client):
    complaint = integrity_complaint(world, State.awaiting_approval)
    login(client, world.leadership)
    page = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    assert ACCUSATION in page and "An integrity complaint" in page
    assert complaint.reference in client.get("/queue?q=approval").get_data(as_text=True)
    assert complaint.reference in client.get(f"/search?q={complaint.reference}").get_data(as_text=True)


def test_every_view_of_its_page_is_logged_identity_shown_or_not(world, client):
    complaint = integrity_complaint(world, State.investigating, anonymous=True, complainant_name=None,
                                    complainant_phone=None)
    for user in (world.supervision, world.leadership, world.supervision, world.reception):
        login(client, user)
        assert client.get(f"/complaints/{complaint.reference}").status_code == 200
    login(client, world.head)
    assert client.get(f"/complaints/{complaint.reference}").status_code == 404
    db.session.expire_all()
    logged = [row.user.username for row in db.session.scalars(
        select(IdentityView).where(IdentityView.complaint_id == complaint.id).order_by(IdentityView.id))]
    assert logged == ["discipline", "leadership", "discipline", "reception"]


def test_an_ordinary_anonymous_complaint_is_still_not_logged(world, client):
    complaint = factories.make_complaint(world, State.investigating, anonymous=True, complainant_name=None,
                                         complainant_phone=None)
    login(client, world.leadership)
    client.get(f"/complaints/{complaint.reference}")
    assert db.session.scalars(select(IdentityView).where(IdentityView.complaint_id == complaint.id)).all() == []


def test_its_events_name_the_office(world):
    complaint = integrity_complaint(world, State.signed_off)
    actors = {e.action: e.actor_id for e in db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id))}
    assert actors["accept"] == actors["sign_off"] == world.supervision.id


# --- the administrator's categories page ------------------------------------------------------------------


def test_the_administrator_makes_a_category_an_integrity_one_and_back(world, client):
    login(client, world.admin)
    page = client.get("/admin/categories").get_data(as_text=True)
    assert "Integrity category" in page
    token = csrf_token(client, f"/admin/categories/{world.category.id}")
    url = f"/admin/categories/{world.category.id}/integrity"
    assert client.post(url, data={"csrf_token": token, "version": world.category.version}).status_code == 302
    db.session.expire_all()
    category = db.session.get(Category, world.category.id)
    assert category.integrity is True
    shown = client.get(f"/admin/categories/{category.id}").get_data(as_text=True)
    assert "To the discipline office" in shown and "Made an integrity category" in shown
    # A second administrator who saw the page before is told, and nothing changes.
    stale = client.post(f"/admin/categories/{category.id}/not_integrity",
                        data={"csrf_token": token, "version": category.version - 1})
    assert stale.status_code == 409
    assert client.post(f"/admin/categories/{category.id}/not_integrity",
                       data={"csrf_token": token, "version": category.version}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Category, category.id).integrity is False


def test_a_new_category_may_be_an_integrity_one(world, client):
    login(client, world.admin)
    token = csrf_token(client, "/admin/categories")
    response = client.post("/admin/categories", data={"csrf_token": token, "code": "KICK", "name_zh": "回扣",
                                                      "name_en": "Kickbacks", "integrity": "y"})
    assert response.status_code == 302
    assert db.session.scalar(select(Category.integrity).where(Category.code == "KICK")) is True
    # Departments have no such box.
    assert 'name="integrity"' not in client.get("/admin/departments").get_data(as_text=True)


# --- a complaint about the head of the department (a conflict of interest) ---------------------------------


def test_a_complaint_about_the_head_goes_to_the_office_and_its_page_says_why(world, client):
    login(client, world.reception)
    token = csrf_token(client, "/complaints/new")
    client.post("/complaints/new", data={"csrf_token": token, "channel": "phone", "what_happened": "主任态度恶劣。",
                                         "complainant_phone": "13800138000", "about_head": "y"})
    complaint = db.session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert (complaint.integrity, complaint.about_head) == (True, True)
    assert complaint.events[0].data["about_head"] is True
    operations.perform(world.reception, Action.assign, complaint, factories.action_data(Action.assign, world),
                       complaint.version)
    db.session.commit()
    login(client, world.head)
    assert client.get(f"/complaints/{complaint.reference}").status_code == 404
    login(client, world.supervision)
    page = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    assert "a head may not investigate or sign off a complaint about themselves" in page
    assert f'action="/complaints/{complaint.reference}/accept"' in page


def test_triage_marks_a_complaint_about_the_head(world):
    complaint = factories.make_complaint(world, State.submitted)
    data = {**factories.action_data(Action.triage, world), "about_head": True}
    operations.perform(world.reception, Action.triage, complaint, data, complaint.version)
    db.session.commit()
    assert (complaint.integrity, complaint.about_head) == (True, True)


def test_the_database_refuses_a_complaint_about_the_head_off_the_integrity_route(world):
    complaint = factories.make_complaint(world)
    with pytest.raises(IntegrityError):
        db.session.execute(update(Complaint).where(Complaint.id == complaint.id).values(about_head=True))
        db.session.flush()
    db.session.rollback()


# --- the office's accounts --------------------------------------------------------------------------------


def test_the_administrator_creates_an_office_account_on_the_page_and_on_the_command_line(world, client, app_ctx):
    login(client, world.admin)
    token = csrf_token(client, "/admin/accounts/new")
    assert 'value="supervision"' in client.get("/admin/accounts/new").get_data(as_text=True)
    response = client.post("/admin/accounts/new", data={
        "csrf_token": token, "username": "jijian", "display_name": "纪检员", "role": "supervision",
        "department": "", "language": "zh", "password": "lantern over the river", "must_change_password": "y"})
    assert response.status_code == 302
    result = app_ctx.test_cli_runner().invoke(args=["users", "create", "jijian2", "--role", "supervision",
                                                    "--password", "lantern over the river"])
    assert result.exit_code == 0, result.output
    roles = dict(db.session.execute(
        select(User.username, User.role).where(User.username.in_(["jijian", "jijian2"]))).all())
    assert roles == {"jijian": "supervision", "jijian2": "supervision"}
    # Tied to no department: the office's part is the whole hospital's integrity complaints.
    refused = client.post("/admin/accounts/new", data={
        "csrf_token": token, "username": "jijian3", "display_name": "纪检员", "role": "supervision",
        "department": str(world.cardiology.id), "language": "", "password": "lantern over the river"})
    db.session.expire_all()
    assert refused.status_code in (302, 422)
    assert db.session.scalar(select(User.department_id).where(User.username == "jijian3")) is None


def test_leadership_reads_that_the_office_signed_off_not_the_department(world):
    complaint = integrity_complaint(world, State.investigating, severity="major")
    operations.perform(world.supervision, Action.record_findings, complaint,
                       factories.action_data(Action.record_findings, world), complaint.version)
    db.session.commit()
    operations.perform(world.supervision, Action.sign_off, complaint, factories.action_data(Action.sign_off, world),
                       complaint.version)
    db.session.commit()
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "awaiting_approval"))
    assert "纪检监察室" in row.body and "心血管内科" not in row.body
    relay.send_pending()
    [shown] = db.session.scalars(select(StaffNotification).where(StaffNotification.kind == "awaiting_approval"))
    from intranet.notifications.kinds import render_notification

    with client_language("en"):
        _subject, body = render_notification(shown.kind, shown.facts, shown.subject, shown.body)
    assert body.startswith("Discipline office signed off")


def client_language(lang: str):
    from flask_babel import force_locale

    return force_locale(lang)
