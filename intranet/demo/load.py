"""Loading the demo hospital: the reference data, the logins and the complaints, written through the real
operations as of past moments (see the package's docstring for what is idempotent and deterministic)."""

from __future__ import annotations

import random
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from ..complaints import operations, registration
from ..complaints.corrective.models import CorrectiveAction
from ..complaints.corrective.steps import Step
from ..complaints.lifecycle import OPEN, Action, State
from ..complaints.models import Complaint, ComplaintEvent
from ..core.departments import Category, Department, ReferringBody
from ..core.extensions import db
from ..core.hospital import HospitalRecord
from ..core.time import clock_at, local, today
from ..core.users import User
from ..deadlines.calendar import add_working_days
from ..directory.models import StaffMember
from ..public.notices import PublicNotice
from .story import HOSPITAL, SCENARIOS, TARGETS, Plan, Planner
from .story import Step as PlannedStep

PASSWORD = "demo-password"
EVIDENCE = "已落实：整改通知已下发并组织全科学习，检查记录附后。"
# The people some complaints are about (被投诉人): their side, as a head records it, and the head's finding.
STATEMENTS = [
    ("当晚病区两位新入院病人，呼叫时我正在处置，未及时回应，已向患者家属致歉。", "partly_upheld"),
    ("当时按流程要求患者先缴费再取药，解释不够耐心，今后注意沟通方式。", "upheld"),
    ("我按医嘱执行，检查记录完整；患者所述与监控记录不符。", "not_upheld"),
]
# Co-handling (协同处理): what the contributing departments found, and the lead's answer once every part is in.
PARTS = [
    {"findings": "患者转运时等候护工四十分钟，病区两次催促。", "people": "晚班护工一名",
     "responsibility": "partly_upheld", "remedy_proposal": "晚间增派一名护工，转运等候超过二十分钟上报。"},
    {"findings": "出院带药于当日下午才送达病区，因处方修改未及时通知药房。", "people": "门诊药房值班药师",
     "responsibility": "not_upheld", "remedy_proposal": "处方修改后电话通知药房并记录。"},
]
CO_HANDLED_ANSWER = "经心内科会同相关科室调查：转运与取药等候过长属实，已增派晚班护工并规范处方修改通知，向您致歉。"

# Remedies (补救措施) some complaints being looked into offer: what is proposed (in the complaint's language), the
# categories of complaint it fits, and what happens to it then (leadership approves or refuses one above the
# ¥2,000 threshold, reception records a payment, one withdrawn).
REMEDIES = [
    ("compensation", "5000", {"zh": "因诊疗护理中的疏失给患者造成损害，赔偿后续治疗、交通及误工费用。",
                              "en": "For the harm caused by the lapse in care: the further treatment, travel and lost "
                                    "earnings."}, ("CARE",), ["approve", "pay"]),
    ("refund", "50", {"zh": "退还当日挂号费。", "en": "The registration fee of that day, refunded."}, ("WAIT",),
     ["pay"]),
    ("apology", None, {"zh": "科主任当面向患者及家属道歉。",
                       "en": "The head of department apologises to the patient and family in person."}, ("ATT",), []),
    ("fee_waiver", "2,800", {"zh": "减免本次住院期间的床位费。", "en": "The bed charges of this stay, waived."},
     ("NURSE",), []),
    ("compensation", "3000", {"zh": "补偿因预约问题多次往返医院的交通费用。",
                              "en": "The travel costs of the trips the booking problem caused."}, ("ACCESS",),
     ["refuse"]),
    ("other", "200", {"zh": "赠送陪护家属营养餐券，以示歉意。",
                      "en": "Meal vouchers for the family, with our apology."}, ("ENV",), ["withdraw"]),
]
REMEDY_STEPS = {
    "approve": ("leadership", Action.approve_remedy, {"comment": "同意：损害属实，赔偿标准符合规定。"}),
    "refuse": ("leadership", Action.refuse_remedy, {"comment": "先行减免相关费用即可，不予现金补偿。"}),
    "pay": ("reception", Action.record_remedy_payment, {}),
    "withdraw": ("head", Action.withdraw_remedy, {"reason": "患者表示不需要，撤回。"}),
}
CHECKED = {True: "抽查一个月内同类投诉为零，整改有效。", False: "本月仍收到同类投诉，整改未见效，需重新整改。"}
SEED = 2026

