"""Factories: build the hospital and drive complaints to any state through the real operations."""

from dataclasses import dataclass

from intranet.admin.models import Category, Department
from intranet.auth.models import User
from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.extensions import db

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
    world = World(
        cardiology=cardiology,
        nursing=nursing,
        category=category,
        reception=make_user("reception", "reception"),
        leadership=make_user("leadership", "leadership"),
        admin=make_user("admin", "admin"),
        head=make_user("head-card", "head", cardiology),
        other_head=make_user("head-nurs", "head", nursing),
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


# Valid data for each action, as the operation receives it (the forms' cleaned data).
def action_data(action: Action, world: World) -> dict:
    return {
        Action.triage: {"category_id": world.category.id, "severity": "minor", "complexity": "simple"},
        Action.resolve_on_the_spot: {"what_was_done": "Apologised and explained the delay.", "method": "in_person"},
        Action.decline: {"reason": "Not about this hospital.", "complainant_told": "Referred to the right body.",
                         "told_via": "phone"},
        Action.assign: {"department_id": world.cardiology.id},
        Action.accept: {},
        Action.send_back: {"reason": "This is a nursing matter."},
        Action.record_findings: {"findings": "The clinic ran late; nobody told the waiting patients.",
                                 "responsibility": "partly_upheld", "cause": "No delay announcements.",
                                 "remedy": "Apology.", "corrective_actions": "Announce delays every 30 min."},
        Action.sign_off: {"response_text": "We are sorry. Delays are now announced."},
        Action.approve: {"comment": "Agreed."},
        Action.return_for_rework: {"comment": "Say what changes."},
        Action.respond: {"method": "phone", "response_text": "We are sorry. Delays are now announced."},
        Action.follow_up: {"method": "phone", "satisfied": True, "comment": "Thanks."},
        Action.extend: {"new_due_on": None, "reason": "Waiting for the ward's records.",
                        "complainant_told_via": "phone"},
        Action.escalate: {"reason": "Complainant contacted the press."},
        Action.note: {"text": "Called back, no answer."},
        Action.withdraw: {"reason": "Complainant says the matter is settled."},
    }[action]


# The shortest path of actions (and who does each) from a new public submission to each state.
PATHS = {
    State.submitted: [],
    State.registered: [(Action.triage, "reception")],
    State.assigned: [(Action.triage, "reception"), (Action.assign, "reception")],
    State.investigating: [(Action.triage, "reception"), (Action.assign, "reception"), (Action.accept, "head")],
    State.awaiting_approval: [(Action.triage, "reception"), (Action.assign, "reception"),
                              (Action.accept, "head"), (Action.record_findings, "head"),
                              (Action.sign_off, "head")],
    State.signed_off: [(Action.triage, "reception"), (Action.assign, "reception"), (Action.accept, "head"),
                       (Action.record_findings, "head"), (Action.sign_off, "head")],
    State.responded: [(Action.triage, "reception"), (Action.assign, "reception"), (Action.accept, "head"),
                      (Action.record_findings, "head"), (Action.sign_off, "head"), (Action.respond, "reception")],
    State.closed: [(Action.triage, "reception"), (Action.assign, "reception"), (Action.accept, "head"),
                   (Action.record_findings, "head"), (Action.sign_off, "head"), (Action.respond, "reception"),
                   (Action.follow_up, "reception")],
    State.not_accepted: [(Action.decline, "reception")],
    State.withdrawn: [(Action.triage, "reception"), (Action.withdraw, "reception")],
}


def make_complaint(world: World, state: State = State.submitted, **data):
    """A complaint in `state`, reached through the real operations (so its timeline is real)."""
    if state == State.awaiting_approval:
        data.setdefault("severity", "major")
    result = operations.create(None, public_complaint_data(**{k: v for k, v in data.items()
                                                                if k != "severity"}))
    complaint = result.complaint
    db.session.commit()
    for action, role_key in PATHS[State(state)]:
        payload = action_data(action, world)
        if action == Action.triage and data.get("severity"):
            payload = {**payload, "severity": data["severity"]}
        operations.perform(world.user(role_key), action, complaint, payload, complaint.version)
        db.session.commit()
    assert complaint.state == state, (complaint.state, state)
    complaint.tracking_code = result.tracking_code
    return complaint


# Each action on its happy path: a state it starts from and a person who may do it (checked against the
# lifecycle table in tests/test_actions_htmx.py, so this list cannot drift from it).
HAPPY_PATH = {
    Action.triage: (State.submitted, "reception"),
    Action.resolve_on_the_spot: (State.registered, "reception"),
    Action.decline: (State.submitted, "leadership"),
    Action.assign: (State.registered, "reception"),
    Action.accept: (State.assigned, "head"),
    Action.send_back: (State.assigned, "head"),
    Action.record_findings: (State.investigating, "head"),
    Action.sign_off: (State.investigating, "head"),
    Action.approve: (State.awaiting_approval, "leadership"),
    Action.return_for_rework: (State.awaiting_approval, "leadership"),
    Action.respond: (State.signed_off, "reception"),
    Action.follow_up: (State.responded, "reception"),
    Action.extend: (State.investigating, "head"),
    Action.escalate: (State.assigned, "reception"),
    Action.note: (State.closed, "reception"),
    Action.withdraw: (State.registered, "reception"),
}
