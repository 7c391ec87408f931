"""The whole record is sealed: the facts a complaint's page, the reports and the archive record show (its
finding, severity, category, department, the signed answer, what the complainant was told, the follow-up)
are vouched for by its timeline's chain. A column changed in the database without an event fails
`audit verify`, named by complaint and fact; the page tells leadership and the administrator; `audit seal`
refuses to seal a record that does not verify."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from intranet.complaints import audit, operations, sweep, tracking_codes
from intranet.complaints.audit import fact_digest
from intranet.complaints.lifecycle import COMPLAINT_ACTIONS, Action, State
from intranet.complaints.models import Complaint, ComplaintEvent
from intranet.core.departments import Category
from intranet.core.extensions import db
from intranet.core.time import clock_at
from tests import factories
from tests.conftest import PINNED, csrf_token, login
from tests.test_audit import edit_behind_the_apps_back
from tests.test_queue_queries import counting_statements


def edit_the_complaint(complaint: Complaint, column: str, value) -> None:
    """An UPDATE on the complaint's row, as anyone with write access to the table could run it."""
    complaint_id = complaint.id
    db.session.commit()
    with db.engine.begin() as connection:
        connection.execute(text(f"UPDATE complaints SET {column} = :value WHERE id = :id"),
                           {"value": value, "id": complaint_id})
    db.session.expire_all()


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def seal(app):
    return app.test_cli_runner().invoke(args=["audit", "seal"])


# --- every way the app changes a complaint leaves a record that verifies ---------------------------------


@pytest.mark.parametrize("state", list(State))
def test_a_complaint_brought_to_any_state_verifies(app_ctx, world, state):
    factories.make_complaint(world, state)
    result = verify(app_ctx)
    assert result.exit_code == 0, result.output
    assert "0 broken" in result.output


@pytest.mark.parametrize("action", COMPLAINT_ACTIONS)
def test_each_action_leaves_a_record_that_verifies(app_ctx, world, action):
    state, person = factories.HAPPY_PATH[action]
    complaint = factories.prepare_for(world, action, state)
    operations.perform(factories.actor(world, person), action, complaint,
                       factories.action_data(action, world, complaint), complaint.version)
    db.session.commit()
    result = verify(app_ctx)
    assert result.exit_code == 0, result.output


def test_a_printed_receipt_and_the_sla_sweep_leave_records_that_verify(app_ctx, world):
    complaint = factories.make_complaint(world, State.investigating)
    tracking_codes.reissue_tracking_code(world.reception, complaint, complaint.version, replace_held_code=True)
    db.session.commit()
    with clock_at(PINNED + timedelta(days=60)):
        assert sweep.sweep().escalated == [complaint.reference]
    result = verify(app_ctx)
    assert result.exit_code == 0, result.output


# --- a fact changed behind the app's back is named -------------------------------------------------------


def another_category(world) -> int:
    category = Category(code="WAIT", name_zh="候诊", name_en="Waiting")
    db.session.add(category)
    db.session.commit()
    return category.id


# (fact, state, the value written over it: given, or made from the world)
EDITS = [
    ("findings", State.signed_off, "Nothing went wrong."),
    ("responsibility", State.signed_off, "not_upheld"),
    ("severity", State.investigating, "serious"),
    ("category_id", State.investigating, another_category),
    ("department_id", State.investigating, lambda world: world.nursing.id),
    ("response_text", State.signed_off, "We did nothing wrong."),
    ("told_text", State.closed, "We did nothing wrong."),
    ("satisfied", State.closed, False),
]


def _edit(world, fact, state, value) -> Complaint:
    complaint = factories.make_complaint(world, state)
    edit_the_complaint(complaint, fact, value(world) if callable(value) else value)
    return complaint


@pytest.mark.parametrize(("fact", "state", "value"), EDITS, ids=[edit[0] for edit in EDITS])
def test_a_fact_edited_in_the_database_fails_verify_naming_the_complaint_and_the_fact(app_ctx, world, fact, state,
                                                                                    value):
    complaint = _edit(world, fact, state, value)
    result = verify(app_ctx)
    assert result.exit_code == 1
    assert (f"{complaint.reference}: {fact} is not what its timeline recorded: it was changed in the database "
            f"without an event") in result.output
    assert "1 complaints checked, 1 broken" in result.output