# code, 中文名, English name, kind, head's display name
DEPARTMENTS = [tuple(row) for row in HOSPITAL["departments"]]
CATEGORIES = [tuple(row) for row in HOSPITAL["categories"]]
# username, role, display name (heads are added from DEPARTMENTS)
STAFF = [tuple(row) for row in HOSPITAL["staff"]]
# username, department code, display name: the departments' staff its heads hand complaints to (科室经办人)
DEPARTMENT_STAFF = [tuple(row) for row in HOSPITAL["department_staff"]]
# The integrity category (医德医风) and the discipline office's two complaints.
INTEGRITY = HOSPITAL["integrity"]
# staff number, name, department code, title, active: the heads first, in the order of DEPARTMENTS
DIRECTORY = [tuple(row) for row in HOSPITAL["directory"]]


def head_username(code: str) -> str:
    return f"head-{code.lower()}"


# --- writing -------------------------------------------------------------------------------------


def _reference_data() -> tuple[dict[str, Department], dict[str, Category], list[str]]:
    created = []
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    for code, name_zh, name_en, kind, _head in DEPARTMENTS:
        if code not in departments:
            departments[code] = Department(code=code, name_zh=name_zh, name_en=name_en, kind=kind)
            db.session.add(departments[code])
            created.append("department")
    categories = {c.code: c for c in db.session.scalars(select(Category))}
    integrity_code = INTEGRITY["category"][0]
    for code, name_zh, name_en in [*CATEGORIES, INTEGRITY["category"]]:
        if code not in categories:
            categories[code] = Category(code=code, name_zh=name_zh, name_en=name_en,
                                        integrity=code == integrity_code)
            db.session.add(categories[code])
            created.append("category")
    # Who refers complaints (the migration seeds the same list; an emptied database has none).
    known = set(db.session.scalars(select(ReferringBody.code)))
    for code, name_zh, name_en in REFERRERS:
        if code not in known:
            db.session.add(ReferringBody(code=code, name_zh=name_zh, name_en=name_en))
            created.append("referring body")
    db.session.flush()
    return departments, categories, created


REFERRERS = [(body["code"], body["name_zh"], body["name_en"]) for body in HOSPITAL["referring_bodies"]]


def _hospital_details() -> list[str]:
    """The demo hospital's name and office, unless an administrator has saved details of their own."""
    row = db.session.get(HospitalRecord, 1) or HospitalRecord(id=1)
    if row.name_zh:
        return []
    for name, value in HOSPITAL["hospital"].items():
        setattr(row, name, value)
    db.session.add(row)
    return ["hospital details"]


def _users(departments: dict[str, Department]) -> tuple[dict[str, User], list[str]]:
    wanted = [(username, role, name, None) for username, role, name in STAFF]
    wanted += [(head_username(code), "head", head, departments[code]) for code, *_rest, head in DEPARTMENTS]
    wanted += [(username, "staff", name, departments[code]) for username, code, name in DEPARTMENT_STAFF]
    existing = {u.username: u for u in db.session.scalars(select(User).where(
        User.username.in_([w[0] for w in wanted])))}
    created = []
    for username, role, name, department in wanted:
        if username not in existing:
            user = User(username=username, display_name=name, role=role, department=department)
            user.set_password(PASSWORD)  # a hash of its own each (its own salt), not one copied
            db.session.add(user)
            existing[username] = user
            created.append("user")
    db.session.flush()
    return existing, created


