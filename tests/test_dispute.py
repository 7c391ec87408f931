"""A complaint that becomes a medical dispute (医疗纠纷): the complainant takes it to the mediation committee,
an appraisal or a court. Reception records the route, the day it began and later its outcome; the complaint
stays where it is but leaves the office's clocks: not in the overdue lists, not escalated or reminded by the
sweep, not counted late. The monthly analysis counts disputes by route and by outcome.

The pinned clock: received Wednesday 18 November 2026, the response due five working days later, 25 November.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from intranet.complaints import operations, queues
from intranet.complaints.audit import record_problems
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint
from intranet.complaints.spec import ActionInvalid
from intranet.complaints.sweep import sweep
from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.notifications.models import OutboxMessage
from intranet.reports import analysis, kpis
from intranet.reports.kpis import Scope
from intranet.reports.periods import Period
from tests import factories
from tests.conftest import csrf_token, login

NOVEMBER = Period.parse("2026-11")
# Tuesday 1 December 2026, 10:00 at the hospital: a week past the response due date.
LATER = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def dispute(world, complaint, began_on=date(2026, 11, 18), **data):
    return operations.perform(world.reception, Action.record_dispute, complaint,
                              {"route": "mediation", "began_on": began_on, "case_number": "(2026) 调字第 7 号",
                               **data}, complaint.version)


def overdue_references(user) -> list[str]:
    queue = queues.find_queue(user, "overdue")
    return [c.reference for c in queues.complaints_in(user, queue, limit=50)]


def test_a_disputes_complaint_is_not_overdue(world):
    disputed = factories.make_complaint(world, State.investigating)
    plain = factories.make_complaint(world, State.investigating)
    dispute(world, disputed)
    db.session.commit()
    assert disputed.disputed_since == date(2026, 11, 18)
    assert disputed.state == State.investigating  # a fact on the complaint, not a state

    with clock_at(LATER):
        # Both were due on 25 November; only the one still the office's is overdue.
        assert overdue_references(world.leadership) == [plain.reference]
        assert overdue_references(world.head) == [plain.reference]
        assert queues.counts(world.leadership)["overdue"] == 1
        assert disputed.late_clock() is None and disputed.deadline() == (None, None)
        assert plain.deadline() == ("overdue", "acknowledge")  # the first of its clocks missed
        report = sweep()
        assert report.escalated == [plain.reference]
        db.session.expire_all()
        assert (disputed.escalation_level, plain.escalation_level) == (0, 1)
        figures = kpis.figures(Scope(world.leadership), NOVEMBER)
        # Taken to mediation before its due date: in neither figure of "responded on time".
        assert (figures.counts["response_due"], figures.counts["responded_on_time"]) == (1, 0)
        assert figures.counts["overdue_now"] == 1


def test_a_dispute_begun_after_the_date_missed_still_counts_late(world):
    complaint = factories.make_complaint(world, State.investigating)
    with clock_at(LATER):
        dispute(world, complaint, began_on=date(2026, 11, 30))
        db.session.commit()
        assert overdue_references(world.leadership) == []
        assert sweep().escalated == []
        figures = kpis.figures(Scope(world.leadership), NOVEMBER)
        assert (figures.counts["response_due"], figures.counts["overdue_now"]) == (1, 0)


def test_one_dispute_at_a_time_and_an_outcome_not_before_it_began(world, app):
    complaint = factories.make_complaint(world, State.closed)
    with clock_at(LATER), app.test_request_context("/?lang=en"):
        dispute(world, complaint, began_on=date(2026, 11, 20), note="The family applied to the district committee.")
        db.session.commit()
        with pytest.raises(operations.ActionRefused):
            dispute(world, complaint)
        with pytest.raises(ActionInvalid) as refused:
            operations.perform(world.reception, Action.record_dispute_outcome, complaint,
                               {"outcome": "settled", "outcome_on": date(2026, 11, 19)}, complaint.version)
        assert refused.value.errors == {"outcome_on": "The date cannot be before the dispute began (2026-11-20)."}
        db.session.rollback()
        with pytest.raises(ActionInvalid) as refused:
            operations.perform(world.reception, Action.record_dispute_outcome, complaint,
                               {"outcome": "other", "outcome_on": date(2026, 11, 30)}, complaint.version)
        assert refused.value.errors == {"outcome_text": "Write the appraisal's finding, or what the outcome was."}
        db.session.rollback()
        assert complaint.disputes[0].outcome is None


def test_the_outcome_is_recorded(world):
    complaint = factories.make_complaint(world, State.closed)
    with clock_at(LATER):
        dispute(world, complaint, began_on=date(2026, 11, 20))
        db.session.commit()
        operations.perform(world.leadership, Action.record_dispute_outcome, complaint,
                           {"outcome": "appraised", "outcome_text": "Not a medical accident.",
                            "outcome_on": date(2026, 11, 27)}, complaint.version)
        db.session.commit()
        event = complaint.events[-1]
        assert (event.action, event.data) == ("record_dispute_outcome", {
            "route": "mediation", "outcome": "appraised", "outcome_text": "Not a medical accident.",
            "outcome_on": "2026-11-27"})
        row = complaint.disputes[0]
        assert (row.outcome, row.outcome_on, row.outcome_text) == ("appraised", date(2026, 11, 27),
                                                                  "Not a medical accident.")
        # Off the clocks still; a new route may now be taken.
        assert complaint.disputed_since == date(2026, 11, 20)
        dispute(world, complaint, route="court", began_on=date(2026, 11, 30), case_number=None)
        db.session.commit()
        assert record_problems(complaint) == []
        found = analysis.disputes(Scope(world.leadership), NOVEMBER)
        assert (found.by_route, found.by_outcome, found.began, found.decided) == (
            {"mediation": 1, "appraisal": 0, "court": 1, "other": 0},
            {"settled": 0, "appraised": 1, "judgment": 0, "withdrawn": 0, "other": 0}, 2, 1)


def test_a_dispute_row_changed_behind_the_apps_back_is_named(world):
    complaint = factories.make_complaint(world, State.responded)
    dispute(world, complaint)
    db.session.commit()
    db.session.execute(db.text("UPDATE complaint_disputes SET route = 'court'"))
    db.session.commit()
    db.session.expire_all()
    assert [p.fact for p in record_problems(complaint)] == ["disputes"]


@pytest.mark.parametrize(("data", "errors"), [
    ({"began_on": date(2026, 11, 19)}, {"began_on": "The date cannot be in the future."}),
    ({"began_on": None}, {"began_on": "Enter the date."}),
    ({"began_on": date(2026, 11, 17)},
     {"began_on": "The date cannot be before the complaint was received (2026-11-18)."}),
    ({"route": "other"}, {"route_other": "Say which route it is."}),
])
def test_bad_dates_and_an_unnamed_route_are_refused_beside_their_field(world, app, data, errors):
    complaint = factories.make_complaint(world, State.investigating)
    version = complaint.version
    with app.test_request_context("/?lang=en"), pytest.raises(ActionInvalid) as refused:
        dispute(world, complaint, **data)
    assert refused.value.errors == errors
    db.session.rollback()
    assert (complaint.version, complaint.disputed_since, complaint.disputes) == (version, None, [])


def test_the_form_refuses_a_future_date_beside_the_field_and_keeps_what_was_typed(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.reception)
    url = f"/complaints/{complaint.reference}"
    answer = client.post(f"{url}/record_dispute?lang=en", data={
        "record_dispute-route": "court", "record_dispute-began_on": "2026-12-24",
        "record_dispute-case_number": "(2026) 浙0106民初 981 号", "record_dispute-note": "Served by the court.",
        "record_dispute-version": str(complaint.version), "record_dispute-csrf_token": csrf_token(client, url)},
        headers={"HX-Request": "true", "HX-Target": "complaint"})
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    assert 'id="record_dispute-began_on-error"' in body and "The date cannot be in the future." in body
    assert "Served by the court.</textarea>" in body and 'value="2026-12-24"' in body
    assert "(2026) 浙0106民初 981 号" in body
    assert '<option selected value="court">' in body
    db.session.expire_all()
    assert complaint.disputed_since is None


def test_someone_else_acting_first_answers_409_naming_who(world, client):
    complaint = factories.make_complaint(world, State.responded)
    login(client, world.reception)
    url = f"/complaints/{complaint.reference}"
    token, version = csrf_token(client, url), complaint.version
    dispute(world, complaint, route="appraisal")
    db.session.commit()
    answer = client.post(f"{url}/record_dispute?lang=en", data={
        "record_dispute-route": "mediation", "record_dispute-began_on": "2026-11-18",
        "record_dispute-note": "They went to the committee.", "record_dispute-version": str(version),
        "record_dispute-csrf_token": token})
    assert answer.status_code == 409
    body = answer.get_data(as_text=True)
    assert "Someone else acted on this first, so your change was not saved." in body
    assert "Reception: Record a medical dispute" in body


def test_the_page_says_it_is_off_the_clocks_and_the_complainant_reads_the_route(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    dispute(world, complaint)
    db.session.commit()
    login(client, world.reception)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "Off the office's clocks since 18 Nov 2026: Medical dispute mediation committee" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    track = client.post("/track?lang=en", data={"reference": complaint.reference,
                                                "code": complaint.tracking_code,
                                                "csrf_token": csrf_token(client, "/track")})
    text = track.get_data(as_text=True)
    assert "Your complaint is now being handled through the route you chose: Medical dispute mediation " \
           "committee." in text


# --- who hears of it -------------------------------------------------------------------------------------


def heard(world) -> list[tuple[str, str, str]]:
    """(whose bell, subject, body) of every dispute notice queued, in order, the reference written as {ref}."""
    users = {str(u.id): u.username for u in (world.reception, world.leadership, world.head, world.other_head,
                                             world.supervision, world.staff, world.admin)}
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind.like("dispute_%"))
                              .order_by(OutboxMessage.id)).all()
    assert {row.channel for row in rows} <= {"in_app"}  # staff hear in their bell, as of every kind
    reference = {row.complaint_id: db.session.get(Complaint, row.complaint_id).reference for row in rows}
    return [(users[row.recipient], row.subject.replace(reference[row.complaint_id], "{ref}"),
             row.body.replace(reference[row.complaint_id], "{ref}")) for row in rows]


def decide(world, complaint, **data):
    with clock_at(LATER):
        operations.perform(world.leadership, Action.record_dispute_outcome, complaint,
                           {"outcome_on": date(2026, 11, 30), **data}, complaint.version)
        db.session.commit()


def test_leadership_and_the_departments_heads_hear_of_the_dispute_and_its_outcome(world):
    world.leadership.language = "en"  # each reads in their own language; the head in the hospital's (zh)
    complaint = factories.make_complaint(world, State.investigating)  # cardiology's, world.head's
    dispute(world, complaint)
    db.session.commit()
    assert heard(world) == [
        ("leadership", "Complaint {ref} is now a medical dispute",
         "On 18 November 2026 the complainant took complaint {ref} further as a medical dispute: Medical dispute "
         "mediation committee, case number (2026) 调字第 7 号. It is off the office's response clocks from that "
         "day. The hospital takes part in it and abides by its outcome."),
        ("head-card", "本科室的投诉 {ref} 已转为医疗纠纷",
         "投诉人于2026年11月18日将投诉 {ref} 转为医疗纠纷：医疗纠纷人民调解委员会（案号：(2026) 调字第 7 号）。"
         "自该日起，其各项期限均不再计为超期。医院将配合该程序，并尊重其结果。"),
    ]
    db.session.execute(db.delete(OutboxMessage))
    decide(world, complaint, outcome="settled")
    assert heard(world) == [
        ("leadership", "The medical dispute over complaint {ref} is decided",
         "The medical dispute over complaint {ref} (Medical dispute mediation committee) was decided on 30 "
         "November 2026: Settled by mediation. The complaint stays off the office's response clocks."),
        ("head-card", "本科室投诉 {ref} 的医疗纠纷已有结果",
         "投诉 {ref} 的医疗纠纷（医疗纠纷人民调解委员会）已于2026年11月30日有结果：调解解决。该投诉仍不计算处理期限。"),
    ]


def test_the_discipline_office_hears_of_an_integrity_complaints_dispute_and_the_department_does_not(world):
    world.supervision.language, world.leadership.language = "zh", "en"
    complaint = factories.make_complaint(world, State.investigating, integrity=True)
    dispute(world, complaint, route="court", case_number=None)
    db.session.commit()
    assert heard(world) == [
        ("leadership", "Complaint {ref} is now a medical dispute",
         "On 18 November 2026 the complainant took complaint {ref} further as a medical dispute: Court. It is off "
         "the office's response clocks from that day. The hospital takes part in it and abides by its outcome."),
        ("discipline", "医德医风投诉 {ref} 已转为医疗纠纷",
         "投诉人于2026年11月18日将涉及心血管内科的医德医风投诉 {ref} 转为医疗纠纷：诉讼。"
         "自该日起，其各项期限均不再计为超期。医院将配合该程序，并尊重其结果。"),
    ]
    db.session.execute(db.delete(OutboxMessage))
    world.supervision.language = "en"
    decide(world, complaint, outcome="other", outcome_text="双方庭外和解。")
    assert heard(world) == [
        ("leadership", "The medical dispute over complaint {ref} is decided",
         "The medical dispute over complaint {ref} (Court) was decided on 30 November 2026: 双方庭外和解. The "
         "complaint stays off the office's response clocks."),
        ("discipline", "The medical dispute over integrity complaint {ref} is decided",
         "The medical dispute over complaint {ref} (Court) was decided on 30 November 2026: 双方庭外和解. The "
         "complaint stays off the office's response clocks."),
    ]


def test_an_other_route_and_an_appraisals_finding_are_named_and_without_a_department_only_leadership_hears(world):
    world.leadership.language = "en"
    complaint = factories.make_complaint(world, State.registered)  # not yet any department's
    dispute(world, complaint, route="other", route_other="区卫健委信访", case_number=None)
    db.session.commit()
    decide(world, complaint, outcome="appraised", outcome_text="Not a medical accident.")
    assert [(who, subject) for who, subject, _body in heard(world)] == [
        ("leadership", "Complaint {ref} is now a medical dispute"),
        ("leadership", "The medical dispute over complaint {ref} is decided")]
    assert [body for _who, _subject, body in heard(world)] == [
        "On 18 November 2026 the complainant took complaint {ref} further as a medical dispute: 区卫健委信访. It is "
        "off the office's response clocks from that day. The hospital takes part in it and abides by its outcome.",
        "The medical dispute over complaint {ref} (区卫健委信访) was decided on 30 November 2026: Appraisal "
        "concluded: Not a medical accident. The complaint stays off the office's response clocks."]


def test_every_clock_a_dispute_stopped_before_its_date_is_in_neither_figure_of_its_kpi(world):
    """Each pair: one taken to mediation on or before the clock's due date, one not. Read on 1 December."""
    unacknowledged = [factories.make_complaint(world, State.investigating) for _ in range(2)]  # told by 19 Nov
    unfollowed = [factories.make_complaint(world, State.responded) for _ in range(2)]  # followed up by 23 Nov
    reopened = [factories.make_complaint(world, State.responded) for _ in range(2)]
    for complaint in reopened:  # not satisfied: to answer again by 25 November
        operations.perform(world.reception, Action.follow_up, complaint,
                           {**factories.action_data(Action.follow_up, world, complaint), "satisfied": False},
                           complaint.version)
        db.session.commit()
        assert (complaint.state, complaint.response_due_on) == (State.investigating, date(2026, 11, 25))
    for complaint in (unacknowledged[0], unfollowed[0], reopened[0]):
        dispute(world, complaint)
    db.session.commit()
    with clock_at(LATER):
        counts = kpis.figures(Scope(world.leadership), NOVEMBER).counts
    # Told: the four answered; due: those and the one still untold (its twin left the clocks on the 18th).
    assert (counts["acknowledged_on_time"], counts["acknowledgement_due"]) == (4, 5)
    # Followed up: the two reopened at their follow-up; due: those and the answered one not followed up.
    assert (counts["followed_up"], counts["followed_up_on_time"], counts["follow_up_due"]) == (2, 2, 3)
    assert (counts["answered_again_on_time"], counts["answer_again_due"]) == (0, 1)
    assert (counts["responded_on_time"], counts["response_due"]) == (4, 5)
    assert counts["overdue_now"] == 3  # one of each pair: the disputed ones are on no clock


def test_the_analysis_counts_a_dispute_in_the_month_it_began_and_its_outcome_in_the_month_decided(world):
    complaint = factories.make_complaint(world, State.closed)
    with clock_at(LATER):  # recorded on 1 December, both: the month is the dates entered, not the day typed in
        dispute(world, complaint, route="appraisal", began_on=date(2026, 11, 30))
        db.session.commit()
        operations.perform(world.reception, Action.record_dispute_outcome, complaint,
                           {"outcome": "withdrawn", "outcome_on": date(2026, 12, 1)}, complaint.version)
        db.session.commit()
        november = analysis.disputes(Scope(world.leadership), NOVEMBER)
        december = analysis.disputes(Scope(world.leadership), Period.parse("2026-12"))
        head = analysis.disputes(Scope(world.other_head), NOVEMBER)  # nursing's head: not theirs
    assert (november.by_route["appraisal"], november.began, november.decided) == (1, 1, 0)
    assert (december.began, december.by_outcome["withdrawn"], december.decided) == (0, 1, 1)
    assert (head.began, head.decided) == (0, 0)
