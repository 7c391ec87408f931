"""Completeness: every action spec and every state has all its parts, so that a missing one fails here and
not on a patient's tracking page or a head's timeline.

For each action: who and from where, a form (for actions on a complaint), what it does, an example that
its own form accepts and that, done for real, writes only fields the timeline knows how to show; notices
of kinds that exist; requirements on actions that say when they are done. For each state: a label for
staff and plain words for the complainant. And the planner finds a path to every state.
"""

import pytest
from werkzeug.datastructures import MultiDict

from intranet.complaints import lifecycle, operations
from intranet.complaints.forms import ActionForm
from intranet.complaints.lifecycle import COMPLAINT_ACTIONS, SPECS, Action, State
from intranet.complaints.spec import Decider
from intranet.complaints.states import STATES
from intranet.complaints.timeline import shown
from intranet.core.extensions import db
from intranet.core.roles import Role
from intranet.notifications.kinds import KINDS
from tests import factories

ACTIONS = [pytest.param(action, id=action.value) for action in Action]
ON_A_COMPLAINT = [pytest.param(action, id=action.value) for action in COMPLAINT_ACTIONS]
SENT_BY_THE_SWEEP = {"due_tomorrow"}
SENT_ABOUT_AN_ACCOUNT = {"password_guesses"}  # no complaint's: auth/lockout.py
SENT_WHEN_THE_GLASS_IS_BROKEN = {"break_glass"}  # an administrator opening a complaint: no step of its own


@pytest.mark.parametrize("action", ACTIONS)
def test_every_spec_says_who_from_where_and_to_where(action):
    spec = SPECS[action]
    assert spec.name == action.value
    assert str(spec.label).strip()
    assert spec.records.strip()
    assert spec.roles and spec.roles <= set(Role)
    if spec.creates:
        assert isinstance(spec.target, State), "a creating action puts the complaint in one state"
    else:
        assert spec.sources and spec.sources <= set(State)
    if isinstance(spec.target, Decider):
        assert spec.target.outcomes and spec.target.outcomes <= set(State)
        assert set(spec.target.leads_to) <= spec.target.outcomes
    else:
        assert spec.target is None or isinstance(spec.target, State)


@pytest.mark.parametrize("action", ON_A_COMPLAINT)
def test_every_action_on_a_complaint_has_a_form_and_does_something(action):
    spec = SPECS[action]
    # Staff's form on the complaint page; the complainant's own actions have theirs on /track.
    if spec.form is None:
        assert spec.roles == {Role.public} and spec.public_form is not None
    else:
        assert isinstance(spec.form, type) and issubclass(spec.form, ActionForm)
    if spec.public_form is not None:
        assert Role.public in spec.roles and callable(spec.public_thanks)
        assert str(spec.public_form.submit_label).strip()
    assert callable(spec.apply)
    for requirement in spec.requires:
        required = SPECS[Action(requirement.action)]
        assert callable(required.done), f"{requirement.action} cannot say whether it is done"
        assert hasattr(spec.form or spec.public_form, requirement.field), "the refusal is shown beside a field"
        assert str(requirement.message).strip()
    assert spec.primary is False or spec.done is not None or spec.target is not None


@pytest.mark.parametrize("action", ON_A_COMPLAINT)
def test_the_example_passes_its_own_form_and_writes_only_what_the_timeline_shows(app, world, action):
    state, person = factories.HAPPY_PATH[action]
    complaint = factories.prepare_for(world, action, state)
    spec = SPECS[action]

    if spec.form is not None:
        posted = {f"{action.value}-{k}": v for k, v in factories.form_data(action, world, complaint).items()}
        posted[f"{action.value}-version"] = str(complaint.version)
        make = lambda: spec.form(prefix=action.value, meta={"csrf": False})  # noqa: E731
    else:  # the complainant's form on /track, unprefixed
        posted = factories.form_data(action, world, complaint)
        make = lambda: spec.public_form(meta={"csrf": False})  # noqa: E731
    with app.test_request_context(method="POST", data=MultiDict(posted)):
        form = make()
        assert form.validate(), form.errors
        data = form.action_data()

    result = operations.perform(factories.actor(world, person), action, complaint, data, complaint.version)
    db.session.commit()
    assert result.event.action == action.value
    for key in result.event.data:
        shown(action.value, key)  # KeyError: a field of the event nobody said how to show
    if spec.public is not None:
        entry = spec.public.entry(action.value, result.event)
        assert entry is None or (entry.heading.strip() and entry.text.strip())


def test_every_notification_kind_is_sent_by_some_action_the_sweep_or_the_login():
    sent = {notice.kind.name for spec in SPECS.values() for notice in spec.notices}
    assert sent <= set(KINDS)
    assert sent | SENT_BY_THE_SWEEP | SENT_ABOUT_AN_ACCOUNT | SENT_WHEN_THE_GLASS_IS_BROKEN == set(KINDS)


@pytest.mark.parametrize("state", list(State), ids=[s.value for s in State])
def test_every_state_has_words_for_staff_and_for_the_complainant(state):
    spec = STATES[state]
    assert str(spec.label).strip()
    assert str(spec.public_text).strip()
    assert spec.open or not spec.with_department, "a closed complaint is nobody's work"


@pytest.mark.parametrize("state", list(State), ids=[s.value for s in State])
def test_the_planner_finds_a_path_to_every_state(state):
    """Driven for real by the factories (test_lifecycle_matrix), with a person of each step's role."""
    path = lifecycle.path_to(state)
    assert (path == []) == (state == State.submitted)
    for step in path:
        assert step.role in SPECS[step.action].roles