def _directory(departments: dict[str, Department], users: dict[str, User]) -> list[str]:
    """The staff directory, by staff number; each head's entry (and the duty officer's) linked to their
    login, unless the login is already linked to someone."""
    existing = {m.staff_number: m for m in db.session.scalars(select(StaffMember))}
    created = []
    for staff_number, name, code, title, active in DIRECTORY:
        if staff_number not in existing:
            existing[staff_number] = StaffMember(staff_number=staff_number, name=name, department=departments[code],
                                                 title=title, active=active)
            db.session.add(existing[staff_number])
            created.append("person")
    db.session.flush()
    links = {head_username(code): staff_number for (code, *_rest), (staff_number, *_person)
             in zip(DEPARTMENTS, DIRECTORY, strict=False)}
    links.update(HOSPITAL["directory_accounts"])
    for username, staff_number in links.items():
        user = users[username]
        if user.staff_member_id is None:
            user.staff_member_id = existing[staff_number].id
    db.session.flush()
    return created


def _execute(plan: Plan, users: dict[str, User]) -> Complaint:
    heads = {u.department_id: u for u in users.values() if u.role == "head"}
    office = next(u for u in users.values() if u.role == "supervision")
    with clock_at(plan.received_at):
        creator = None if plan.public else users["reception"]
        complaint = registration.create(creator, plan.data, received_at=plan.received_at).complaint
        db.session.commit()
    for step, moment in zip(plan.steps, plan.times, strict=True):
        with clock_at(moment):
            data = _step_data(step, complaint, moment)
            # department_id, not the relationship: objects are not reloaded between steps.
            # The head's part of an integrity complaint is the discipline office's.
            head = office if complaint.integrity else heads.get(complaint.department_id)
            actor = None if step.actor == "public" else head if step.actor == "head" else users[step.actor]
            operations.perform(actor, step.action, complaint, data, complaint.version)
            db.session.commit()
    return complaint


def _step_data(step: PlannedStep, complaint: Complaint, moment: datetime) -> dict:
    """The step's data as its form would send it: what the plan left open is decided by the complaint as it
    is at that moment (its deadlines, the complaints open by then)."""
    data = dict(step.data)
    if step.action == Action.assign:
        ack = data.pop("_ack")
        if complaint.acknowledged_at is None and not complaint.anonymous:
            data["acknowledged_via"] = ack
    elif step.action == Action.extend:
        days = data.pop("_days")
        current = complaint.follow_up_due_on if complaint.state == State.responded \
            else complaint.response_due_on
        data["new_due_on"] = add_working_days(max(current, today()), days)
    elif data.pop("_original", None):
        data["original"] = _open_complaint_before(complaint, moment)
    elif "_corrective_days" in data:
        data["corrective_due_on"] = today() + timedelta(days=data.pop("_corrective_days"))
    return data


def _open_complaint_before(complaint: Complaint, moment: datetime) -> str | None:
    """The open complaint a duplicate repeats: the latest one whose timeline is all before this moment (the
    link is noted on the original's timeline, which stays in order)."""
    last = (select(ComplaintEvent.complaint_id, func.max(ComplaintEvent.at).label("at"))
            .group_by(ComplaintEvent.complaint_id).subquery())
    return db.session.scalar(
        select(Complaint.reference).join(last, last.c.complaint_id == Complaint.id)
        .where(Complaint.id != complaint.id, Complaint.status.in_([s.value for s in OPEN]),
               last.c.at <= moment)
        .order_by(last.c.at.desc()).limit(1))


def _follow_through(users: dict[str, User], now: datetime) -> None:
    """The corrective actions raised by the story, taken as far as their dates allow: done ten days after
    they were raised, and checked thirty days after that — every third one found not to have worked."""
    heads = {u.department_id: u for u in users.values() if u.role == "head"}
    actions = db.session.scalars(select(CorrectiveAction).order_by(CorrectiveAction.id)).all()
    for n, action in enumerate(actions):
        done_at = action.raised_at + timedelta(days=10)
        if done_at >= now:
            continue
        with clock_at(done_at):
            operations.perform(heads[action.owner_department_id], Step.complete, action,
                               {"evidence": EVIDENCE, "check_due_on": today() + timedelta(days=30)}, action.version)
            db.session.commit()
        checked_at = done_at + timedelta(days=30)
        if checked_at >= now:
            continue
        effective = n % 3 != 2
        with clock_at(checked_at):
            operations.perform(users["leadership"], Step.check, action, {
                "effective": effective, "check_note": CHECKED[effective],
                "new_due_on": None if effective else today() + timedelta(days=14)}, action.version)
            db.session.commit()


