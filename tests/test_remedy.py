"""A remedy with its amount (赔偿/补偿/退费/减免): a kind (apology, explanation, refund, fee waiver,
compensation, other) and an amount in yuan where money is paid; above the hospital's threshold (¥2,000 until
the administrator sets another), leadership approves it before the response goes out; its payment is
recorded once (who, when, the reference). Bad amounts are refused beside the field, keeping what was typed;
the chain vouches for the remedies."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from intranet.complaints import audit, operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.remedies import ComplaintRemedy
from intranet.core import hospital as hospital_module
from intranet.core.extensions import db
from intranet.core.hospital import HospitalRecord
from intranet.core.money import NotAnAmount, parse_yuan, yuan
from intranet.core.time import clock_at, utcnow
from intranet.notifications.kinds import render_notification
from intranet.notifications.models import OutboxMessage
from intranet.reports import analysis
from intranet.reports.kpis import Scope
from intranet.reports.models import PeriodClosing
from intranet.reports.periods import Period
from tests import factories
from tests.conftest import csrf_token, login


def do(who, action, complaint, **data):
    result = operations.perform(who, action, complaint, data, complaint.version)
    db.session.commit()
    return result


def propose(world, complaint, kind="compensation", amount="5000", who=None, **data):
    return do(who or world.head, Action.propose_remedy, complaint, kind=kind, amount=amount, **data)


def sign_off(world, complaint):
    factories.do_requirements(world, Action.sign_off, complaint)
    return do(world.head, Action.sign_off, complaint, response_text="We are sorry; we offer compensation.")


def remedies(complaint):
    """(kind, amount in fen, status) of each remedy, in order."""
    db.session.expire_all()
    return [(r.kind, r.amount_fen, r.status.value) for r in complaint.remedies]


def bell(kind):
    return [m.recipient for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == "in_app", OutboxMessage.kind == kind).order_by(OutboxMessage.id))]


# --- amounts --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "fen"), [
    ("5000", 500000), ("5,000.50", 500050), ("¥1,234.5", 123450), ("0.01", 1), (" 380 ", 38000), ("", None),
    ("10,000,000", 1000000000),
])
def test_an_amount_is_typed_in_yuan_and_kept_in_fen(typed, fen):
    assert parse_yuan(typed) == fen


@pytest.mark.parametrize(("typed", "message"), [
    ("-5", "An amount cannot be negative."),
    ("12.345", "Give the amount in yuan with at most two decimals (fen)."),
    ("10,000,000.01", "An amount above ¥10,000,000 is not plausible: check the figure."),
    ("五千", "Give the amount in yuan, e.g. 5000 or 5,000.50."),
    ("5,00", "Give the amount in yuan, e.g. 5000 or 5,000.50."),
])
def test_a_wrong_amount_is_refused_in_words(app_ctx, typed, message):
    with pytest.raises(NotAnAmount) as refused, force_locale("en"):
        parse_yuan(typed)
    with force_locale("en"):
        assert str(refused.value.args[0]) == message


def test_an_amount_reads_in_yuan():
    assert (yuan(500000), yuan(500050), yuan(1), yuan(0), yuan(None)) == ("¥5,000.00", "¥5,000.50", "¥0.01",
                                                                         "¥0.00", "—")


# --- above the threshold, leadership approves ---------------------------------------------------------------


def test_a_compensation_of_5000_over_a_2000_threshold_waits_for_approval(world):
    complaint = factories.make_complaint(world, State.investigating)
    propose(world, complaint, "compensation", "5000", description="For the second admission.")
    remedy = complaint.remedies[0]
    assert (remedy.kind, remedy.amount_fen, remedy.needs_approval, remedy.threshold_fen, remedy.status.value) == (
        "compensation", 500000, True, 200000, "waiting")
    assert complaint.events[-1].data == {"kind": "compensation", "amount": "¥5,000.00",
                                         "description": "For the second admission.", "needs_approval": True,
                                         "threshold": "¥2,000.00", "remedy_number": 1}
    assert bell("remedy_to_approve") == [str(world.leadership.id)]
    # Signed off, the response waits for leadership (the complaint is not major: for the remedy).
    sign_off(world, complaint)
    assert complaint.state == State.awaiting_approval
    assert {k: complaint.events[-1].data[k] for k in ("remedies_waiting", "remedies_waiting_amounts")} == {
        "remedies_waiting": ["compensation"], "remedies_waiting_amounts": ["¥5,000.00"]}
    assert bell("remedy_to_approve") == [str(world.leadership.id)] * 2
    assert bell("awaiting_approval") == []  # that one says "major"
    with pytest.raises(operations.ActionRefused):
        do(world.reception, Action.respond, complaint, method="phone")
    # The response is not approved over the remedy's head.
    with pytest.raises(operations.ActionInvalid) as refused:
        do(world.leadership, Action.approve, complaint, comment="Fine.")
    # (Refusals outside a request read in the hospital's language.)
    assert refused.value.errors == {"comment": "请先批准或不批准待审批的补救措施：1. 赔偿 · ¥5,000.00。"}
    do(world.leadership, Action.approve_remedy, complaint, remedy_number=1, comment="Agreed.")
    assert complaint.state == State.signed_off
    assert remedies(complaint) == [("compensation", 500000, "approved")]
    assert (complaint.remedies[0].decided_by_id, complaint.remedies[0].approved) == (world.leadership.id, True)
    assert bell("remedy_approved") == [str(world.head.id)]
    assert bell("signed_off") == [str(world.reception.id)]


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "A remedy above the amount leadership approves is proposed for complaint %s: Compensation ¥5,000.00."),
    ("zh", "投诉 %s 拟定了超过院领导审批金额的补救措施：赔偿 ¥5,000.00。")])
def test_leadership_reads_the_remedy_in_its_own_words(world, lang, words):
    complaint = factories.remedy_waiting(world)
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "remedy_to_approve")).one()
    with force_locale(lang):
        _subject, body = render_notification(row.kind, row.facts, row.subject, row.body)
    assert body.startswith(words % complaint.reference)


@pytest.mark.parametrize(("kind", "amount", "fen"), [("refund", "380", 38000), ("fee_waiver", "2,000", 200000),
                                                     ("apology", None, None), ("other", "150.5", 15050)])
def test_at_or_under_the_threshold_no_approval_is_needed(world, kind, amount, fen):
    complaint = factories.make_complaint(world, State.investigating)
    propose(world, complaint, kind, amount, description="A voucher for the canteen.")
    assert remedies(complaint) == [(kind, fen, "proposed")]
    assert bell("remedy_to_approve") == []
    sign_off(world, complaint)
    assert complaint.state == State.signed_off


def test_the_threshold_is_the_administrators(world, client):
    db.session.add(HospitalRecord(id=1, version=1, remedy_threshold_fen=200000))
    db.session.commit()
    login(client, world.admin)
    token = csrf_token(client, "/admin/hospital")
    form = {"csrf_token": token, "version": "1", "name_zh": "示范医院", "name_en": "", "office_address_zh": "",
            "office_address_en": "", "office_phone": "0571-1", "office_hours": "8-17", "unlimited_networks": "",
            "repeat_alert_upheld": "3"}
    refused = client.post("/admin/hospital?lang=en", data={**form, "remedy_threshold": "-10"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "An amount cannot be negative." in html and 'value="-10"' in html
    assert client.post("/admin/hospital?lang=en", data={**form, "remedy_threshold": "5,000"}).status_code == 302
    hospital_module.forget()
    assert db.session.get(HospitalRecord, 1).remedy_threshold_fen == 500000
    complaint = factories.make_complaint(world, State.investigating)
    propose(world, complaint, "compensation", "5000")
    assert remedies(complaint) == [("compensation", 500000, "proposed")]  # not above ¥5,000


def test_a_major_complaint_waits_for_both_the_remedy_and_the_response(world):
    complaint = factories.make_complaint(world, State.investigating, severity="major")
    propose(world, complaint)
    sign_off(world, complaint)
    assert complaint.state == State.awaiting_approval
    do(world.leadership, Action.approve_remedy, complaint, remedy_number=1)
    assert complaint.state == State.awaiting_approval  # the response of a major complaint is approved too
    do(world.leadership, Action.approve, complaint, comment="Agreed.")
    assert complaint.state == State.signed_off


def test_a_remedy_refused_sends_the_signed_off_response_back(world):
    complaint = factories.remedy_waiting(world, State.awaiting_approval)
    do(world.leadership, Action.refuse_remedy, complaint, remedy_number=1, comment="Offer a fee waiver instead.")
    assert complaint.state == State.investigating
    assert complaint.signed_off_at is None
    assert remedies(complaint) == [("compensation", 500000, "refused")]
    assert bell("remedy_refused") == [str(world.head.id)]
    # A new proposal, within the threshold, and the response goes out without leadership.
    propose(world, complaint, "fee_waiver", "1200")
    sign_off(world, complaint)
    assert complaint.state == State.signed_off


def test_leadership_may_decide_while_the_department_investigates(world):
    complaint = factories.remedy_waiting(world)
    do(world.leadership, Action.approve_remedy, complaint, remedy_number=1)
    assert complaint.state == State.investigating
    sign_off(world, complaint)
    assert complaint.state == State.signed_off


# --- withdrawn, paid --------------------------------------------------------------------------------------------


def test_a_proposal_is_withdrawn_with_why(world):
    complaint = factories.remedy_waiting(world)
    do(world.reception, Action.withdraw_remedy, complaint, remedy_number=1, reason="The complainant wants none.")
    assert remedies(complaint) == [("compensation", 500000, "withdrawn")]
    assert complaint.events[-1].data == {"kind": "compensation", "amount": "¥5,000.00",
                                         "reason": "The complainant wants none.", "remedy_number": 1}
    sign_off(world, complaint)
    assert complaint.state == State.signed_off  # nothing waits any more


def test_a_payment_is_recorded_once_by_reception(world):
    complaint = factories.make_complaint(world, State.investigating)
    propose(world, complaint, "refund", "380")
    propose(world, complaint, "compensation", "5000")
    propose(world, complaint, "apology", None)
    # Only the refund may be paid: the compensation waits for leadership, an apology has no amount.
    with pytest.raises(operations.ActionInvalid) as refused:
        do(world.reception, Action.record_remedy_payment, complaint, remedy_number=2, paid_on=date(2026, 11, 17),
           payment_reference="CW-1")
    assert refused.value.errors == {"remedy_number": "请从所列补救措施中选择一项。"}
    with pytest.raises(operations.ActionInvalid) as refused:
        do(world.reception, Action.record_remedy_payment, complaint, remedy_number=1,
           paid_on=date.today() + timedelta(days=400), payment_reference="CW-1")
    assert refused.value.errors == {"paid_on": "日期不能晚于今天。"}
    do(world.reception, Action.record_remedy_payment, complaint, remedy_number=1, paid_on=date(2026, 11, 17),
       payment_reference="CW-2026-0412")
    refund = complaint.remedies[0]
    assert (refund.paid_on, refund.paid_by_id, refund.payment_reference, refund.status.value) == (
        date(2026, 11, 17), world.reception.id, "CW-2026-0412", "paid")
    with pytest.raises(operations.ActionRefused):  # once: nothing else may be paid yet
        do(world.reception, Action.record_remedy_payment, complaint, remedy_number=1, paid_on=date(2026, 11, 17),
           payment_reference="CW-2")
    do(world.leadership, Action.approve_remedy, complaint, remedy_number=2)
    do(world.reception, Action.record_remedy_payment, complaint, remedy_number=2, paid_on=date(2026, 11, 17),
       payment_reference="CW-2026-0413")
    assert remedies(complaint) == [("refund", 38000, "paid"), ("compensation", 500000, "paid"),
                                   ("apology", None, "proposed")]
    with pytest.raises(operations.ActionRefused):  # nothing left to pay
        do(world.reception, Action.record_remedy_payment, complaint, remedy_number=3, paid_on=date(2026, 11, 17),
           payment_reference="CW-3")


@pytest.mark.parametrize("who", ["head", "leadership"])
def test_only_reception_records_a_payment(world, who):
    complaint = factories.make_complaint(world, State.investigating)
    propose(world, complaint, "refund", "380")
    with pytest.raises(operations.ActionRefused):
        do(world.user(who), Action.record_remedy_payment, complaint, remedy_number=1, paid_on=date(2026, 11, 17),
           payment_reference="CW-1")


# --- the form: refused beside the field, two people at once ------------------------------------------------------


@pytest.mark.parametrize(("kind", "typed", "field", "message"), [
    ("compensation", "-5000", "amount", "An amount cannot be negative."),
    ("compensation", "5000.123", "amount", "Give the amount in yuan with at most two decimals (fen)."),
    ("compensation", "99999999", "amount", "An amount above ¥10,000,000 is not plausible: check the figure."),
    ("refund", "", "amount", "Enter the amount, above zero."),
    ("fee_waiver", "0", "amount", "Enter the amount, above zero."),
    ("apology", "100", "amount", "An apology or an explanation has no amount: leave it empty."),
])
def test_a_bad_amount_is_refused_beside_its_field_keeping_what_was_typed(world, client, kind, typed, field, message):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.head)
    url = f"/complaints/{complaint.reference}"
    answer = client.post(f"{url}/propose_remedy?lang=en", data={
        "propose_remedy-kind": kind, "propose_remedy-amount": typed, "propose_remedy-description": "For the delay.",
        "propose_remedy-version": str(complaint.version), "propose_remedy-csrf_token": csrf_token(client, url)})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html
    assert f'id="propose_remedy-{field}"' in html and f'value="{typed}"' in html and "For the delay." in html
    assert remedies(complaint) == []


def test_two_people_proposing_at_once_the_second_hears_who_acted(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.reception)
    url = f"/complaints/{complaint.reference}"
    token, version = csrf_token(client, url), complaint.version
    propose(world, complaint, "refund", "380")
    answer = client.post(f"{url}/propose_remedy?lang=en", data={
        "propose_remedy-kind": "compensation", "propose_remedy-amount": "5000", "propose_remedy-version": str(version),
        "propose_remedy-csrf_token": token})
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "Someone else acted on this first, so your change was not saved." in html
    assert "Head-Card: Propose a remedy" in html
    assert 'value="5000"' in html
    assert remedies(complaint) == [("refund", 38000, "proposed")]


def test_the_page_shows_each_remedy_with_its_amount_and_where_it_stands(world, client):
    complaint = factories.remedy_waiting(world)
    propose(world, complaint, "refund", "380.5")
    do(world.reception, Action.record_remedy_payment, complaint, remedy_number=2, paid_on=date(2026, 11, 17),
       payment_reference="CW-2026-0412")
    login(client, world.head)
    html = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "Compensation</strong> · <span class=\"amount\">¥5,000.00</span>" in html
    assert "Waiting for leadership&#39;s approval" in html
    assert "above ¥2,000.00: leadership approves" in html
    assert "¥380.50" in html and "Paid on 17 Nov 2026 · reference CW-2026-0412 · recorded by Reception" in html
    # Leadership's form has the one remedy waiting already chosen.
    login(client, world.leadership)
    html = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert '<option selected value="1">1. Compensation · ¥5,000.00</option>' in html
    zh = client.get(f"/complaints/{complaint.reference}?lang=zh").get_data(as_text=True)
    assert "赔偿" in zh and "待院领导审批" in zh and "已支付" in zh


# --- what the database and the chain hold ------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "amount"), [("compensation", -1), ("refund", None), ("apology", 100)])
def test_the_database_refuses_an_amount_that_does_not_fit_its_kind(world, kind, amount):
    complaint = factories.make_complaint(world, State.investigating)
    db.session.add(ComplaintRemedy(complaint_id=complaint.id, number=1, kind=kind, amount_fen=amount,
                                   needs_approval=False, proposed_by_id=world.head.id, proposed_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_a_payment_of_a_remedy_not_approved(world):
    factories.remedy_waiting(world)
    with pytest.raises(IntegrityError):
        db.session.execute(update(ComplaintRemedy).values(paid_on=date(2026, 11, 17), paid_by_id=world.reception.id,
                                                          payment_reference="CW-1"))
        db.session.commit()
    db.session.rollback()


def test_an_amount_changed_in_the_database_fails_the_record_check(world):
    complaint = factories.remedy_waiting(world)
    assert audit.record_problems(complaint) == []
    db.session.execute(update(ComplaintRemedy).values(amount_fen=50000000))
    db.session.commit()
    db.session.expire_all()
    assert [(p.kind, p.fact, p.label) for p in audit.record_problems(complaint)] == [("fact", "remedies", "补救措施")]
    problems, _hashes, _heads = audit.verify()
    assert [str(p) for p in problems] == [f"{complaint.reference}: remedies is not what its timeline recorded: it was "
                                          "changed in the database without an event"]


# --- the reports: totals by kind, department and month ---------------------------------------------------------

OCTOBER = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)  # 10:00 at the hospital


def in_nursing(world):
    complaint = factories.make_complaint(world, State.registered)
    do(world.reception, Action.assign, complaint, department_id=world.nursing.id)
    do(world.other_head, Action.accept, complaint)
    return complaint


@pytest.fixture
def offered(world):
    """October: cardiology offers ¥5,000 compensation (approved, paid on 25 October) and a ¥380 refund (paid on
    10 November). November: nursing offers a ¥1,500 fee waiver; cardiology an apology it withdraws and a
    ¥3,000 compensation leadership refuses (neither counts)."""
    with clock_at(OCTOBER):
        a = factories.make_complaint(world, State.investigating)
        propose(world, a, "compensation", "5000")
        do(world.leadership, Action.approve_remedy, a, remedy_number=1)
        b = factories.make_complaint(world, State.investigating)
        propose(world, b, "refund", "380")
    do(world.reception, Action.record_remedy_payment, a, remedy_number=1, paid_on=date(2026, 10, 25),
       payment_reference="CW-1")
    do(world.reception, Action.record_remedy_payment, b, remedy_number=1, paid_on=date(2026, 11, 10),
       payment_reference="CW-2")
    propose(world, in_nursing(world), "fee_waiver", "1500", who=world.other_head)
    c = factories.make_complaint(world, State.investigating)
    propose(world, c, "apology", None)
    do(world.head, Action.withdraw_remedy, c, remedy_number=1, reason="Not wanted.")
    propose(world, c, "compensation", "3000")
    do(world.leadership, Action.refuse_remedy, c, remedy_number=2, comment="A fee waiver instead.")
    return a, b, c


def totals(rows):
    return [(r.label, r.offered, r.offered_fen, r.paid, r.paid_fen) for r in rows]


def test_the_analysis_adds_up_what_was_offered_and_what_was_paid(world, offered):
    with force_locale("en"):
        october = analysis.remedies(Scope(world.leadership), Period.parse("2026-10"))
        november = analysis.remedies(Scope(world.leadership), Period.parse("2026-11"))
        quarter = analysis.remedies(Scope(world.leadership), Period.parse("2026-Q4"))
        heads = analysis.remedies(Scope(world.other_head), Period.parse("2026-11"))
    assert totals(october.by_kind) == [("Refund", 1, 38000, 0, 0), ("Compensation", 1, 500000, 1, 500000)]
    assert totals(october.by_department) == [("Cardiology", 2, 538000, 1, 500000)]
    assert totals([october.total]) == [("", 2, 538000, 1, 500000)]
    assert october.by_month == []
    assert totals(november.by_kind) == [("Refund", 0, 0, 1, 38000), ("Fee waiver", 1, 150000, 0, 0)]
    assert totals(november.by_department) == [("Nursing", 1, 150000, 0, 0), ("Cardiology", 0, 0, 1, 38000)]
    assert totals(quarter.by_month) == [("October 2026", 2, 538000, 1, 500000), ("November 2026", 1, 150000, 1, 38000),
                                        ("December 2026", 0, 0, 0, 0)]
    assert totals([quarter.total]) == [("", 3, 688000, 2, 538000)]
    # A head counts their department's only.
    assert totals(heads.by_department) == [("Nursing", 1, 150000, 0, 0)]


def test_the_monthly_page_and_its_export_show_the_totals_with_their_definitions(world, client, offered):
    login(client, world.leadership)
    page = client.get("/reports/analysis/2026-Q4?lang=en").get_data(as_text=True)
    assert "Offered: 3 remedies, ¥6,880.00. Paid: 2, ¥5,380.00." in page
    assert "Offered: the remedies proposed in the period that stand" in page
    assert 'id="table-remedies-month"' in page
    lines = client.get("/reports/remedies.csv?period=2026-Q4&table=month&lang=en").data.decode("utf-8-sig")
    assert lines.splitlines()[:5] == ["Month,Offered,Amount offered (yuan),Paid,Amount paid (yuan)",
                                      "October 2026,2,5380.00,1,5000.00", "November 2026,1,1500.00,1,380.00",
                                      "December 2026,0,0.00,0,0.00", ""]
    book = load_workbook(io.BytesIO(client.get("/reports/remedies.xlsx?period=2026-10&lang=en").data))
    assert list(book["Remedies by kind"].iter_rows(min_row=1, max_row=3, values_only=True)) == [
        ("Kind of remedy", "Offered", "Amount offered (yuan)", "Paid", "Amount paid (yuan)"),
        ("Refund", 1, 380, 0, 0), ("Compensation", 1, 5000, 1, 5000)]
    zh = client.get("/reports/monthly/2026-10?lang=zh").get_data(as_text=True)
    assert "拟定：2 项，¥5,380.00；已支付：1 项，¥5,000.00。" in zh


def test_a_closed_period_keeps_its_remedies_as_they_stood(world, client, offered):
    a, b, c = offered
    login(client, world.leadership)
    assert client.post("/reports/periods/2026-10/close", data={
        "csrf_token": csrf_token(client, "/reports")}).status_code == 303
    stored = db.session.scalars(select(PeriodClosing)).one().figures["en"]["remedies"]
    assert stored["total"] == {"key": None, "label": "", "offered": 2, "offered_fen": 538000, "paid": 1,
                               "paid_fen": 500000}
    # Paid afterwards, dated in October: the closed month still reads what it read when it closed.
    late = factories.make_complaint(world, State.investigating)
    propose(world, late, "refund", "120")
    do(world.reception, Action.record_remedy_payment, late, remedy_number=1, paid_on=date(2026, 10, 31),
       payment_reference="CW-3")
    assert analysis.remedies(Scope(world.leadership), Period.parse("2026-10")).total.paid == 2  # live
    page = client.get("/reports/monthly/2026-10?lang=en").get_data(as_text=True)
    assert "Offered: 2 remedies, ¥5,380.00. Paid: 1, ¥5,000.00." in page
