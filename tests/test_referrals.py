"""Referrals answered back (转办件办结反馈): a complaint referred by 12320, 12345, the health commission or
another agency records who referred it, their case number and reply-by date at intake; the earlier of their
date and the hospital's governs the response, and the page says which. Once the complainant is answered,
reception reports back to them (method, date, text, files), by their date or the policy's report-back
clock; the referrals still to report back are a reception queue, and the KPI counts those reported back on
time.

The pinned clock: Wednesday 18 November 2026, 10:00 at the hospital. A simple complaint's response is due
five working days later (Wednesday 25 November); the report-back clock is two working days from the answer.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
from sqlalchemy import select

from intranet.complaints import audit, lifecycle, operations
from intranet.complaints.evidence import Evidence
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint
from intranet.complaints.permissions import can
from intranet.complaints.spec import ActionInvalid
from intranet.core.departments import ReferringBody
from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.reports import kpis
from intranet.reports.kpis import Scope
from intranet.reports.periods import Period
from tests import factories
from tests.conftest import csrf_token, login

NOVEMBER = Period.parse("2026-11")
MONDAY_23 = date(2026, 11, 23)  # before the hospital's own date, Wednesday 25 November
SCANNED_REPLY = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(day: int, hour: int = 10) -> datetime:
    """A moment of November 2026 at the hospital (UTC+8)."""
    return datetime(2026, 11, day, hour - 8, 0, tzinfo=UTC)


def hotline() -> ReferringBody:
    return db.session.scalar(select(ReferringBody).where(ReferringBody.code == "12345"))


def log(client, **data):
    page = client.get("/complaints/new")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/complaints/new?lang=en", data={
        "csrf_token": token, "channel": "referral", "what_happened": "12345转办：候诊三小时无人解释。",
        "complainant_name": "王女士", "complainant_phone": "13800138000", **data})


def the_complaint() -> Complaint:
    db.session.expire_all()
    return db.session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()


def drive(world, complaint, state: State):
    """Along the planner's path from where the complaint is to `state`, through the real operations."""
    for step in lifecycle.path_to(state, start=complaint.state):
        data = {**factories.action_data(step.action, world, complaint), **step.data}
        operations.perform(factories.actor(world, step.role.value, complaint), step.action, complaint, data,
                           complaint.version)
        db.session.commit()
    assert complaint.state == state


def report_back(world, complaint, **data):
    result = operations.perform(world.reception, Action.report_back, complaint, {
        "method": "platform", "text": "已电话答复投诉人，候诊区现已公告延误。", **data}, complaint.version)
    db.session.commit()
    return result.event


def referral(world, state: State = State.registered, **data) -> Complaint:
    return factories.make_complaint(world, state, channel="referral", referral_body_id=hotline().id,
                                    referral_case_number="12345-2026-0815", **data)


# --- the acceptance: a 12345 referral whose reply-by date is earlier than the hospital's --------------------


def test_a_12345_referral_due_before_the_hospital_s_date_is_shown_listed_and_counted_late(world, client):
    login(client, world.reception)
    response = log(client, referral_body_id=str(hotline().id), referral_case_number="12345-2026-0815",
                   referral_reply_by="2026-11-23")
    assert response.status_code == 302
    complaint = the_complaint()
    # Their date governs the response, and the first event records the hospital's own beside it.
    assert (complaint.referral_case_number, complaint.referral_reply_by) == ("12345-2026-0815", MONDAY_23)
    assert complaint.response_due_on == MONDAY_23
    assert complaint.events[0].data["referral_body"] == "12345"
    assert (complaint.events[0].data["response_due_was"], complaint.events[0].data["response_due_on"]) == (
        "2026-11-25", "2026-11-23")
    page = unescape(client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True))
    assert "23 Nov 2026 · <span class=\"due-source\">the referring body's date</span>" in page
    assert ("12345 citizens' service hotline · their case number "
            '<span class="case-number">12345-2026-0815</span>') in page

    # Not yet answered: nothing to report back.
    assert complaint.reference not in client.get("/queue?q=report_back").get_data(as_text=True)
    drive(world, complaint, State.responded)
    assert complaint.report_back_due_on == MONDAY_23  # their reply-by date
    listed = client.get("/queue?q=report_back&lang=en").get_data(as_text=True)
    assert complaint.reference in listed
    assert "Report back by 23 Nov 2026" in listed

    # Reported back on Tuesday 24th, a day after their date: late, and so in the KPI.
    with clock_at(at(24)):
        listed = client.get("/queue?q=report_back&lang=en").get_data(as_text=True)
        assert "Report back overdue" in listed
        event = report_back(world, complaint)
        figures = kpis.figures(Scope(world.leadership), NOVEMBER)
    assert event.data == {"method": "platform", "reported_on": "2026-11-24",
                          "text": "已电话答复投诉人，候诊区现已公告延误。", "due_on": "2026-11-23", "on_time": False}
    assert (figures.counts["reported_back_on_time"], figures.counts["report_back_due"]) == (0, 1)
    assert figures.shown("reported_back_on_time") == "0.0 %"
    assert complaint.reference not in client.get("/queue?q=report_back").get_data(as_text=True)