def _people_named(users: dict[str, User], now: datetime) -> None:
    """Complaints being looked into name the people they are about, from the department's own staff: the
    head names one (a second for some), records what the first said when told, and the finding for them.
    Reception names someone on a few complaints it has not sent on yet."""
    heads = {u.department_id: u for u in users.values() if u.role == "head"}
    # An integrity complaint is investigated by the discipline office, in the head's place.
    office = next((u for u in users.values() if u.role == "supervision"), None)
    staff = {}
    for member in db.session.scalars(select(StaffMember).where(StaffMember.active).order_by(StaffMember.staff_number)):
        staff.setdefault(member.department_id, []).append(member)
    open_ones = db.session.scalars(select(Complaint).where(Complaint.status.in_(
        [State.investigating.value, State.registered.value])).order_by(Complaint.id)).all()
    named = 0
    for complaint in open_ones:
        investigator = office if complaint.integrity else heads.get(complaint.department_id)
        by = investigator if complaint.state == State.investigating else users["reception"]
        department = complaint.department_id or complaint.subject_department_id
        # Not the head themself: the people of their department after them.
        people = [m for m in staff.get(department, []) if by is None or m.id != by.staff_member_id][:2]
        if by is None or not people or named >= 12:
            continue
        at = min(complaint.events[-1].at + timedelta(hours=2), now)
        with clock_at(at):
            chosen = people[:2] if named % 3 == 0 else people[:1]
            operations.perform(by, Action.name_people, complaint, {"people": [m.id for m in chosen]},
                               complaint.version)
            db.session.commit()
            if complaint.state == State.investigating:
                statement, finding = STATEMENTS[named % len(STATEMENTS)]
                person = complaint.people[0]
                operations.perform(by, Action.record_statement, complaint, {
                    "person_id": person.id, "told_on": today(), "told_via": "in_person", "statement": statement},
                    complaint.version)
                db.session.commit()
                operations.perform(by, Action.record_person_finding, complaint,
                                   {"person_id": person.id, "finding": finding}, complaint.version)
                db.session.commit()
        named += 1


def _found_against_again(users: dict[str, User], now: datetime) -> None:
    """One member of staff found against on three complaints of their department being looked into: the
    third finding reaches the repeat alert, and leadership is told (the accountability report marks them)."""
    heads = {u.department_id: u for u in users.values() if u.role == "head"}
    looked_into: dict[int, list[Complaint]] = {}
    for complaint in db.session.scalars(select(Complaint).where(
            Complaint.status == State.investigating.value, Complaint.integrity.is_(False)).order_by(Complaint.id)):
        looked_into.setdefault(complaint.department_id, []).append(complaint)
    department, complaints = max(looked_into.items(), key=lambda item: (len(item[1]), -item[0]))
    head = heads.get(department)
    member = db.session.scalars(select(StaffMember).where(
        StaffMember.active, StaffMember.department_id == department,
        StaffMember.id != (head.staff_member_id if head else None)).order_by(StaffMember.staff_number)).first()
    if head is None or member is None or len(complaints) < 3:
        return
    for complaint in complaints[:3]:
        with clock_at(min(complaint.events[-1].at + timedelta(hours=3), now)):
            person = next((p for p in complaint.people if p.staff_member_id == member.id and p.current), None)
            if person is None:
                operations.perform(head, Action.name_people, complaint, {"people": [member.id]}, complaint.version)
                db.session.commit()
                person = next(p for p in complaint.people if p.staff_member_id == member.id)
            operations.perform(head, Action.record_person_finding, complaint,
                               {"person_id": person.id, "finding": "upheld"}, complaint.version)
            db.session.commit()


# Of the complaints a department with staff is investigating, which its head hands on: each one; of
# those, the handler records the findings of every other one, and the head takes back the second one handed.
HAND_EVERY, FINDINGS_EVERY, TAKEN_BACK = 1, 2, 1
HANDLER_FINDINGS = ("已调取当班记录并与当事人核实：候诊延误属实，未及时告知患者原因。", "partly_upheld",
                    "高峰时段未安排专人告知候诊情况。", "当面致歉并说明改进措施。")


