"""The complaint lifecycle: SPEC §3's table, the single source of truth.

Views (which action endpoints exist), templates (which buttons to show), the permission check `can()`,
the timeline and the authorization tests are all driven by TRANSITIONS. Nothing else assigns `status`:
`operations.perform()` is the only writer, and it takes the target state from here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from .models import Complaint


class State(enum.StrEnum):
    submitted = "submitted"
    registered = "registered"
    assigned = "assigned"
    investigating = "investigating"
    awaiting_approval = "awaiting_approval"
    signed_off = "signed_off"
    responded = "responded"
    closed = "closed"
    not_accepted = "not_accepted"
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    State.submitted: _l("Submitted, to triage"),
    State.registered: _l("Registered"),
    State.assigned: _l("Assigned to a department"),
    State.investigating: _l("Investigating"),
    State.awaiting_approval: _l("Awaiting leadership approval"),
    State.signed_off: _l("Signed off, to tell the complainant"),
    State.responded: _l("Responded, follow-up due"),
    State.closed: _l("Closed"),
    State.not_accepted: _l("Not accepted"),
    State.withdrawn: _l("Withdrawn"),
}

TERMINAL = frozenset({State.closed, State.not_accepted, State.withdrawn})
OPEN = frozenset(State) - TERMINAL
ALL = frozenset(State)
# A complaint in these states is a department's work: the database refuses them without a department.
WITH_DEPARTMENT = frozenset({State.assigned, State.investigating, State.awaiting_approval, State.signed_off})


class Role(enum.StrEnum):
    public = "public"  # not a user role: the complainant on the public form
    system = "system"  # not a user role: the hospital's scheduled jobs (the SLA sweep), acting on their own
    reception = "reception"
    head = "head"
    leadership = "leadership"
    admin = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.public: _l("Public"),
    Role.system: _l("System (automatic)"),
    Role.reception: _l("Reception / duty officer"),
    Role.head: _l("Department head"),
    Role.leadership: _l("Leadership"),
    Role.admin: _l("Administrator"),
}
STAFF = frozenset({Role.reception, Role.head, Role.leadership})
USER_ROLES = (Role.reception, Role.head, Role.leadership, Role.admin)


class Action(enum.StrEnum):
    submit = "submit"
    log = "log"
    triage = "triage"
    resolve_on_the_spot = "resolve_on_the_spot"
    decline = "decline"
    assign = "assign"
    accept = "accept"
    send_back = "send_back"
    record_findings = "record_findings"
    sign_off = "sign_off"
    approve = "approve"
    return_for_rework = "return_for_rework"
    respond = "respond"
    follow_up = "follow_up"
    extend = "extend"
    escalate = "escalate"
    note = "note"
    withdraw = "withdraw"

    @property
    def transition(self) -> Transition:
        return TRANSITIONS[self]

    @property
    def label(self) -> str:
        return str(self.transition.label)


def _after_sign_off(complaint: Complaint, data: dict) -> State:
    # Major complaints need leadership's approval before anyone tells the complainant.
    return State.awaiting_approval if complaint.is_major else State.signed_off


def _after_follow_up(complaint: Complaint, data: dict) -> State:
    if data.get("satisfied"):
        return State.closed
    # Not satisfied: back to the department. A complaint resolved on the spot never had one,
    # so it goes back to reception to be assigned.
    return State.investigating if complaint.department_id else State.registered


@dataclass(frozen=True)
class Transition:
    action: Action
    label: str
    sources: frozenset[State] | None  # None: the action creates the complaint
    roles: frozenset[Role]
    # None keeps the state; a callable decides from the complaint and the submitted data.
    target: State | Callable[[Complaint, dict], State] | None
    # Department heads may act only on their own department's complaints.
    own_department: bool = True
    records: str = ""
    # Raises the escalation level by one: always, or when the callable says so for the submitted data.
    escalates: bool | Callable[[dict], bool] = False
    # The primary actions of each state are offered first and as prominent buttons.
    primary: bool = False
    # Actions that need nothing typed are a single button.
    needs_input: bool = True

    def escalates_with(self, data: dict) -> bool:
        return self.escalates(data) if callable(self.escalates) else self.escalates

    def possible_targets(self) -> frozenset[State]:
        if self.target is None:
            return self.sources or frozenset()
        if callable(self.target):
            return {
                Action.sign_off: frozenset({State.signed_off, State.awaiting_approval}),
                Action.follow_up: frozenset({State.closed, State.investigating, State.registered}),
            }[self.action]
        return frozenset({self.target})


def _t(action, label, sources, roles, target, **kw) -> tuple[Action, Transition]:
    return action, Transition(action, label, sources, frozenset(roles), target, **kw)


R, H, L = Role.reception, Role.head, Role.leadership
S = State

TRANSITIONS: dict[Action, Transition] = dict(
    [
        _t(Action.submit, _l("Submit"), None, {Role.public}, S.submitted, records="complaint, tracking code"),
        _t(Action.log, _l("Log a complaint"), None, {R}, S.registered, records="complaint from any channel"),
        _t(Action.triage, _l("Triage"), frozenset({S.submitted, S.registered}), {R}, S.registered,
           records="category, severity, complexity", primary=True),
        _t(Action.resolve_on_the_spot, _l("Resolve on the spot"), frozenset({S.submitted, S.registered}), {R},
           S.responded, records="what was done"),
        _t(Action.decline, _l("Decline (not accepted)"), frozenset({S.submitted, S.registered}), {R, L},
           S.not_accepted, records="reason and what the complainant was told"),
        _t(Action.assign, _l("Assign to a department"), frozenset({S.registered, S.assigned, S.investigating}),
           {R, L}, S.assigned, records="department, due date", primary=True),
        _t(Action.accept, _l("Accept"), frozenset({S.assigned}), {H}, S.investigating, primary=True,
           needs_input=False),
        _t(Action.send_back, _l("Send back (not ours)"), frozenset({S.assigned}), {H}, S.registered,
           records="why it is not theirs"),
        _t(Action.record_findings, _l("Record findings"), frozenset({S.investigating}), {H}, None,
           records="findings, cause, responsibility, remedy, corrective actions", primary=True),
        _t(Action.sign_off, _l("Sign off the response"), frozenset({S.investigating}), {H}, _after_sign_off,
           records="the response to give; who signed and when", primary=True),
        _t(Action.approve, _l("Approve the response"), frozenset({S.awaiting_approval}), {L}, S.signed_off,
           records="comment", primary=True),
        _t(Action.return_for_rework, _l("Return to the department"), frozenset({S.awaiting_approval}), {L},
           S.investigating, records="comment"),
        _t(Action.respond, _l("Record the response given"), frozenset({S.signed_off}), {R, H}, S.responded,
           records="method, date, text", primary=True),
        # The public answers online on the tracking page, once it has checked the tracking code.
        _t(Action.follow_up, _l("Record the follow-up"), frozenset({S.responded}), {R, Role.public},
           _after_follow_up, records="method, satisfaction, comment", primary=True,
           escalates=lambda data: not data.get("satisfied")),
        _t(Action.extend, _l("Extend the deadline"), OPEN, {H, L}, None,
           records="new due date, reason, how the complainant was told"),
        # The system escalates on its own what is overdue (the SLA sweep, SPEC §4).
        _t(Action.escalate, _l("Escalate to leadership"), OPEN, STAFF | {Role.system}, None,
           records="reason, level", escalates=True),
        _t(Action.note, _l("Add an internal note"), ALL, STAFF, None, records="internal note"),
        _t(Action.withdraw, _l("Withdraw (complainant's word)"), OPEN, {R}, S.withdrawn, records="reason"),
    ]
)

# Actions done on an existing complaint, in the order the actions panel offers them.
COMPLAINT_ACTIONS = tuple(a for a, t in TRANSITIONS.items() if t.sources is not None)


def actions_from(state: State) -> list[Action]:
    return [a for a in COMPLAINT_ACTIONS if state in TRANSITIONS[a].sources]
