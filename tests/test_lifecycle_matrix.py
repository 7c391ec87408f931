"""SPEC §3: one transition table decides which action, by which role, from which state, to which state.

The expected outcome is read from the table itself (the role is in the action's roles, the state is in its
sources, and a department head acts only on their own department's complaints), never from can():

- can() agrees with the table in every cell of state × action × role × department × kind of complainant
  (plain Python, no database);
- in every cell someone may act in, the operation done by such a person puts the complaint in the table's
  target state, raises the version by one and records one event of action and from → to;
- over HTTP, the way a browser posts the action's form, each action once allowed (302, and all of the
  above) and once refused: by a role the table does not name (403), by the head of another department
  (404: they may not even know the complaint exists) and in a state the table does not allow (403), with
  nothing changed: status, version, events and every column as they were.

The people are reception, leadership, admin, the head of the complaint's department (cardiology, once it
has one) and the head of another department (nursing). The table itself is checked for reachability and
coverage.

"The table" is the product brief's, written out literally in test_lifecycle_table.BRIEF: the expected
answers never come from the code under test.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import func, inspect, select

from intranet.complaints import operations
from intranet.complaints.lifecycle import COMPLAINT_ACTIONS, SPECS, Action, Role, State
from intranet.complaints.models import Complaint, ComplaintEvent
from intranet.complaints.permissions import can
from intranet.complaints.spec import ActionRefused
from intranet.core.extensions import db
from intranet.core.users import User
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_lifecycle_table import (
    BRIEF,
    CONTRIBUTORS_ONLY,
    DECIDED,
    ONLY_WHEN,
    SAME,
    SUPERVISION_STANDS_IN_FOR,
    contributing,
)

# The people tried on every cell: keys of factories.World, with the role each one has.
PEOPLE = {
    "reception": Role.reception,
    "leadership": Role.leadership,
    "admin": Role.admin,
    "head": Role.head,  # head of cardiology, the department every assigned complaint goes to
    "other_head": Role.head,  # head of nursing
}
PEOPLE_IDS = {
    "reception": "reception",
    "leadership": "leadership",
    "admin": "admin",
    "head": "head-of-its-department",
    "other_head": "head-of-another-department",
}

# Where a complaint goes when the table's target is decided by the complaint and the data (SPEC §3):
# "sign off → signed_off, or awaiting_approval if major"; "follow up → closed if satisfied; reopened →
# investigating (and escalated) if not".
MAJOR = "major"
NOT_SATISFIED = "not-satisfied"
# "re-triage → the same state; a response signed off without approval → awaiting_approval once major".
RAISED_TO_MAJOR = "raised-to-major"
RAISED = {"severity": "major", "complexity": "several_departments"}  # a change even of a major complaint
# "approve a remedy → the same state; a response that waited for it alone → signed_off"; "refuse one → the
# same state; a response signed off with it → investigating": a ¥5,000 compensation above the threshold.
REMEDY_WAITS = "remedy-waits"


@dataclass(frozen=True)
class Case:
    """An action, and for the actions whose target depends on the case, which case."""

    action: Action
    variant: str = ""

    def __str__(self) -> str:
        return self.action.value + (f"[{self.variant}]" if self.variant else "")


# Every complaint action in every state; the other branch of each decided target only where it can apply.
# Through the staff endpoint: the actions staff have a form for (the complainant's own are tested on /track,
# what only the system does where it does it: the mail poller's in test_mail_in).
STAFF_ACTIONS = [a for a in COMPLAINT_ACTIONS if SPECS[a].form is not None and SPECS[a].roles != {Role.system}]
CASES = [Case(action) for action in STAFF_ACTIONS]
VARIANT_CASES = [Case(Action.sign_off, MAJOR), Case(Action.follow_up, NOT_SATISFIED),
                 Case(Action.retriage, RAISED_TO_MAJOR), Case(Action.accept_retriage, RAISED_TO_MAJOR),
                 Case(Action.approve_remedy, REMEDY_WAITS), Case(Action.refuse_remedy, REMEDY_WAITS)]

CARDIOLOGY, NURSING = 1, 2  # department ids, for complaints that are never saved
STAFF_ID = 99  # the cell test's person's account: cardiology's complaints are handed to it
# Complaints the factories build in these states belong to cardiology (they went through assignment).
_STATES_WITH_CARDIOLOGY = frozenset(state for state in State
                                    if any(action == Action.assign for action, _ in factories.path_to(state))
                                    and not any(action == Action.send_back for action, _ in factories.path_to(state)))

# Every cell of the table: state × action (and each decided target's other branch where it applies).
GROUPS = [
    pytest.param(state, case, id=f"{state.value}-{case}")
    for state in State
    for case in CASES
] + [
    pytest.param(state, case, id=f"{state.value}-{case}")
    for case in VARIANT_CASES
    for state in sorted(State(s) for s in BRIEF[case.action.value][1])
]


# --- what the table says ---------------------------------------------------------------------------


def owns(role: Role, user_department_id, complaint_department_id) -> bool:
    return role == Role.head and complaint_department_id is not None and user_department_id == complaint_department_id


def table_allows(action: Action, role: Role, state: State, user_department_id=None,
                 complaint_department_id=None, integrity: bool = False, handles: bool = False,
                 contributes: bool = False) -> bool:
    """`handles`: the complaint is handed to this member of staff; `contributes`: the head's department is
    asked for its part of the complaint, not yet given."""
    roles, sources, _targets = BRIEF[Action(action).value]
    if Action(action).value in CONTRIBUTORS_ONLY:  # the contributing head's, never the lead's
        return (role == Role.head and contributes and not integrity and role.value in roles
                and sources is not None and state.value in sources)
    if integrity and role in (Role.head, Role.staff):
        return False  # the department an integrity complaint accuses never sees it
    if role == Role.staff and not handles:
        return False  # department staff act only on a complaint their head handed to them
    if integrity and role == Role.supervision:
        # The discipline office takes the head's part, on every integrity complaint whatever its department.
        return SUPERVISION_STANDS_IN_FOR in roles and sources is not None and state.value in sources
    if role.value not in roles:
        return False
    if sources is None:  # creates a complaint: never done to an existing one
        return False
    if state.value not in sources:
        return False
    if role == Role.head:  # "head of that department": a head acts only on their department's complaints
        return owns(role, user_department_id, complaint_department_id)
    return True


def table_target(case: Case, complaint: Complaint) -> State:
    """The state the table sends the complaint to, for a case the test knows the answer of."""
    _roles, _sources, targets = BRIEF[case.action.value]
    if targets == SAME:
        return complaint.state
    if case.action.value not in DECIDED:
        (target,) = targets
        return State(target)
    if case.action == Action.sign_off:
        return State.awaiting_approval if complaint.is_major else State.signed_off
    if case.action in (Action.retriage, Action.accept_retriage):
        if case.variant == RAISED_TO_MAJOR and complaint.state == State.signed_off and complaint.approved_at is None:
            return State.awaiting_approval
        return complaint.state
    if case.action == Action.follow_up:
        if case.variant != NOT_SATISFIED:
            return State.closed
        return State.investigating if complaint.department_id else State.registered
    if case.action == Action.approve_remedy:
        return State.signed_off if complaint.state == State.awaiting_approval and not complaint.is_major \
            else complaint.state
    if case.action == Action.refuse_remedy:
        return State.investigating
    raise AssertionError(f"no expectation written for {case.action}'s decided target")


def table_escalates(case: Case) -> bool:
    """SPEC §3: escalating raises the level; so does a follow-up that finds the complainant not satisfied."""
    return case.action == Action.escalate or (case.action == Action.follow_up and case.variant == NOT_SATISFIED)


def expected_status(user: User, case: Case, complaint: Complaint) -> int:
    role = Role(user.role)
    contributes = role == Role.head and contributing(complaint, user.department_id)
    if role == Role.head and not owns(role, user.department_id, complaint.department_id) and not contributes:
        return 404  # a head learns nothing of another department's complaints, not even that they exist
    if role == Role.admin:
        return 404  # nor the administrator, before a break-glass opening (test_break_glass.py)
    if role == Role.supervision and not complaint.integrity:
        return 404  # the discipline office sees integrity complaints only
    condition = ONLY_WHEN.get(case.action.value, lambda c: True)
    if table_allows(case.action, role, complaint.state, user.department_id, complaint.department_id,
                    contributes=contributes) and condition(complaint):
        return 302
    return 403


# --- the data each action's form needs ---------------------------------------------------------------


def form_fields(case: Case, world, complaint: Complaint, token: str) -> dict[str, str]:
    """The action's valid form, as a browser posts it: every field prefixed with the action's name."""
    action = case.action
    overrides = {"satisfied": case.variant != NOT_SATISFIED} if action == Action.follow_up else {}
    if case.action == Action.retriage and case.variant == RAISED_TO_MAJOR:
        overrides = RAISED
    fields = {f"{action.value}-{name}": value
              for name, value in factories.form_data(action, world, complaint, **overrides).items()}
    fields[f"{action.value}-version"] = str(complaint.version)
    fields[f"{action.value}-csrf_token"] = token
    return fields


def prepare(case: Case, world, state: State) -> Complaint:
    """A complaint in `state`, with what the action needs done before it (signing off needs findings)."""
    if case.action == Action.accept_retriage and case.variant == RAISED_TO_MAJOR:
        return factories.prepare_for(world, case.action, state, retriage_proposed=RAISED)
    if case.variant == REMEDY_WAITS:
        return factories.remedy_waiting(world, state)
    return factories.prepare_for(world, case.action, state, **({"severity": "major"} if case.variant == MAJOR else {}))


# --- reading the database -----------------------------------------------------------------------------

COLUMNS = [attr.key for attr in inspect(Complaint).column_attrs]


def snapshot(complaint_id: int) -> dict:
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint_id)
    return {key: getattr(complaint, key) for key in COLUMNS}


def events_of(complaint_id: int) -> list[ComplaintEvent]:
    return list(db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id).order_by(ComplaintEvent.id)
    ))


# --- browsing ----------------------------------------------------------------------------------------------


class Browser:
    """One person's browser: a test client whose every request runs in its own application context.

    People take turns at it, like at a ward's shared computer: each logs in (which replaces the user in
    the session cookie) and acts. The test's own context stays pushed (it owns the fixtures' session);
    sharing it with the requests would share `g` too, and with it the logged-in user, the locale and "CSRF
    already checked". A request in its own context has its own session, as it would on a server, and sees
    only what was committed.
    """

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.token = None  # the session's CSRF token, taken from a page once logged in

    def session_transaction(self):
        return self.client.session_transaction()

    def _request(self, method, *args, **kwargs):
        # End the test's transaction first: SQLite lets one writer at a time, and the request writes.
        db.session.rollback()
        with self.app.app_context():
            return getattr(self.client, method)(*args, **kwargs)

    def get(self, *args, **kwargs):
        return self._request("get", *args, **kwargs)

    def post(self, *args, **kwargs):
        return self._request("post", *args, **kwargs)


def act_as(browser: Browser, user, case: Case, world, complaint: Complaint):
    """Log in, post the action's form (with the browser's CSRF token) and return the response."""
    login(browser, user)
    if browser.token is None:
        browser.token = csrf_token(browser, "/queue")
    fields = form_fields(case, world, complaint, browser.token)
    return browser.post(f"/complaints/{complaint.reference}/{case.action.value}", data=fields)


# --- every allowed cell leads where the table says ------------------------------------------------------------


def allows(case: Case, person: str, state: State) -> bool:
    """The table's answer for one of PEOPLE and a complaint the factories built in `state`."""
    department = CARDIOLOGY if state in _STATES_WITH_CARDIOLOGY else None
    own = {"head": CARDIOLOGY, "other_head": NURSING}.get(person)
    # A complaint prepared for a contribution has nursing asked for its part, where it can be asked.
    contributes = (person == "other_head" and bool(SPECS[case.action].example_complaint.get("contributing"))
                   and state in SPECS[Action.ask_contribution].sources)
    return table_allows(case.action, PEOPLE[person], state, own, department, contributes=contributes)