def _handed_to_staff(users: dict[str, User], now: datetime) -> None:
    """Heads hand some of the complaints their department is investigating to its staff (科室经办人), who
    record the findings of some for the head to sign off; one is taken back, and its handler loses sight."""
    heads = {u.department_id: u for u in users.values() if u.role == "head"}
    staff = {}
    for user in sorted((u for u in users.values() if u.role == "staff"), key=lambda u: u.username):
        staff.setdefault(user.department_id, []).append(user)
    investigating = db.session.scalars(select(Complaint).where(
        Complaint.status == State.investigating.value, Complaint.integrity.is_(False),
        Complaint.department_id.in_(list(staff))).order_by(Complaint.id)).all()
    for n, complaint in enumerate(investigating[::HAND_EVERY]):
        head, members = heads[complaint.department_id], staff[complaint.department_id]
        handler = members[n % len(members)]
        at = min(complaint.events[-1].at + timedelta(hours=3), now)
        with clock_at(at):
            operations.perform(head, Action.hand_to_handler, complaint, {
                "handler_id": handler.id, "note": "请核实当班情况，调取记录后记录调查结果，由我签字。"},
                complaint.version)
            db.session.commit()
        if n == TAKEN_BACK:
            with clock_at(min(at + timedelta(hours=20), now)):
                operations.perform(head, Action.take_back, complaint, {"reason": "家属要求科室负责人当面答复。"},
                                   complaint.version)
                db.session.commit()
        elif n % FINDINGS_EVERY == 0 and not complaint.findings:
            findings, responsibility, cause, remedy = HANDLER_FINDINGS
            with clock_at(min(at + timedelta(hours=26), now)):
                operations.perform(handler, Action.record_findings, complaint, {
                    "findings": findings, "responsibility": responsibility, "cause": cause, "remedy": remedy},
                    complaint.version)
                db.session.commit()


def _co_handled(users: dict[str, User], now: datetime) -> None:
    """Three complaints being looked into are co-handled: on the first, two departments are asked for their
    part, both record it and the lead signs off; on the second, two are asked and one is taken off again (the
    other's part is still due: its head's "contribution due" queue); on the third, leadership lets the lead
    sign off without the part asked for."""
    heads = {u.department_id: u for u in users.values() if u.role == "head"}
    departments = db.session.scalars(select(Department).where(Department.active).order_by(Department.code)).all()
    chosen = db.session.scalars(select(Complaint).where(
        Complaint.status == State.investigating.value, Complaint.integrity.is_(False),
        Complaint.severity != "major").order_by(Complaint.id)).all()[:3]

    def do(at, who, action, complaint, **data):
        with clock_at(min(at, now)):
            operations.perform(who, action, complaint, data, complaint.version)
            db.session.commit()

    for n, complaint in enumerate(chosen):
        lead = heads[complaint.department_id]
        others = [d for d in departments if d.id != complaint.department_id and d.id in heads][n:n + 2]
        at = max(e.at for e in complaint.events) + timedelta(hours=1)
        for i, department in enumerate(others):
            do(at + timedelta(minutes=10 * i), users["reception"], Action.ask_contribution, complaint,
               department_id=department.id, note="请就本科室相关环节调查并提出意见。")
        at += timedelta(hours=2)
        if n == 0:
            for i, department in enumerate(others):
                do(at + timedelta(hours=i), heads[department.id], Action.contribute, complaint,
                   department_id=department.id, **PARTS[i % len(PARTS)])
            if not complaint.findings:
                do(at + timedelta(hours=3), lead, Action.record_findings, complaint,
                   findings="等候过长属实，涉及转运与取药两个环节。", responsibility="partly_upheld",
                   remedy="致歉并说明整改。")
            do(at + timedelta(hours=4), lead, Action.sign_off, complaint, response_text=CO_HANDLED_ANSWER)
        elif n == 1:
            do(at, users["reception"], Action.remove_contribution, complaint, department_id=others[1].id,
               reason="经核实该科室未参与此次诊疗。")
        else:
            do(at, users["leadership"], Action.waive_contribution, complaint, department_id=others[0].id,
               reason="该科室本周停诊整修，相关记录已由主办科室调取。")