# --- intake ----------------------------------------------------------------------------------------------


def test_a_reply_by_date_later_than_the_hospital_s_leaves_the_hospital_s_date_and_the_page_says_so(world, client):
    login(client, world.reception)
    assert log(client, referral_body_id=str(hotline().id), referral_reply_by="2026-12-04").status_code == 302
    complaint = the_complaint()
    assert (complaint.response_due_on, complaint.referral_reply_by) == (date(2026, 11, 25), date(2026, 12, 4))
    assert "response_due_was" not in complaint.events[0].data
    page = unescape(client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True))
    assert "the hospital's own date, before theirs" in page


@pytest.mark.parametrize(("typed", "field", "message"), [
    ({"referral_reply_by": "2026-11-17"}, "referral_reply_by",
     "The reply-by date cannot be before the complaint was received."),
    ({"received_at": "2026-11-16", "referral_reply_by": "2026-11-13"}, "referral_reply_by",
     "The reply-by date cannot be before the complaint was received."),
    ({"referral_body_id": ""}, "referral_body_id", "Choose who referred it."),
    ({"channel": "phone"}, "referral_body_id",
     "Only a referral has a referring body: choose the channel “referral”, or leave this empty."),
], ids=["before-today", "before-the-day-received", "no-body", "not-a-referral"])
def test_bad_referral_details_are_refused_beside_their_field_with_everything_kept(world, client, typed, field,
                                                                                    message):
    login(client, world.reception)
    data = {"referral_body_id": str(hotline().id), "referral_case_number": "12345-2026-0815", **typed}
    response = log(client, **data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1).replace("&#34;", '"'), html[:3000]
    assert 'value="12345-2026-0815"' in html  # what was typed stays
    assert "12345转办：候诊三小时无人解释。" in html
    assert db.session.scalar(select(Complaint.id)) is None


def test_a_complaint_of_another_channel_keeps_no_referral_details(world):
    complaint = factories.make_complaint(world, State.registered, channel="phone", referral_body_id=hotline().id,
                                         referral_reply_by=MONDAY_23)
    assert (complaint.referral_body_id, complaint.referral_reply_by, complaint.response_due_on) == (
        None, None, date(2026, 11, 25))
    assert not can(world.reception, Action.record_referral, complaint)


# --- the referral's details, recorded later with a reason ----------------------------------------------------


def test_reception_records_a_referral_s_details_later_and_their_earlier_date_tightens_the_response(world):
    complaint = factories.make_complaint(world, State.investigating, channel="referral")
    assert complaint.referral_body_id is None
    result = operations.perform(world.reception, Action.record_referral, complaint, {
        "referral_body_id": hotline().id, "referral_case_number": "12345-2026-0901", "referral_reply_by": MONDAY_23,
        "reason": "The hotline's form came by fax afterwards."}, complaint.version)
    db.session.commit()
    assert result.event.data == {
        "referral_body": "12345", "referral_case_number": "12345-2026-0901", "referral_reply_by": "2026-11-23",
        "reason": "The hotline's form came by fax afterwards.", "response_due_was": "2026-11-25",
        "response_due_on": "2026-11-23"}
    assert complaint.response_due_on == MONDAY_23
    # A later date does not loosen it again: the hospital's date was already told.
    operations.perform(world.reception, Action.record_referral, complaint, {
        "referral_body_id": hotline().id, "referral_case_number": "12345-2026-0901",
        "referral_reply_by": date(2026, 11, 30), "reason": "The hotline moved its date by a week."},
        complaint.version)
    db.session.commit()
    assert complaint.response_due_on == MONDAY_23
    assert complaint.events[-1].data["referral_reply_by_was"] == "2026-11-23"


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"referral_case_number": "12345-2026-0815", "referral_reply_by": None}, "referral_body_id",
     "没有任何改动：请修改某项信息，或取消。"),
    ({"referral_case_number": "12345-2026-0815", "referral_reply_by": date(2026, 11, 17)}, "referral_reply_by",
     "对方要求的回复日期不能早于收到投诉的日期。"),
], ids=["nothing-changed", "before-received"])
def test_the_referral_s_details_step_refuses_nothing_changed_and_a_date_before_receipt(world, data, field, message):
    # Said in the staff's language (Chinese) beside the field.
    complaint = referral(world)
    with pytest.raises(ActionInvalid) as refused:
        operations.perform(world.reception, Action.record_referral, complaint,
                           {"referral_body_id": hotline().id, "reason": "Checked with the hotline.", **data},
                           complaint.version)
    assert refused.value.errors == {field: message}