def person_for(case: Case, state: State) -> str | None:
    """The first of the people the table lets do `case` in `state`."""
    return next((p for p in ("reception", "leadership", "head", "other_head") if allows(case, p, state)), None)


def data_for(case: Case, world, complaint: Complaint) -> dict:
    data = factories.action_data(case.action, world, complaint)
    if case.action == Action.retriage and case.variant == RAISED_TO_MAJOR:
        return {**data, **RAISED}
    return {**data, "satisfied": False} if case.variant == NOT_SATISFIED else data


# The cells someone may act in, with the first such person; in the others the can() matrix below proves that
# each person is refused.
ALLOWED_CELLS = [pytest.param(*group.values, person_for(group.values[1], group.values[0]), id=group.id)
                 for group in GROUPS if person_for(group.values[1], group.values[0])]


@pytest.mark.parametrize(("state", "case", "person"), ALLOWED_CELLS)
def test_each_cell_the_table_allows_leads_where_it_says(world, state, case, person):
    """In plain Python (over HTTP each action is tried once below): the operation, done by one person the
    table allows in the cell. can() is checked against the table for every person in every cell below."""
    complaint = prepare(case, world, state)
    user = world.user(person)
    before, events_before = snapshot(complaint.id), len(events_of(complaint.id))

    if not ONLY_WHEN.get(case.action.value, lambda c: True)(complaint):
        with pytest.raises(ActionRefused):
            operations.perform(user, case.action, complaint, data_for(case, world, complaint), complaint.version)
        db.session.rollback()
        assert snapshot(complaint.id) == before and len(events_of(complaint.id)) == events_before
        return
    target = table_target(case, complaint)
    operations.perform(user, case.action, complaint, data_for(case, world, complaint), complaint.version)
    db.session.commit()
    assert_done(case, state, target, user, complaint.id, before, events_before)