def _retriaged(users: dict[str, User], now: datetime) -> None:
    """Re-triage (重新评估) as an investigation finds more: reception raises one complaint to major (its
    response now waits for leadership's approval, and leadership hears at once); a head proposes that another
    involves several departments, and reception accepts (its response clock moves, on the timeline)."""
    heads = {u.department_id: u for u in users.values() if u.role == "head"}
    candidates = [c for c in db.session.scalars(select(Complaint).where(
        Complaint.status == State.investigating.value, Complaint.integrity.is_(False),
        Complaint.severity == "minor", Complaint.complexity == "simple").order_by(Complaint.id.desc()))
        if c.department_id in heads and not c.contributions and c.handler_id is None][:2]
    if len(candidates) < 2:
        return
    raised, proposed = candidates

    def do(complaint, who, action, **data):
        with clock_at(min(complaint.events[-1].at + timedelta(hours=2), now)):
            operations.perform(who, action, complaint, data, complaint.version)
            db.session.commit()

    do(raised, users["reception"], Action.retriage, severity="major", complexity=raised.complexity,
       category_id=raised.category_id, reason="调查发现患者因延误出现并发症，按重大投诉处理。")
    do(proposed, heads[proposed.department_id], Action.propose_retriage, severity=proposed.severity,
       complexity="several_departments", category_id=proposed.category_id,
       reason="调查发现还涉及检验科的标本运送环节，需两个科室共同处理。")
    do(proposed, users["reception"], Action.accept_retriage, comment="同意，按多科室投诉的时限处理。")


def _remedies_offered(users: dict[str, User], now: datetime) -> None:
    """A few complaints being looked into offer a remedy, some with an amount: one above the threshold is
    approved and paid, another refused, another still waits for leadership; a refund is paid; one is
    withdrawn."""
    heads = {u.department_id: u for u in users.values() if u.role == "head"}
    investigating = db.session.scalars(select(Complaint).where(
        Complaint.status == State.investigating.value, Complaint.integrity.is_(False))
        .order_by(Complaint.id.desc())).all()
    candidates = [c for c in investigating if c.department_id in heads]
    for kind, amount, description, fits, then in REMEDIES:
        # The newest complaint of a category the remedy fits, or else the newest left.
        complaint = next((c for c in candidates if c.category and c.category.code in fits),
                         candidates[0] if candidates else None)
        if complaint is None:
            return
        candidates.remove(complaint)
        description = description["en" if complaint.language == "en" else "zh"]
        head = heads[complaint.department_id]
        at = min(complaint.events[-1].at + timedelta(hours=1), now)
        with clock_at(at):
            operations.perform(head, Action.propose_remedy, complaint,
                               {"kind": kind, "amount": amount, "description": description}, complaint.version)
            db.session.commit()
        number = complaint.remedies[-1].number
        # Approval and payment follow at moments spread over the time since, as they would: never all in
        # the minute it was proposed.
        for i, step in enumerate(then, start=1):
            role, action, data = REMEDY_STEPS[step]
            who = head if role == "head" else users[role]
            with clock_at(at + (now - at) * i / (len(then) + 1)):
                # The finance office's voucher (财务凭证号), one per payment.
                extra = ({"paid_on": today(), "payment_reference": f"CW-{complaint.reference[-6:]}"}
                         if action == Action.record_remedy_payment else {})
                operations.perform(who, action, complaint, {"remedy_number": number, **data, **extra},
                                   complaint.version)
                db.session.commit()