def test_a_short_reason_is_refused_beside_it_over_http(world, client):
    complaint = referral(world)
    login(client, world.reception)
    url = f"/complaints/{complaint.reference}"
    response = client.post(f"{url}/record_referral?lang=en", data={
        "record_referral-referral_body_id": str(hotline().id), "record_referral-referral_case_number": "A-1",
        "record_referral-reason": "typo", "record_referral-version": str(complaint.version),
        "record_referral-csrf_token": csrf_token(client, url)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Give the reason in 10 characters at least." in html
    assert 'value="A-1"' in html


# --- report back -------------------------------------------------------------------------------------------


def test_without_a_reply_by_date_the_report_back_is_due_two_working_days_after_the_answer(world):
    complaint = referral(world, State.responded)  # answered today, Wednesday 18th
    assert complaint.report_back_due_on == date(2026, 11, 20)  # Friday
    with clock_at(at(20, 16)):
        event = report_back(world, complaint, method="phone")
    assert (event.data["due_on"], event.data["on_time"], complaint.reported_back_on_time) == ("2026-11-20", True, True)
    assert not can(world.reception, Action.report_back, complaint)  # once


@pytest.mark.parametrize("state", [State.registered, State.investigating, State.signed_off])
def test_no_report_back_before_the_complainant_is_answered(world, state):
    complaint = referral(world, state)
    assert not can(world.reception, Action.report_back, complaint)


def test_a_closed_referral_is_still_to_report_back_and_listed(world, client):
    complaint = referral(world, State.closed)
    assert can(world.reception, Action.report_back, complaint)
    login(client, world.reception)
    page = client.get("/queue?q=report_back").get_data(as_text=True)
    assert complaint.reference in page
    assert re.search(r'data-queue="report_back">1<', page)


def test_a_referral_reported_back_says_when_and_whether_in_time_in_its_row(world, client):
    """Closed: the date reported back and on time or late, where a closed row says "—"; answered and still
    to follow up: the follow-up's date, and the report back below it."""
    closed, late = referral(world, State.closed), referral(world, State.responded, referral_reply_by=date(2026, 11, 19))
    report_back(world, closed)
    with clock_at(at(20)):
        report_back(world, late)
    login(client, world.reception)
    page = client.get("/search?channel=referral&lang=en").get_data(as_text=True)

    def due(complaint) -> str:
        row = re.search(rf'<tr id="row-{complaint.reference}".*?</tr>', page, re.S).group(0)
        cell = re.search(r"<td data-label=\"Due\">(.*?)</td>", row, re.S).group(1)
        return re.sub(r"\s+", " ", cell).strip()

    assert due(closed) == ('<span class="reported-back">Reported back 18 Nov 2026</span> '
                           '<span class="badge badge-effective">On time</span>')
    assert due(late) == ('23 Nov 2026 <br><span class="reported-back">Reported back 20 Nov 2026</span> '
                         '<span class="badge badge-overdue">Late</span>')
    # Its page: done on the day reported back, which on time is judged by.
    detail = client.get(f"/complaints/{late.reference}?lang=en").get_data(as_text=True)
    assert ("<dd>19 Nov 2026 · their reply-by date · done 20 Nov 2026 · "
            '<span class="badge badge-overdue">late</span></dd>') in unescape(detail)


@pytest.mark.parametrize("role", ["head", "leadership", "supervision"])
def test_only_reception_reports_back(world, role):
    complaint = referral(world, State.responded)
    assert not can(world.user(role), Action.report_back, complaint)


def test_the_report_back_s_date_is_neither_in_the_future_nor_before_the_answer(world):
    complaint = referral(world, State.responded)
    for day, message in ((date(2026, 11, 19), "反馈日期不能是将来的日期。"),
                         (date(2026, 11, 17), "反馈日期不能早于答复投诉人的日期。")):
        with pytest.raises(ActionInvalid) as refused:
            operations.perform(world.reception, Action.report_back, complaint,
                               {"method": "phone", "text": "Told them.", "reported_on": day}, complaint.version)
        assert refused.value.errors == {"reported_on": message}
        db.session.rollback()


def test_the_report_back_over_http_keeps_its_files_as_evidence_and_is_on_the_chain(world, client):
    complaint = referral(world, State.responded)
    login(client, world.reception)
    url = f"/complaints/{complaint.reference}"
    response = client.post(f"{url}/report_back", content_type="multipart/form-data", data={
        "report_back-method": "letter", "report_back-text": "书面回复已寄出。",
        "report_back-version": str(complaint.version),
        "report_back-csrf_token": csrf_token(client, url),
        "report_back-evidence": [(io.BytesIO(SCANNED_REPLY), "回复函.pdf")]})
    assert response.status_code == 302
    db.session.expire_all()
    assert (complaint.report_back_method, complaint.report_back_text) == ("letter", "书面回复已寄出。")
    assert [e.original_name for e in db.session.scalars(select(Evidence))] == ["回复函.pdf"]
    assert complaint.events[-1].data["files"] == ["回复函.pdf"]
    assert audit.record_problems(complaint) == []
    # The report back is a fact of the chain: changed behind the app's back, the record says so.
    db.session.execute(Complaint.__table__.update().where(Complaint.id == complaint.id)
                       .values(report_back_text="从未答复。"))
    db.session.commit()
    db.session.expire_all()
    assert [p.fact for p in audit.record_problems(complaint)] == ["report_back_text"]


def test_two_people_reporting_back_at_once_the_second_gets_409_naming_who_acted(world, client):
    complaint = referral(world, State.responded)
    login(client, world.reception)
    url = f"/complaints/{complaint.reference}"
    token, version = csrf_token(client, url), complaint.version
    operations.perform(world.head, Action.note, complaint, {"text": "Called the hotline."}, complaint.version)
    db.session.commit()
    answer = client.post(f"{url}/report_back?lang=en", data={
        "report_back-method": "phone", "report_back-text": "Told the hotline what we told her.",
        "report_back-version": str(version), "report_back-csrf_token": token})
    assert answer.status_code == 409
    body = answer.get_data(as_text=True)
    assert "Someone else acted on this first, so your change was not saved." in body
    assert "Head-Card: Add an internal note" in body
    assert "Told the hotline what we told her." in body
    db.session.expire_all()
    assert complaint.reported_back_at is None


def test_the_complainant_s_tracking_page_shows_nothing_of_the_referral(world, client):
    complaint = referral(world, State.responded)
    report_back(world, complaint)
    page = client.post("/track", data={"reference": complaint.reference, "code": complaint.tracking_code,
                                       "csrf_token": csrf_token(client, "/track")}).get_data(as_text=True)
    assert complaint.reference in page
    for secret in ("12345-2026-0815", "已电话答复投诉人", "12345"):
        assert secret not in page.replace(complaint.reference, "")


# --- the KPI -----------------------------------------------------------------------------------------------


def test_the_kpi_counts_on_time_late_and_overdue_referrals_of_the_month(world):
    on_time = referral(world, State.responded)
    late = referral(world, State.responded, referral_reply_by=date(2026, 11, 19))
    overdue = referral(world, State.closed)
    referral(world, State.responded)  # not yet due: in no denominator
    factories.make_complaint(world, State.responded)  # not a referral
    report_back(world, on_time)
    with clock_at(at(20)):
        report_back(world, late)
    with clock_at(at(23)):  # Monday: the closed one's Friday has passed
        figures = kpis.figures(Scope(world.leadership), NOVEMBER)
        assert overdue.report_back_late()
    assert (figures.counts["reported_back_on_time"], figures.counts["report_back_due"]) == (1, 4)
    assert figures.shown("reported_back_on_time") == "25.0 %"
    assert str(kpis.BY_KEY["reported_back_on_time"].label) == "转办件按时办结反馈"


def test_the_admin_keeps_the_list_of_referring_bodies(world, client):
    login(client, world.admin)
    page = client.get("/admin/referrers?lang=en")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/admin/referrers", data={"csrf_token": token, "code": "municipal", "name_zh": "市信访局",
                                                     "name_en": "City petitions bureau"})
    assert response.status_code == 302
    assert db.session.scalar(select(ReferringBody.name_zh).where(ReferringBody.code == "MUNICIPAL")) == "市信访局"