def assert_done(case: Case, state: State, target: State, user, complaint_id: int, before: dict,
                events_before: int) -> None:
    after, events = snapshot(complaint_id), events_of(complaint_id)
    assert after["status"] == target.value
    assert target in SPECS[case.action].possible_targets()
    assert after["version"] == before["version"] + 1
    assert after["escalation_level"] == before["escalation_level"] + (1 if table_escalates(case) else 0)
    assert len(events) == events_before + 1
    event = events[-1]
    assert (event.action, event.from_state, event.to_state) == (case.action.value, state.value, target.value)
    assert event.actor_id == user.id


# --- over HTTP: each action once allowed, once refused ----------------------------------------------------


def happy_state(case: Case) -> tuple[State, str]:
    return factories.HAPPY_PATH[case.action]


@pytest.mark.parametrize("case", CASES + VARIANT_CASES, ids=str)
def test_an_allowed_action_through_http_does_what_the_table_says(app, world, case):
    state, person = happy_state(case)
    complaint = prepare(case, world, state)
    user = world.user(person)
    assert expected_status(user, case, complaint) == 302
    target = table_target(case, complaint)
    before, events_before = snapshot(complaint.id), len(events_of(complaint.id))

    response = act_as(Browser(app), user, case, world, complaint)

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert_done(case, state, target, user, complaint.id, before, events_before)