def _taken_further(users: dict[str, User], now: datetime) -> None:
    """Two medical disputes (医疗纠纷), recorded by reception: a week after one complaint closed long ago its
    complainant went to the mediation committee, which settled it five weeks later; the complainant of a
    complaint still to be answered has gone to court, and the case is under way. Both leave the office's
    clocks; leadership and the department's head hear of each step."""
    mediation, court = SCENARIOS["disputes"]

    def at_ten(day: datetime) -> datetime:  # the complaints office's morning
        return local(day).replace(hour=10, minute=0, second=0, microsecond=0).astimezone(UTC)

    def record(complaint: Complaint, at: datetime, dispute: dict) -> None:
        with clock_at(at):
            operations.perform(users["reception"], Action.record_dispute, complaint, {
                "route": dispute["route"], "began_on": today(), "case_number": dispute["case_number"],
                "note": dispute["note"]}, complaint.version)
            db.session.commit()

    # A patient harmed in care (医疗质量与安全), serious or major: what is taken to mediation or to court.
    care = db.session.scalar(select(Category.id).where(Category.code == "CARE"))
    ordinary = (Complaint.integrity.is_(False), Complaint.anonymous.is_(False), Complaint.department_id.isnot(None),
                Complaint.language == "zh", Complaint.category_id == care, Complaint.severity != "minor")
    settled = db.session.scalars(select(Complaint).where(
        Complaint.status == State.closed.value, Complaint.closed_at <= now - timedelta(days=50), *ordinary)
        .order_by(Complaint.closed_at)).first()
    if settled is not None:
        began = at_ten(max(settled.closed_at + timedelta(days=mediation["after_closing_days"]),
                           settled.events[-1].at + timedelta(days=1)))
        record(settled, began, mediation)
        with clock_at(min(began + timedelta(days=mediation["decided_after_days"]), now - timedelta(hours=1))):
            operations.perform(users["reception"], Action.record_dispute_outcome, settled, {
                "outcome": mediation["outcome"], "outcome_on": today(), "outcome_text": mediation["outcome_text"]},
                settled.version)
            db.session.commit()
    # Still the hospital's to answer, and one the other stories left alone: nobody else's part, never handed
    # to staff, no remedy. Being looked into, or else waiting for leadership's approval.
    still_open = [State.investigating.value, State.awaiting_approval.value]
    sued = next((c for c in db.session.scalars(select(Complaint).where(
        Complaint.status.in_(still_open), *ordinary).order_by(Complaint.received_at))
        if not c.contributions and not c.remedies and all(e.action != "hand_to_handler" for e in c.events)),
        None)
    if sued is not None:  # after its last step (the people named may be an hour ago), by now at the latest
        record(sued, min(sued.events[-1].at + timedelta(hours=4), now), court)


def _notices(users: dict[str, User], now: datetime) -> None:
    """The notices leadership published after recurring complaints (public, at /notices)."""
    for notice in HOSPITAL["notices"]:
        english = notice.get("en") or {}
        db.session.add(PublicNotice(title_zh=notice["zh"]["title"], body_zh=notice["zh"]["body"],
                                    title_en=english.get("title"), body_en=english.get("body"),
                                    published_at=now - timedelta(days=notice["days_ago"]),
                                    published_by_id=users["leadership"].id))
    db.session.commit()


def load_demo() -> list[str]:
    """Create what is missing of the demo hospital; return lines to print (logins and counts)."""
    departments, categories, created = _reference_data()
    created += _hospital_details()
    users, created_users = _users(departments)
    created += created_users
    created += _directory(departments, users)
    db.session.commit()
    complaints_created = 0
    if db.session.scalar(select(func.count()).select_from(Complaint)) == 0:
        complaints_created = _tell_the_stories(departments, categories, users)
    return [_what_was_created(Counter(created), complaints_created), *_logins(), *_complaints_by_state()]


def _plans(departments: dict[str, Department], categories: dict[str, Category], now: datetime) -> list[Plan]:
    """Every complaint's story, drawn before anything is written."""
    rng = random.Random(SEED)
    referrers = {body.code: body.id for body in db.session.scalars(select(ReferringBody))}
    planner = Planner(rng, now, departments, categories, referrers)
    targets = [state for state, count in TARGETS.items() for _ in range(count)]
    rng.shuffle(targets)
    return [planner.plan(target) for target in targets] + _integrity_plans(departments, categories, now)


