"""Factories: build the hospital and drive complaints to any state through the real operations."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from wtforms import RadioField

from intranet.complaints import lifecycle, operations, registration
from intranet.complaints.lifecycle import SPECS, Action, Role, State, Step
from intranet.complaints.spec import Example
from intranet.core.departments import Category, Department, ReferringBody
from intranet.core.extensions import db
from intranet.core.roles import SYSTEM
from intranet.core.users import User

PASSWORD = "correct horse battery"


@dataclass
class World:
    cardiology: Department
    nursing: Department
    category: Category
    reception: User
    leadership: User
    admin: User
    head: User  # head of cardiology
    other_head: User  # head of nursing
    supervision: User  # the discipline office (纪检监察室): integrity complaints only
    staff: User  # department staff of cardiology (科室经办人): only the complaints handed to them
    other_staff: User  # department staff of nursing

    def user(self, role_key: str) -> User:
        return getattr(self, role_key)


def make_user(username, role, department=None, password=PASSWORD) -> User:
    user = User(username=username, display_name=username.title(), role=role, department=department)
    user.set_password(password)
    db.session.add(user)
    return user


def make_world() -> World:
    cardiology = Department(code="CARD", name_zh="心血管内科", name_en="Cardiology")
    nursing = Department(code="NURS", name_zh="护理部", name_en="Nursing")
    category = Category(code="COMM", name_zh="沟通与态度", name_en="Communication and attitude")
    db.session.add_all([cardiology, nursing, category])
    # The 12345 hotline, a referring body (the migration seeds it; the tables are emptied after each test).
    if db.session.scalar(select(ReferringBody).where(ReferringBody.code == "12345")) is None:
        db.session.add(ReferringBody(code="12345", name_zh="12345政务服务便民热线",
                                     name_en="12345 citizens' service hotline"))
    world = World(
        cardiology=cardiology,
        nursing=nursing,
        category=category,
        reception=make_user("reception", "reception"),
        leadership=make_user("leadership", "leadership"),
        admin=make_user("admin", "admin"),
        head=make_user("head-card", "head", cardiology),
        other_head=make_user("head-nurs", "head", nursing),
        supervision=make_user("discipline", "supervision"),
        # Made last: the accounts above keep the ids they always had.
        staff=make_user("staff-card", "staff", cardiology),
        other_staff=make_user("staff-nurs", "staff", nursing),
    )
    db.session.commit()
    return world


def public_complaint_data(**overrides) -> dict:
    data = {
        "what_happened": "候诊三个小时没有人解释原因。 Waited three hours with no explanation.",
        "complainant_name": "王女士",
        "complainant_phone": "13800138000",
        "complainant_relation": "patient",
        "confidential": False,
        "anonymous": False,
    }
    data.update(overrides)
    return data


def example(world: World, complaint=None) -> Example:
    # Cardiology: the department every assigned complaint goes to, whose head is world.head.
    return Example(department_id=world.cardiology.id, category_id=world.category.id, complaint=complaint)


def action_data(action: Action | str, world: World, complaint=None) -> dict:
    """Valid data for `action`, as the operation receives it (the forms' cleaned data): its spec's example."""
    return SPECS[Action(action)].example(example(world, complaint))


def form_data(action: Action | str, world: World, complaint=None, **overrides) -> dict[str, str]:
    """The action's example as a browser posts its form, unprefixed: dates in ISO, a ticked checkbox as "y"
    (an unticked one sends nothing), a yes/no radio as "yes" or "no"."""
    action = Action(action)
    form = SPECS[action].form or SPECS[action].public_form  # the complainant's own actions have only theirs
    fields = {}
    for name, value in {**action_data(action, world, complaint), **overrides}.items():
        if value is None:
            continue
        widget = getattr(form, name).field_class
        if widget is RadioField:
            value = "yes" if value else "no"
        elif isinstance(value, bool):
            if not value:
                continue
            value = "y"
        elif isinstance(value, date):
            value = value.isoformat()
        fields[name] = str(value)
    return fields


def do_requirements(world: World, action: Action, complaint) -> None:
    """Do first what `action` requires done (sign-off needs the findings), as its spec says."""
    for requirement in SPECS[Action(action)].requires:
        before = Action(requirement.action)
        if complaint.state in SPECS[before].sources and not SPECS[before].done(complaint):
            operations.perform(actor(world, happy_path(before)[1]), before, complaint,
                               action_data(before, world, complaint), complaint.version)
            db.session.commit()


def path_to(state: State) -> list[tuple[Action, str]]:
    """The planner's path from a new public submission to `state`, as (action, who) pairs."""
    return [(step.action, step.role.value) for step in planned(state)]


def planned(state: State, anonymous: bool = False) -> list[Step]:
    return lifecycle.path_to(State(state), anonymous=anonymous)


def actor(world: World, role: str, complaint=None) -> User | None:
    """The person of `role` who acts: a department head is the head of cardiology (on an integrity complaint,
    the discipline office stands in for them); None for the public; the system's actor for what a scheduled
    job does (the mail poller)."""
    if role == Role.system:
        return SYSTEM
    if role == Role.head and complaint is not None and complaint.integrity:
        return world.supervision
    return None if role == Role.public else world.user(role)


def make_complaint(world: World, state: State = State.submitted, **data):
    """A complaint in `state`, reached through the real operations along the planner's path (so its
    timeline is real). A major complaint (severity="major") is triaged as major."""
    state = State(state)
    if state == State.awaiting_approval:
        data.setdefault("severity", "major")
    anonymous = bool(data.get("anonymous"))
    if any(SPECS[step.action].records_on is not None for step in planned(state, anonymous)):
        make_complaint(world, State.registered)  # the other open complaint it links to (a duplicate's original)
    result = registration.create(None, public_complaint_data(**{k: v for k, v in data.items()
                                                                if k != "severity"}))
    complaint = result.complaint
    db.session.commit()
    for step in planned(state, anonymous):
        payload = {**action_data(step.action, world, complaint), **step.data}
        if step.action == Action.triage and data.get("severity"):
            payload = {**payload, "severity": data["severity"]}
        operations.perform(actor(world, step.role.value, complaint), step.action, complaint, payload,
                           complaint.version)
        db.session.commit()
    assert complaint.state == state, (complaint.state, state)
    complaint.tracking_code = result.tracking_code
    return complaint


def prepare_for(world: World, action: Action, state: State, **data):
    """A complaint in `state` that `action` can be done to: as its spec's example needs it (a confidential
    complainant, for a disclosure), with what it requires done first (findings, for a sign-off)."""
    spec = SPECS[Action(action)]
    if spec.records_on is not None:
        make_complaint(world, State.registered)  # the other open complaint it links to (a duplicate's original)
    # A value the example builds anew for each complaint (an evidence file's row, whose stored name is unique).
    setup = {**{key: value() if callable(value) else value for key, value in spec.example_complaint.items()},
             **data}
    proposed = setup.pop("malicious_proposed", False)
    retriage = setup.pop("retriage_proposed", False)
    handed = setup.pop("handed_to_handler", False)
    left = setup.pop("handler_left", False)  # and the handler no longer of the department's staff since
    contributing = setup.pop("contributing", False)
    remedy = setup.pop("remedy", None)
    complaint = make_complaint(world, state, **setup)
    if contributing and complaint.state in SPECS[Action.ask_contribution].sources:
        ask_contribution(world, complaint)
    if remedy and complaint.state == State.investigating:
        propose_remedy(world, complaint, **remedy)
    do_requirements(world, action, complaint)
    if proposed and complaint.state == State.investigating:
        propose_malicious(world, complaint)
    if handed and complaint.department_id == world.cardiology.id:
        hand_to_staff(world, complaint)
        if left:  # written past the account's writer, which would have given it back to the head at once
            db.session.execute(update(User).where(User.id == complaint.handler_id).values(active=False))
            db.session.commit()
            db.session.expire_all()
    if retriage and complaint.department_id == world.cardiology.id and complaint.state in SPECS[
            Action.propose_retriage].sources:
        propose_retriage(world, complaint, **(retriage if isinstance(retriage, dict) else {}))
    return complaint


def ask_contribution(world: World, complaint, department=None, **data):
    """Reception asks nursing (or `department`) to contribute its part to `complaint` (cardiology's)."""
    department = department or world.nursing
    operations.perform(world.reception, Action.ask_contribution, complaint,
                       {"department_id": department.id, **data}, complaint.version)
    db.session.commit()
    return complaint


RETRIAGE_REASON = "The investigation found more harm than first described."


def propose_retriage(world: World, complaint, reason: str = RETRIAGE_REASON, **triage):
    """The head of cardiology proposes a new triage of `complaint` (theirs): by default, serious."""
    data = {"severity": complaint.severity, "complexity": complaint.complexity,
            "category_id": complaint.category_id, "reason": reason}
    data.update(triage or {"severity": "minor" if complaint.severity == "serious" else "serious"})
    operations.perform(world.head, Action.propose_retriage, complaint, data, complaint.version)
    db.session.commit()
    return complaint


def hand_to_staff(world: World, complaint, staff: User | None = None):
    """The head of cardiology hands `complaint` (theirs) to a member of its staff (world.staff unless told).
    Only while investigating is it a step; a complaint further on is given its handler as the step would
    have given it on the way (its record then names no such event)."""
    staff = staff or world.staff
    if complaint.state == State.investigating:
        operations.perform(world.head, Action.hand_to_handler, complaint, {"handler_id": staff.id},
                           complaint.version)
    else:
        complaint.handler_id = staff.id
    db.session.commit()
    return complaint


def propose_remedy(world: World, complaint, kind: str = "compensation", amount: str | None = "5000",
                   description: str | None = None):
    """The head of cardiology proposes a remedy on `complaint` (investigating, theirs)."""
    operations.perform(actor(world, Role.head.value, complaint), Action.propose_remedy, complaint,
                       {"kind": kind, "amount": amount if kind not in ("apology", "explanation") else None,
                        "description": description}, complaint.version)
    db.session.commit()
    return complaint


def remedy_waiting(world: World, state: State = State.investigating, **data):
    """A complaint of cardiology's with a compensation of ¥5,000 waiting for leadership's approval (above the
    ¥2,000 threshold): investigating, or signed off and so awaiting approval (not major: for the remedy)."""
    complaint = make_complaint(world, State.investigating, **data)
    propose_remedy(world, complaint, "compensation", "5000")
    if State(state) == State.awaiting_approval:
        do_requirements(world, Action.sign_off, complaint)
        operations.perform(actor(world, Role.head.value, complaint), Action.sign_off, complaint,
                           {"response_text": "We are sorry; we offer ¥5,000 in compensation."}, complaint.version)
        db.session.commit()
    assert complaint.state == State(state), complaint.state
    return complaint


MALICIOUS_CAUSE = "The same claim, already shown false twice, made again."


def propose_malicious(world: World, complaint, cause: str = MALICIOUS_CAUSE):
    """The head of cardiology finds `complaint` (investigating, theirs) malicious: a proposal for leadership."""
    operations.perform(world.head, Action.record_findings, complaint,
                       {"findings": "Nothing of what is claimed happened.", "responsibility": "malicious",
                        "cause": cause}, complaint.version)
    db.session.commit()
    return complaint


def happy_path(action: Action) -> tuple[State, str]:
    """A state `action` starts from and a person who may do it there: the first of its sources the planner
    reaches most cheaply, and the first staff role its spec allows (a head acts on cardiology's)."""
    spec = SPECS[action]
    role = next(r for r in (Role.reception, Role.head, Role.leadership, Role.public, Role.system)
                if r in spec.roles)
    if spec.contributors_only:  # a department's part of a complaint another leads: the head of nursing
        return min(spec.sources, key=lambda s: (len(planned(s)), list(State).index(s))), "other_head"
    sources = spec.sources
    if role == Role.head:  # a head acts on their department's complaints: a state that has one
        sources = (sources & lifecycle.WITH_DEPARTMENT) or sources
    state = min(sources, key=lambda s: (len(planned(s)), list(State).index(s)))
    return state, role.value


HAPPY_PATH = {action: happy_path(action) for action in lifecycle.COMPLAINT_ACTIONS}