def refused_state(case: Case, person: str) -> State | None:
    """The state the factories reach most cheaply in which the table refuses `person` the action (for a head,
    on their own department's complaint: refused for the state, not unseen)."""
    refused = [s for s in State if not allows(case, person, s)
               and (person != "head" or s in _STATES_WITH_CARDIOLOGY)]
    return min(refused, key=lambda s: (len(factories.path_to(s)), list(State).index(s)), default=None)


def refused_cells(case: Case) -> list[tuple[str, State, int]]:
    """(person, state, answer): someone whose role may not, where it may; the head of another department
    (who may not know the complaint exists); the right person where the state does not allow it."""
    state, person = happy_state(case)
    # The administrator is refused as one who does not see the complaint (404): no break-glass opening here.
    refused = next(p for p in ("admin", "reception", "leadership", "head") if not allows(case, p, state))
    if case.action.value in CONTRIBUTORS_ONLY:
        # The lead's head sees the complaint and may not record another department's part.
        return [(refused, state, 404 if refused == "admin" else 403), ("head", state, 403)]
    # Nursing, asked for its part of a complaint prepared so, sees it (and is refused the action: 403).
    asked = (bool(SPECS[case.action].example_complaint.get("contributing"))
             and state in SPECS[Action.ask_contribution].sources)
    cells = [(refused, state, 404 if refused == "admin" else 403), ("other_head", state, 403 if asked else 404)]
    if refused_state(case, person) is not None:
        cells.append((person, refused_state(case, person), 403))
    return cells


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_refused_action_through_http_changes_nothing(app, world, subtests, case):
    browser = Browser(app)
    for person, state, answer in refused_cells(case):
        with subtests.test(person=PEOPLE_IDS[person], state=state.value):
            complaint = prepare(case, world, state)
            user = world.user(person)
            assert expected_status(user, case, complaint) == answer
            before, events_before = snapshot(complaint.id), len(events_of(complaint.id))

            response = act_as(browser, user, case, world, complaint)

            assert response.status_code == answer, response.get_data(as_text=True)[:2000]
            assert snapshot(complaint.id) == before, "a refused action changed the complaint"
            assert len(events_of(complaint.id)) == events_before, "a refused action wrote an event"


