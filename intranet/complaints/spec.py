"""What an action spec is: everything about one lifecycle action, declared in one place.

Each action of SPEC §3 is one `ActionSpec` in `complaints/actions/`. The lifecycle table (who may act,
from which state, to which state) is built from the specs, and so is everything else that used to be a
registry keyed by action: the form and its prefill, what the action does to the complaint, what counts as
"done" for the suggestion, who is notified, how the timeline shows its fields, what the public tracking
page says of it, and a valid example of its data for the demo planner and the test factories.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from wtforms.fields.core import UnboundField

from ..core.roles import Role
from ..notifications.kinds import Kind
from .states import State

if TYPE_CHECKING:
    from .models import Complaint


class ActionRefused(Exception):
    """The user may not do this action on this complaint in its current state."""


class Conflict(Exception):
    """Someone else changed the complaint since the person loaded it."""

    def __init__(self, complaint, events: list):
        super().__init__("conflict")
        self.complaint = complaint
        self.events = events


class ActionInvalid(Exception):
    """The submitted data breaks a rule the form alone cannot check: {field name: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Decider:
    """A target decided from the complaint and the submitted data, with every state it may return
    declared beside it (perform() refuses an answer outside them, and the tests walk each one)."""

    decide: Callable[[Complaint, dict], State | None]
    outcomes: frozenset[State]
    # For each outcome, data that leads there (merged into the example by the planner), where data decides.
    leads_to: Mapping[State, dict] = field(default_factory=dict)
    # The state may also stay as it is (the decision None): a re-triage keeps it, except that a response
    # signed off without approval goes to leadership once the complaint is major.
    keeps: bool = False
    # For an outcome reached from some of the step's states only, those states (the planner reads it).
    reached_from: Mapping[State, frozenset[State]] = field(default_factory=dict)

    def reaches(self, start, outcome) -> bool:
        return start in self.reached_from.get(outcome, frozenset({start}))

    def answer(self, name: str, subject, data: dict):
        """Its decision for `subject` (a complaint, a corrective action): one of the declared outcomes."""
        outcome = self.decide(subject, data)
        if outcome is None and self.keeps:
            return None
        if outcome not in self.outcomes:
            raise RuntimeError(f"{name} decided {outcome}, not one of its declared outcomes")
        return outcome


@dataclass(frozen=True)
class Before:
    """What the complaint was before the action: notices compare it with what it is after."""

    state: State | None
    major: bool
    acknowledged: bool
    escalation_level: int


@dataclass(frozen=True)
class Notice:
    """A notification kind the action sends, when `when(before, complaint)` holds (always, if None). The
    kinds and the notices several specs share are in `notices.py`."""

    kind: Kind
    when: Callable[[Before, Complaint], bool] | None = None
    # Sent once per complaint rather than once per event (leadership hears of a major complaint once).
    once_per_complaint: bool = False
    # What the notice adds to the event's data for the message (why an action escalated, say).
    adds: tuple[tuple[str, str], ...] = ()
    # Sent only when the event records this (an extension reception is to tell the complainant of).
    recorded: str | None = None
    # Sent to the heads of the department whose code the event records in this field, rather than of the
    # complaint's (a department asked to contribute hears that it is).
    to_department: str | None = None
    # Sent to the member of the department's staff whose account id the event records in this field, rather
    # than to the complaint's handler (the one taken off it hears it is no longer theirs).
    to_handler: str | None = None

    def fires(self, before: Before, complaint: Complaint, data: Mapping[str, Any] | None = None) -> bool:
        if self.recorded is not None and not (data or {}).get(self.recorded):
            return False
        return self.when is None or bool(self.when(before, complaint))


@dataclass(frozen=True)
class Shown:
    """How one field of an event's data reads on the timeline: its label and what kind of value it is."""

    label: Any  # a lazy string
    # "text", "date", "bool", "department", "missed", or a Labelled enum whose label is shown
    kind: Any = "text"


HIDDEN = None  # a field kept in the event for the record, not shown on the timeline


@dataclass(frozen=True)
class TrackEntry:
    """One message on the complainant's tracking page: a heading, when it happened, what it says."""

    name: str  # the action's: the page's class for it
    heading: str
    at: Any  # the event's time
    text: str
    # Replaces the status line (a complaint handled together with another one says with which).
    status: str | None = None


@dataclass(frozen=True)
class PublicMessage:
    """What the tracking page tells the complainant of an event of this action, in plain words: never a staff
    name, a finding or an internal note. `text` and `status` read the whole event (its data and its time);
    `text` may return None when the event has nothing to say to the complainant."""

    heading: Any  # lazily translated
    text: Callable[[Any], str | None]
    status: Callable[[Any], str] | None = None
    # A message that stops holding: once one of these actions came after it (a new date stands until the
    # next one, the answer or a reopening), or once the complaint is closed (`while_open`).
    holds_until: frozenset[str] = frozenset()
    while_open: bool = False

    def holds(self, later_actions: set[str], is_open: bool) -> bool:
        return not (self.holds_until & later_actions) and (is_open or not self.while_open)

    def entry(self, name: str, event) -> TrackEntry | None:
        text = self.text(event)
        if text is None:
            return None
        return TrackEntry(name, str(self.heading), event.at, text,
                          self.status(event) if self.status is not None else None)


@dataclass(frozen=True)
class Requirement:
    """Another action that must be done first; refused with `message` beside `field` otherwise."""

    spec: ActionSpec
    field: str
    message: Any
    # The planner does it first on its way (findings before a sign-off); False: it holds unless something
    # else was done first (no part outstanding unless a department was asked for one).
    planned: bool = True

    @property
    def action(self) -> str:
        return self.spec.name

    def done(self, complaint) -> bool:
        return self.spec.done(complaint)


class RecordKind:
    """What one kind of record with steps (a complaint, a corrective action) adds to the engine's path in
    `operations.perform()`: how its events are written and read back, what must be done first, and what
    follows a step (the search index, notices). The defaults add nothing."""

    def events_since(self, record, version: int) -> list:
        """What happened after the person loaded the page (each step bumps the version once)."""
        missed = max(record.version - version, 0)
        return list(record.events[-missed:]) if missed else []

    def happened(self, event) -> tuple[str | None, str]:
        """Who did an event (None: the complainant, or nobody) and the label of what they did."""
        raise NotImplementedError

    def check_requirements(self, spec, record) -> None:
        """Raise ActionInvalid if what the step requires done first is not done."""

    def before(self, record):
        """What the record was before the step, for what follows it to compare with."""

    def changed(self, spec, record, data: dict, event_data: dict) -> None:
        """What the step does beside its own `apply` and its target state (an escalation level)."""

    def record_event(self, record, user, action, from_state, data: dict):
        raise NotImplementedError

    def followed_by(self, spec, record, user, event, before) -> None:
        """In the same transaction, after the step is written (and flushed)."""


@dataclass(frozen=True)
class Spec:
    """A step of a record with steps: who may take it, from which states, to which state, with what form,
    what it does, and how its event reads. `ActionSpec` (a complaint's actions) and `StepSpec` (a corrective
    action's steps) add what their records need; `operations.perform()` runs every one the same way."""

    name: str
    label: Any  # lazily translated
    roles: frozenset[Role]
    sources: frozenset | None  # None: the step creates the record
    target: Any  # a state, a Decider, or None: the state stays
    # What it does to the record: (record, user, data) -> the event's data. None: nothing beyond the state.
    apply: Callable[..., dict] | None = None
    form: type | None = None
    timeline: Mapping[str, Shown | None] = field(default_factory=dict)
    # A condition on the record beyond its state (acknowledge: not anonymous, not yet acknowledged).
    only_when: Callable[[Any], bool] | None = None
    # A department head takes it only for a record their department answers for (a corrective action's
    # owner); otherwise seeing the record is enough (a head sees only their department's complaints).
    owner_only: bool = False
    # Only a head of a department asked to contribute to the complaint takes it (co-handling), and the lead
    # department's heads do not; a contributing head takes no other step.
    contributors_only: bool = False
    # It only adds to the record (a note): what happened since the person loaded the page is no reason to
    # refuse it when that too was only added (another note). Anything else that happened still is.
    commutes: bool = False

    @property
    def creates(self) -> bool:
        return self.sources is None

    def possible_targets(self) -> frozenset:
        if self.target is None:
            return self.sources or frozenset()
        if isinstance(self.target, Decider):
            return self.target.outcomes | (self.sources or frozenset() if self.target.keeps else frozenset())
        return frozenset({self.target})

    def target_for(self, record, data: dict):
        """The state after the step (None: unchanged). A decider's answer must be one it declared."""
        if isinstance(self.target, Decider):
            return self.target.answer(self.name, record, data)
        return self.target


@dataclass(frozen=True, kw_only=True)
class ActionSpec(Spec):
    records: str  # the product brief's "records" column, for the reader of the code
    prefill: Callable[[Complaint], dict] | None = None
    # Whether it has been done on this complaint: the page suggests the first primary action not done.
    done: Callable[[Complaint], bool] | None = None
    requires: tuple[Requirement, ...] = ()
    notices: tuple[Notice, ...] = ()
    # What of the form this person is asked on this complaint: (form, complaint, user), changing the form in
    # place (a head who cannot see the complainant's contact is not asked how they told them).
    fit_form: Callable[[Any, Complaint, Any], None] | None = None
    # What the tracking page tells the complainant of this action's events (None: nothing).
    public: PublicMessage | None = None
    # The form the complainant sends this action with on the tracking page (None: not theirs to send; the
    # page offers it whenever can() allows the public this action), and what they read once it is done.
    public_form: type | None = None
    public_thanks: Callable[[dict], str] | None = None
    # A valid example of the data, given the ids of a department and a category: used by the demo planner,
    # the test factories and the completeness test.
    example: Callable[[Example], dict] = lambda ex: {}
    # What the complaint must be like for the example to apply (disclosure: a confidential complainant;
    # "malicious_proposed": a head found it malicious, for leadership to decide).
    example_complaint: Mapping[str, Any] = field(default_factory=dict)
    # Raises the escalation level by one: always, or when the callable says so for the submitted data.
    escalates: bool | Callable[[dict], bool] = False
    # The primary actions of each state are offered first and as prominent buttons.
    primary: bool = False
    # For which complaints (beside its only_when, which decides): only anonymous ones (True), only named ones
    # (False), or either (None). The planner plans an anonymous complaint's path by it.
    anonymous: bool | None = None
    # Offered in the actions panel; False: beside what it is about on the page (a file's mark, by the file).
    in_panel: bool = True
    # What the action records on the timeline of another complaint: (complaint, event data) -> the other
    # complaint and its event's data (a duplicate noted on the original), or None.
    records_on: Callable[[Complaint, dict], tuple[Complaint, dict] | None] | None = None

    def escalates_with(self, data: dict) -> bool:
        return self.escalates(data) if callable(self.escalates) else self.escalates

    @cached_property  # asked for every row of a queue page: worked out once per spec
    def needs_input(self) -> bool:
        """Whether the person types or chooses anything: if not, the action is a single button."""
        if self.form is None:
            return True
        return any(isinstance(getattr(self.form, name, None), UnboundField) and name not in ("version", "csrf_token")
                   for name in dir(self.form))


@dataclass(frozen=True)
class Example:
    """What an example needs from the hospital: a department and a category to name by id."""

    department_id: int
    category_id: int
    complaint: Any = None  # the complaint it will be done to, for data that depends on it (a later date)
