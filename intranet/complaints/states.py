"""The states of a complaint (SPEC §3), each declared once with everything about it.

What a state is called on the staff pages, what the complainant reads about it on the tracking page, and
whether it is open (still someone's work) or a department's work (the database then refuses it without a
department). A completeness test walks every state: one without its parts fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..core.choices import Labelled


class State(Labelled):
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
    duplicate = "duplicate"

    @staticmethod
    def LABELS():  # noqa: N802
        return {state: spec.label for state, spec in STATES.items()}

    @property
    def spec(self) -> StateSpec:
        return STATES[self]

    @property
    def label(self) -> str:
        # Straight from the state's spec: a queue page asks for fifty of them.
        return str(STATES[self].label)

    @property
    def public_text(self) -> str:
        return str(STATES[self].public_text)


@dataclass(frozen=True)
class StateSpec:
    label: str  # lazily translated, for staff
    # What the complainant reads on the tracking page: plain words, no staff names, no internal findings.
    public_text: str
    open: bool = True
    # A department's work: the database refuses the state without a department.
    with_department: bool = False


STATES: dict[State, StateSpec] = {
    State.submitted: StateSpec(
        _l("Submitted, to triage"),
        _l("Received. The complaints office will look at it within one working day.")),
    State.registered: StateSpec(
        _l("Registered"),
        _l("Registered by the complaints office.")),
    State.assigned: StateSpec(
        _l("Assigned to a department"),
        _l("Being looked into by the department concerned."), with_department=True),
    State.investigating: StateSpec(
        _l("Investigating"),
        _l("Being looked into by the department concerned."), with_department=True),
    State.awaiting_approval: StateSpec(
        _l("Awaiting leadership approval"),
        _l("Being looked into by the department concerned."), with_department=True),
    State.signed_off: StateSpec(
        _l("Signed off, to tell the complainant"),
        _l("An answer is ready; the complaints office will contact you."), with_department=True),
    State.responded: StateSpec(
        _l("Responded, follow-up due"),
        _l("We have answered. Tell us whether you are satisfied.")),
    State.closed: StateSpec(_l("Closed"), _l("Closed."), open=False),
    State.not_accepted: StateSpec(_l("Not accepted"), _l("Not accepted as a complaint."), open=False),
    State.withdrawn: StateSpec(_l("Withdrawn"), _l("Withdrawn."), open=False),
    # Linked to the open complaint it repeats, which is where it is handled (the tracking page names it).
    State.duplicate: StateSpec(_l("Duplicate"), _l("This repeats an earlier complaint, which is being handled."),
                               open=False),
}

ALL = frozenset(State)
OPEN = frozenset(s for s, spec in STATES.items() if spec.open)
TERMINAL = ALL - OPEN
WITH_DEPARTMENT = frozenset(s for s, spec in STATES.items() if spec.with_department)