def test_follow_up_not_satisfied_without_a_department_goes_back_to_reception(app, world):
    """Resolved on the spot, never assigned: an unsatisfied complainant sends it back to be assigned."""
    complaint = factories.make_complaint(world, State.submitted)
    operations.perform(world.reception, Action.resolve_on_the_spot, complaint,
                       factories.action_data(Action.resolve_on_the_spot, world), complaint.version)
    db.session.commit()
    assert complaint.state == State.responded and complaint.department_id is None
    case = Case(Action.follow_up, NOT_SATISFIED)
    before = snapshot(complaint.id)

    response = act_as(Browser(app), world.reception, case, world, complaint)

    assert response.status_code == 302
    after = snapshot(complaint.id)
    assert after["status"] == table_target(case, db.session.get(Complaint, complaint.id)) == State.registered
    assert after["escalation_level"] == before["escalation_level"] + 1
    assert after["reopened_count"] == before["reopened_count"] + 1
    assert after["version"] == before["version"] + 1


# --- can() is the table -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", list(Role))
def test_can_agrees_with_the_table_in_every_cell(role):
    """Pure python: every action × state × role × (no department, own department, another department) ×
    (named, anonymous or confidential complainant; a finding of malicious proposed, confirmed or neither)."""
    in_cardiology = role in (Role.head, Role.staff)
    user = None if role == Role.public else User(id=STAFF_ID, role=role.value, active=True,
                                                 department_id=CARDIOLOGY if in_cardiology else None)
    disagreements = []
    for state in State:
        for department_id in (None, CARDIOLOGY, NURSING):
            for anonymous, confidential, responsibility, integrity in (
                    (False, False, None, False), (True, False, None, False), (False, True, None, False),
                    (False, False, "malicious", False), (False, False, "malicious_proposed", False),
                    (False, False, None, True), (False, False, "malicious_proposed", True)):
                # Cardiology's complaints are handed to its staff (the database allows no handler on an
                # integrity complaint, nor on one without a department); the others' are not.
                handled = department_id == CARDIOLOGY and not integrity
                complaint = Complaint(status=state.value, department_id=department_id, anonymous=anonymous,
                                      confidential=confidential, disclosed_name=False, disclosed_contact=False,
                                      disclosed_patient=False, responsibility=responsibility, integrity=integrity,
                                      handler_id=STAFF_ID if handled else None)
                allowed = []
                for action in COMPLAINT_ACTIONS:
                    condition = ONLY_WHEN.get(action.value, lambda c: True)
                    expected = table_allows(action, role, state, CARDIOLOGY if in_cardiology else None,
                                            department_id, integrity, handles=handled) and condition(complaint)
                    if can(user, action, complaint) != expected:
                        disagreements.append((action.value, state.value, department_id, anonymous, confidential,
                                              responsibility, integrity, expected))
                    if expected:
                        allowed.append(action)
    assert disagreements == []