def test_an_action_after_the_edit_does_not_make_it_look_recorded(app_ctx, world):
    complaint = _edit(world, "responsibility", State.signed_off, "not_upheld")
    operations.perform(world.reception, Action.note, complaint, {"text": "Called the complainant."},
                       complaint.version)
    db.session.commit()
    result = verify(app_ctx)
    assert result.exit_code == 1 and f"{complaint.reference}: responsibility is not what" in result.output


def test_the_facts_recorded_with_an_event_are_hashed_with_it(app_ctx, world):
    """Rewriting the digest an event recorded, to match the edit, breaks the event's own hash."""
    complaint = _edit(world, "severity", State.investigating, "serious")
    triaged = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                             ComplaintEvent.action == "triage"))
    forged = {**triaged.facts, "severity": fact_digest("severity", "serious")}  # as a forger would write it
    # SQLite would read CAST(… AS JSON) as a number; it stores JSON as text.
    value = "CAST(:facts AS JSON)" if db.engine.dialect.name == "postgresql" else ":facts"
    edit_behind_the_apps_back(f"UPDATE complaint_events SET facts = {value} WHERE id = :id",
                              facts=json.dumps(forged), id=triaged.id)
    result = verify(app_ctx)
    assert result.exit_code == 1
    assert f"{complaint.reference}: event {triaged.id} (triage" in result.output
    assert "severity is not what" not in result.output


def without_the_timeline_triggers(*statements: tuple[str, dict]) -> None:
    """As the database owner would: every append-only trigger lifted, the statements run, the triggers back."""
    db.session.commit()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE complaint_events DISABLE TRIGGER complaint_events_append_only"))
            for sql, params in statements:
                connection.execute(text(sql), params)
            connection.execute(text("ALTER TABLE complaint_events ENABLE TRIGGER complaint_events_append_only"))
        else:
            triggers = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                               "AND tbl_name = 'complaint_events'")).all()
            for name, _sql in triggers:
                connection.execute(text(f"DROP TRIGGER {name}"))
            for sql, params in statements:
                connection.execute(text(sql), params)
            for _name, sql in triggers:
                connection.execute(text(sql))
    db.session.expire_all()


def _events_of(complaint) -> list[ComplaintEvent]:
    return list(db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                                   .order_by(ComplaintEvent.id)))


def test_a_removed_event_is_named_by_the_one_after_it(app_ctx, world):
    complaint = factories.make_complaint(world, State.signed_off)
    events = _events_of(complaint)
    removed, after = events[3], events[4]
    without_the_timeline_triggers(("DELETE FROM complaint_events WHERE id = :id", {"id": removed.id}))
    result = verify(app_ctx)
    assert result.exit_code == 1
    assert f"{complaint.reference}: event {after.id} ({after.action}" in result.output


def test_events_put_in_another_order_are_named(app_ctx, world):
    complaint = factories.make_complaint(world, State.signed_off)
    first, second = _events_of(complaint)[2:4]
    first_id, first_action, second_action = first.id, first.action, second.action  # assign, accept
    columns = ("actor_id", "at", "action", "from_state", "to_state", "data", "hash", "facts")
    swap = "UPDATE complaint_events SET " + ", ".join(
        f"{c} = (SELECT {c} FROM complaint_events WHERE id = :other)" for c in columns) + " WHERE id = :id"
    parked = 1_000_000  # the first row's content waits in a copy while the second's moves up
    copy = (f"INSERT INTO complaint_events (id, complaint_id, {', '.join(columns)}) "
            f"SELECT :parked, complaint_id, {', '.join(columns)} FROM complaint_events WHERE id = :id")
    without_the_timeline_triggers((copy, {"parked": parked, "id": first.id}),
                                  (swap, {"id": first.id, "other": second.id}),
                                  (swap, {"id": second.id, "other": parked}),
                                  ("DELETE FROM complaint_events WHERE id = :id", {"id": parked}))
    assert [e.action for e in _events_of(complaint)][2:4] == [second_action, first_action]
    result = verify(app_ctx)
    assert result.exit_code == 1
    assert f"{complaint.reference}: event {first_id} ({second_action}" in result.output


def test_a_complaint_whose_every_event_was_removed_is_named(app_ctx, world):
    complaint = factories.make_complaint(world, State.registered)
    without_the_timeline_triggers(("DELETE FROM complaint_events WHERE complaint_id = :id", {"id": complaint.id}))
    result = verify(app_ctx)
    assert result.exit_code == 1
    assert f"{complaint.reference}: the complaint has no timeline: its events were removed" in result.output