def _integrity_plans(departments: dict[str, Department], categories: dict[str, Category], now: datetime) -> list[Plan]:
    """The discipline office's two integrity complaints, written out: logged by phone in the integrity
    category, assigned to the department they accuse (which never sees them), accepted by the office; the
    second has its findings recorded, waiting for the office's sign-off."""
    category = categories[INTEGRITY["category"][0]]
    plans = []
    for story in INTEGRITY["complaints"]:
        received = now - timedelta(days=story["days_ago"])
        department = departments[story["dept"]]
        steps = [PlannedStep(Action.assign, "reception", {"department_id": department.id, "_ack": "phone"}, (2, 2)),
                 PlannedStep(Action.accept, "head", {}, (3, 3))]
        if story.get("findings"):
            steps.append(PlannedStep(Action.record_findings, "head", {
                "findings": story["findings"], "cause": story["cause"], "responsibility": "partly_upheld",
                "remedy": story["remedy"]}, (72, 72)))
        times, at = [], received
        for step in steps:
            at += timedelta(hours=step.gap[0])
            times.append(at)
        plans.append(Plan(target=State.investigating, public=False, received_at=received, steps=steps, times=times,
                          data={"channel": "phone", "what_happened": story["what"], "desired_outcome": story["want"],
                                "complainant_name": story["name"], "complainant_phone": story["phone"],
                                "complainant_relation": story["relation"], "subject_ward": story["ward"],
                                "subject_department_id": department.id, "category_id": category.id,
                                "severity": "serious", "complexity": "simple", "acknowledged_via": "phone"}))
    return plans


@contextmanager
def _objects_kept_across_commits():
    # Each step commits, as a request would; only the demo writes meanwhile, so there is no need to reload
    # every object after each commit.
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = expire_on_commit


def _tell_the_stories(departments: dict[str, Department], categories: dict[str, Category],
                      users: dict[str, User]) -> int:
    """The complaints, their corrective actions and the notices; return how many complaints."""
    now = datetime.now(UTC).replace(microsecond=0)
    plans = _plans(departments, categories, now)
    with _objects_kept_across_commits():
        # References are numbered in order of arrival.
        for plan in sorted(plans, key=lambda p: p.received_at):
            complaint = _execute(plan, users)
            if complaint.state != plan.target:  # pragma: no cover - a bug in the plan, not in the data
                raise RuntimeError(f"{complaint.reference} ended {complaint.state}, planned {plan.target}")
        _follow_through(users, now)
        _people_named(users, now)
        _handed_to_staff(users, now)
        _co_handled(users, now)
        _found_against_again(users, now)
        _remedies_offered(users, now)
        _retriaged(users, now)
        _taken_further(users, now)
        _notices(users, now)
    return len(plans)


# --- what is printed -------------------------------------------------------------------------------


def _what_was_created(made: Counter, complaints_created: int) -> str:
    if not (made or complaints_created):
        return "Demo hospital already loaded: nothing new created."
    return (f"Demo hospital loaded: created {made['department']} departments, {made['category']} categories, "
            f"{made['user']} users, {made['person']} people in the staff directory and {complaints_created} "
            "complaints.")


def _logins() -> list[str]:
    lines = [f"Demo logins (password for all: {PASSWORD}):"]
    for username, role, _name in STAFF:
        lines.append(f"  {username:<12} {role:<11}")
    for code, name_zh, name_en, *_rest in DEPARTMENTS:
        lines.append(f"  {head_username(code):<12} {'head':<11} {code} {name_zh} / {name_en}")
    for username, code, _name in DEPARTMENT_STAFF:
        lines.append(f"  {username:<12} {'staff':<11} {code}")
    return lines


def _complaints_by_state() -> list[str]:
    counts = dict(db.session.execute(select(Complaint.status, func.count()).group_by(Complaint.status)).all())
    lines = [f"Complaints by state ({sum(counts.values())} in all):"]
    for state in State:
        lines.append(f"  {state.value:<18} {counts.get(state.value, 0):>4}")
    escalated = db.session.scalar(select(func.count()).where(Complaint.escalation_level > 0))
    overdue = db.session.scalar(select(func.count()).where(Complaint.overdue_clause(today())))
    lines.append(f"  ever escalated: {escalated}; overdue now: {overdue}")
    return lines