@pytest.mark.parametrize("role", list(Role))
def test_creating_a_complaint_is_for_the_public_and_reception_only(role):
    user = None if role == Role.public else User(role=role.value, active=True)
    for name in (a for a, (_roles, sources, _to) in BRIEF.items() if sources is None):
        action = Action(name)
        assert can(user, action) == (role.value in BRIEF[name][0])
        # Creating actions are never done to an existing complaint.
        assert not can(user, action, Complaint(status=State.submitted.value))


# --- the matrix covers the whole table ------------------------------------------------------------------------


def test_every_state_is_reachable_from_a_new_complaint():
    reached = {State(to) for _roles, sources, targets in BRIEF.values() if sources is None for to in targets}
    frontier = set(reached)
    while frontier:
        state = frontier.pop()
        for _roles, sources, targets in BRIEF.values():
            if sources and state.value in sources:
                for target in {State(t) for t in targets - SAME} - reached:
                    reached.add(target)
                    frontier.add(target)
    assert reached == set(State)


def test_the_matrix_covers_every_state_action_and_role():
    tried = {(group.values[0], group.values[1].action) for group in GROUPS}
    assert tried == {(s, a) for s in State for a in STAFF_ACTIONS}
    # Every action is in the matrix, or creates the complaint (tested with the public form and intake).
    creating = {Action(a) for a, (_roles, sources, _to) in BRIEF.items() if sources is None}
    assert set(COMPLAINT_ACTIONS) | creating == set(Action)
    assert creating == {Action.submit, Action.log}
    assert set(PEOPLE.values()) == {Role.reception, Role.leadership, Role.admin, Role.head}
    # Each decided target has its cases here.
    assert {c.action.value for c in VARIANT_CASES} == DECIDED


def test_every_allowed_cell_and_every_refusal_occurs():
    """The matrix is not vacuous: each staff action is allowed somewhere and refused somewhere."""
    for action in (c.action for c in CASES):
        cells = [table_allows(action, role, state, CARDIOLOGY, CARDIOLOGY, contributes=True)
                 for state in State for role in PEOPLE.values()]
        assert any(cells) and not all(cells), action


def test_factories_reach_every_state_with_the_department_the_matrix_expects(world):
    """The one test of the factories themselves: every other test builds its complaints with them."""
    for state in State:
        complaint = factories.make_complaint(world, state)
        db.session.expire_all()
        assert db.session.get(Complaint, complaint.id).state == state
        expected = world.cardiology.id if state in _STATES_WITH_CARDIOLOGY else None
        assert complaint.department_id == expected, state
    # One each, and the open original the duplicate was linked to.
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == len(State) + 1