# --- the complaint page tells leadership and the administrator -------------------------------------------

WARNING = {"en": "This complaint's record does not verify", "zh": "本投诉的记录未通过校验"}
FACT_LINE = {"en": "Responsibility is not what the timeline recorded.", "zh": "责任认定与时间线记录的不一致。"}


@pytest.mark.parametrize(("who", "told"), [("leadership", True), ("admin", True), ("reception", False),
                                           ("head", False)])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_of_a_record_that_does_not_verify_says_so_to_leadership_and_admin(app_ctx, world, client, who,
                                                                                   told, lang):
    complaint = _edit(world, "responsibility", State.signed_off, "not_upheld")
    login(client, world.user(who))
    if who == "admin":
        client.post(f"/complaints/{complaint.reference}/break-glass", data={
            "csrf_token": csrf_token(client, "/"), "reason": "Leadership asked for the record to be checked."})
    for page in (f"/complaints/{complaint.reference}", f"/complaints/{complaint.reference}/record"):
        response = client.get(f"{page}?lang={lang}")
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert (WARNING[lang] in body) is told, page
        assert (FACT_LINE[lang] in body) is told, page


def test_a_sound_record_shows_no_warning(app_ctx, world, client):
    complaint = factories.make_complaint(world, State.closed)
    login(client, world.leadership)
    body = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "record does not verify" not in body


def test_the_page_names_an_edited_event(app_ctx, world, client):
    complaint = factories.make_complaint(world, State.signed_off)
    signed = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                            ComplaintEvent.action == "sign_off"))
    edit_behind_the_apps_back("UPDATE complaint_events SET actor_id = :someone WHERE id = :id",
                              someone=world.other_head.id, id=signed.id)
    login(client, world.leadership)
    body = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "The timeline was changed after it was written, from the step “Sign off the response” on." in body


def test_checking_the_record_on_its_page_reads_nothing_more(app_ctx, world):
    """The page checks the events, the answers, the letters, the people, the contributing departments, the
    remedies and the disputes it has loaded to show them: no statement, and so no other complaint."""
    factories.make_complaint(world, State.registered)
    complaint = factories.make_complaint(world, State.closed)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.scalars(select(Complaint).where(Complaint.id == complaint.id)
                                .options(selectinload(Complaint.events), selectinload(Complaint.answers),
                                         selectinload(Complaint.follow_ups), selectinload(Complaint.people),
                                         selectinload(Complaint.letters),
                                         selectinload(Complaint.contributions),
                                         selectinload(Complaint.remedies),
                                         selectinload(Complaint.disputes))).one()
    with counting_statements() as statements:
        assert audit.record_problems(loaded) == []
    assert statements == []


# --- the seal -----------------------------------------------------------------------------------------


def test_seal_refuses_a_chain_that_does_not_verify(app_ctx, world):
    complaint = factories.make_complaint(world, State.responded)
    respond = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                             ComplaintEvent.action == "respond"))
    edit_behind_the_apps_back("UPDATE complaint_events SET data = CAST(:data AS JSON) WHERE id = :id",
                              data='{"method": "phone", "told_text": "Something else."}', id=respond.id)
    result = seal(app_ctx)
    assert result.exit_code == 1
    assert f"{complaint.reference}: event {respond.id} (respond" in result.output
    assert "No seal: the record does not verify" in result.output
    assert "complaints: " not in result.output  # no digest printed


def test_seal_refuses_a_record_whose_facts_do_not_verify(app_ctx, world):
    complaint = _edit(world, "findings", State.signed_off, "Nothing went wrong.")
    result = seal(app_ctx)
    assert result.exit_code == 1
    assert f"{complaint.reference}: findings is not what its timeline recorded" in result.output
    assert "No seal: the record does not verify" in result.output


def test_seal_seals_a_sound_record(app_ctx, world):
    factories.make_complaint(world, State.closed)
    result = seal(app_ctx)
    assert result.exit_code == 0, result.output
    # The events chain the answers, follow-ups, letters, remedies and disputes as facts too.
    assert result.output == ("events up to 8, 1 complaints: "
                             "20c5a89b1d0fdacf0bbb000185241661771fa8e9463dfebf43ce8631b52c9b88\n")
