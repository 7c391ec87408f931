"""No query per row: the number of SQL statements behind a queue page or a complaint page does not grow with
the rows or timeline events it shows."""

import re
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from intranet.complaints import operations, registration
from intranet.complaints.lifecycle import Action, State
from intranet.core import hospital
from intranet.core.departments import Category, Department
from intranet.core.extensions import db
from intranet.core.time import today
from intranet.reports.periods import Period
from tests import factories
from tests.conftest import POSTGRES


@contextmanager
def counting_statements():
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def statements_for(app, user_id_cookie: str, url: str, headers=None) -> tuple[list[str], str]:
    """GET `url` as a fresh request would run in production: its own app context, session and `g`."""
    db.session.commit()  # nothing of the test's own work left open (SQLite would keep an old snapshot)
    # Each request counted reads the hospital's details as a worker does every KEPT_FOR seconds, so that two
    # requests compared count the same statements whichever came first.
    hospital.forget()
    with app.app_context():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id_cookie
            session["_fresh"] = True
            session["since"] = session["seen"] = time.time()
        with counting_statements() as statements:
            response = client.get(url, headers=headers or {})
        assert response.status_code == 200, response.status_code
        return list(statements), response.get_data(as_text=True)


def spread_complaints(world, n: int, start: int = 0):
    """`n` complaints in a mix of states, each with its own department and category, so that a lazy load
    per row cannot hide behind the session's identity map."""
    for i in range(start, start + n):
        department = Department(code=f"D{i:03d}", name_zh=f"科室{i}", name_en=f"Department {i}")
        category = Category(code=f"C{i:03d}", name_zh=f"类别{i}", name_en=f"Category {i}")
        db.session.add_all([department, category])
        db.session.flush()
        complaint = registration.create(None, factories.public_complaint_data(what_happened=f"Complaint {i}")).complaint
        db.session.commit()
        if i % 3 == 0:
            continue  # submitted: no category, no department
        operations.perform(world.reception, Action.triage, complaint,
                           {"category_id": category.id, "severity": "major" if i % 5 == 0 else "minor",
                            "complexity": "simple"}, complaint.version)
        if i % 3 == 2:
            operations.perform(world.reception, Action.assign, complaint, {"department_id": department.id},
                               complaint.version)
        if i % 4 == 0:
            operations.perform(world.reception, Action.escalate, complaint, {"reason": "Rang again."},
                               complaint.version)
        db.session.commit()


def cardiology_complaints(world, n: int):
    states = [State.assigned, State.investigating, State.signed_off, State.responded, State.closed]
    for i in range(n):
        factories.make_complaint(world, states[i % len(states)])


def rows(html: str) -> int:
    return html.count('<tr id="row-')


@pytest.mark.parametrize("role_key, queue", [("reception", "open"), ("leadership", "all"), ("head", "history")])
def test_queue_page_queries_do_not_grow_with_rows(app_ctx, world, role_key, queue):
    user = world.user(role_key)
    cookie = user.get_id()
    make = cardiology_complaints if role_key == "head" else spread_complaints

    make(world, 3)
    few, html = statements_for(app_ctx, cookie, f"/queue?q={queue}")
    assert rows(html) == 3
    if role_key == "head":
        make(world, 27)
    else:
        make(world, 27, start=3)
    many, html = statements_for(app_ctx, cookie, f"/queue?q={queue}")
    assert rows(html) == 30
    assert len(many) == len(few), "\n".join(many)

    # The badge counts htmx refreshes, likewise.
    counts, html = statements_for(app_ctx, cookie, f"/queue?q={queue}",
                                  headers={"HX-Request": "true", "HX-Target": "queue-counts"})
    assert "<html" not in html and 'id="queue-counts"' in html
    assert len([s for s in counts if s.lstrip().upper().startswith("SELECT")]) <= 2  # the user, the counts


def test_search_queries_do_not_grow_with_results(app_ctx, world):
    cookie = world.reception.get_id()
    spread_complaints(world, 3)
    few, html = statements_for(app_ctx, cookie, "/search?q=Complaint")
    assert html.split('id="search-results"')[1].count('<tr id="row-') == 3
    spread_complaints(world, 27, start=3)
    many, html = statements_for(app_ctx, cookie, "/search?q=Complaint")
    assert html.split('id="search-results"')[1].count('<tr id="row-') == 30
    assert len(many) == len(few), "\n".join(many)


def add_notes_by_different_people(world, complaint, n: int):
    for i in range(n):
        author = factories.make_user(f"lead-{i}", "leadership")
        db.session.commit()
        operations.perform(author, Action.note, complaint, {"text": f"Note {i}"}, complaint.version)
        db.session.commit()


@pytest.mark.parametrize("role_key, state", [("reception", State.registered), ("head", State.investigating),
                                             ("leadership", State.investigating)])
def test_complaint_page_queries_do_not_grow_with_events(app_ctx, world, role_key, state):
    complaint = factories.make_complaint(world, state)
    # Start from exactly two events (submit and one more), then add eight more by eight different people.
    already = len(complaint.events)
    cookie = world.user(role_key).get_id()
    reference = complaint.reference
    if already < 2:
        add_notes_by_different_people(world, complaint, 2 - already)
    few, html = statements_for(app_ctx, cookie, f"/complaints/{reference}")
    few_events = html.count('<li class="event ')
    add_notes_by_different_people(world, complaint, 8)
    many, html = statements_for(app_ctx, cookie, f"/complaints/{reference}")
    assert html.count('<li class="event ') == few_events + 8
    assert len(many) == len(few), "\n".join(many)

    # The card fragment htmx swaps in place.
    fragment, html = statements_for(app_ctx, cookie, f"/complaints/{reference}",
                                    headers={"HX-Request": "true", "HX-Target": "complaint"})
    assert "<html" not in html
    assert len(fragment) <= len(many)


def test_complaint_page_with_two_versus_ten_events(app_ctx, world):
    """Exactly the brief's numbers: 2 events, then 10."""
    complaint = factories.make_complaint(world, State.registered)  # submit, triage
    reference, cookie = complaint.reference, world.reception.get_id()
    two, html = statements_for(app_ctx, cookie, f"/complaints/{reference}")
    assert html.count('<li class="event ') == 2
    add_notes_by_different_people(world, complaint, 8)
    ten, html = statements_for(app_ctx, cookie, f"/complaints/{reference}")
    assert html.count('<li class="event ') == 10
    assert len(ten) == len(two), "\n".join(ten)


# --- a thousand complaints and ten thousand ----------------------------------------------------------------

# Ten complaints repeating: (state, department, sent back, escalated, major). Nothing acknowledged yet, every
# deadline ahead, so that each queue's count is written out below.
PATTERN = [
    (State.submitted, None, False, False, False),
    (State.registered, None, True, False, False),
    (State.registered, None, False, False, False),
    (State.assigned, "cardiology", False, False, False),
    (State.investigating, "cardiology", False, True, False),
    (State.awaiting_approval, "cardiology", False, False, True),
    (State.signed_off, "cardiology", False, False, False),
    (State.responded, "cardiology", False, False, False),
    (State.closed, "cardiology", False, False, False),
    (State.closed, "nursing", False, False, False),
]

COUNTS_PER_THOUSAND = {
    "reception": {"new": 100, "acknowledge": 800, "sent_back": 100, "to_tell": 100, "follow_up": 100, "report_back": 0,
                  "open": 800},
    "head": {"new": 100, "investigating": 200, "overdue": 0, "contribution_due": 0, "history": 600},
    "leadership": {"escalated": 100, "approval": 100, "overdue": 0, "major": 100, "all": 1000},
    "admin": {"open": 0, "all": 0},  # no complaint before a break-glass opening
}


def bulk_complaints(world, n: int, start: int = 0) -> None:
    """`n` complaints written straight into the table, as the benchmark seeds them (operations would take
    minutes for ten thousand); the timeline is not needed by the queues."""
    from datetime import timedelta

    from intranet.complaints.models import Complaint
    from intranet.core.time import today, utcnow

    now, day = utcnow(), today()
    rows = []
    for i in range(start, start + n):
        state, department, sent_back, escalated, major = PATTERN[i % len(PATTERN)]
        moved_on = state not in (State.submitted, State.registered)
        rows.append(dict(
            reference=f"TS-2001-{i:06d}", status=state.value, version=1, channel="online",
            received_at=now - timedelta(minutes=i), anonymous=False, confidential=False, wants_written_reply=False,
            language="zh", what_happened=f"投诉 {i}", severity="major" if major else "minor", complexity="simple",
            department_id=getattr(world, department).id if department else None,
            category_id=world.category.id if state != State.submitted else None,
            sent_back_at=now if sent_back else None, escalation_level=1 if escalated else 0,
            acknowledge_due_on=day + timedelta(days=2), response_due_on=day + timedelta(days=20),
            follow_up_due_on=day + timedelta(days=5) if state == State.responded else None,
            signed_off_at=now if moved_on and state not in (State.assigned, State.investigating) else None,
            responded_at=now if state in (State.responded, State.closed) else None,
            closed_at=now if state == State.closed else None, reopened_count=0))
    db.session.execute(Complaint.__table__.insert(), rows)
    db.session.commit()


def badge_counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-queue="([a-z_]+)">([^<]*)</span>', html))


@pytest.mark.parametrize("role_key", ["reception", "head", "leadership", "admin"])
def test_every_queue_page_and_count_runs_the_same_statements_for_1000_and_10000_complaints(app_ctx, world,
                                                                                            role_key):
    cookie = world.user(role_key).get_id()
    queues = list(COUNTS_PER_THOUSAND[role_key])

    bulk_complaints(world, 1000)
    thousand = {}
    for queue in queues:
        thousand[queue], html = statements_for(app_ctx, cookie, f"/queue?q={queue}")
        expected = COUNTS_PER_THOUSAND[role_key][queue]
        assert rows(html) == min(expected, 50), queue
    counted, html = statements_for(app_ctx, cookie, "/queue", headers={"HX-Request": "true",
                                                                     "HX-Target": "queue-counts"})
    assert badge_counts(html) == {q: str(n) for q, n in COUNTS_PER_THOUSAND[role_key].items()}

    bulk_complaints(world, 9000, start=1000)
    for queue in queues:
        statements, html = statements_for(app_ctx, cookie, f"/queue?q={queue}")
        assert len(statements) == len(thousand[queue]), f"{queue}:\n" + "\n".join(statements)
    statements, html = statements_for(app_ctx, cookie, "/queue", headers={"HX-Request": "true",
                                                                        "HX-Target": "queue-counts"})
    assert len(statements) == len(counted), "\n".join(statements)
    assert badge_counts(html) == {q: str(n * 10) for q, n in COUNTS_PER_THOUSAND[role_key].items()}


@pytest.mark.parametrize("role_key, queue, beyond", [("leadership", "all", 1),
                                                    ("head", "history", 7)])
def test_history_counts_stop_at_ten_thousand(app_ctx, world, role_key, queue, beyond):
    """Counting a whole history would read every complaint ever received: past 10,000 the badge says so."""
    cookie = world.user(role_key).get_id()
    # 16,670 complaints: 10,002 for the hospital beyond 10,000 … and 10,002 of cardiology's (6 in 10).
    bulk_complaints(world, 16670)
    _, html = statements_for(app_ctx, cookie, f"/queue?q={queue}")
    assert badge_counts(html)[queue] == "10,000+"


def test_a_repeat_complainants_page_runs_the_same_statements_for_1000_and_10000_of_their_complaints(app_ctx,
                                                                                                   world):
    """A heavy repeat complainant: every complaint from one phone and one e-mail. The page of the newest, to
    triage, runs the same statements with a thousand earlier ones as with ten thousand, and counts them."""
    from intranet.complaints import search
    from intranet.complaints.models import Complaint

    def from_one_complainant(n: int, start: int) -> None:
        bulk_complaints(world, n, start=start)
        db.session.execute(Complaint.__table__.update().values(
            complainant_name="王女士", complainant_phone="13800138000", complainant_email="john.smith@example.com",
            complainant_relation="patient"))
        search.rebuild()
        db.session.commit()

    cookie = world.reception.get_id()
    counted = {}
    for n, start in ((1000, 0), (9000, 1000)):
        from_one_complainant(n, start)
        newest = factories.make_complaint(world, State.submitted, complainant_phone="138 0013 8000",
                                          complainant_email="john.smith@example.com")
        counted[start + n], html = statements_for(app_ctx, cookie, f"/complaints/{newest.reference}?lang=en")
        # Every one of them earlier, and the one of the thousand's page as well.
        assert f"Earlier complaints from this phone: {start + n + (1 if start else 0)}" in html
    assert len(counted[10000]) == len(counted[1000]), "\n".join(counted[10000])


def test_the_monthly_analysis_runs_the_same_statements_whatever_the_months_complaints(app_ctx, world):
    """An open month's analysis works its figures out in grouped statements (every KPI of the periods
    compared, the tables and the trend in two): as many for 3 complaints as for 30, each with a department
    and a category of its own, some escalated, some triaged major, all from one phone."""
    cookie = world.user("leadership").get_id()
    url = f"/reports/monthly/{Period.month_of(today()).slug}"
    statements_for(app_ctx, cookie, url)  # the hospital's details, read once a process
    spread_complaints(world, 3)
    few, html = statements_for(app_ctx, cookie, url)
    spread_complaints(world, 27, start=3)
    many, html = statements_for(app_ctx, cookie, url)
    assert "科室29" in html or "Department 29" in html  # a row of the tables by department
    # SQLite's driver sends its BEGIN as a statement, psycopg does not; PostgreSQL is told once not to JIT; the
    # hospital's details are read (statements_for starts each request without them kept); the bell is counted
    # in the statement that loads the user.
    few, many = ([s for s in statements if s != "BEGIN"] for statements in (few, many))
    expected = 32 if db.engine.dialect.name == "postgresql" else 31
    assert (len(few), len(many)) == (expected, expected), "\n".join(many)


# --- the plans: a queue that holds closed complaints too reads only its own -------------------------------


def plan_of(statement: str, parameters) -> list[str]:
    """The plan each database gives `statement`, a line a step."""
    cursor = db.session.connection().connection.cursor()
    if db.engine.dialect.name == "sqlite":
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return [row[-1] for row in cursor.fetchall()]
    # A thousand complaints are read cheaper by a scan of the table than through any index: forbidding the
    # scan leaves the indexes to choose from, and the plan shows which the statement's clauses allow.
    cursor.execute("SET LOCAL enable_seqscan = off")
    cursor.execute("EXPLAIN " + statement, parameters)
    return [row[0] for row in cursor.fetchall()]


def test_referrals_to_report_back_and_their_badge_are_read_from_their_own_index(app_ctx, world):
    """Closed complaints are nearly the whole history: "Referrals to report back" and its badge read the
    partial index of the referrals still owed (ix_complaints_to_report_back), not every closed complaint by
    the index on status, on both databases."""
    from sqlalchemy import update

    from intranet.complaints.models import Complaint
    from intranet.core.departments import ReferringBody

    bulk_complaints(world, 1000)  # 100 responded, 200 closed
    body = db.session.scalar(select(ReferringBody.id).where(ReferringBody.code == "12345"))
    # Three referrals owed (two closed, one responded), one reported back, one still open: of those, three listed.
    owed = ["TS-2001-000008", "TS-2001-000009", "TS-2001-000007"]
    db.session.execute(update(Complaint).where(Complaint.reference.in_([*owed, "TS-2001-000018", "TS-2001-000013"]))
                       .values(referral_body_id=body))
    db.session.execute(update(Complaint).where(Complaint.reference == "TS-2001-000018").values(
        reported_back_at=Complaint.closed_at, reported_back_on=today(), report_back_method="platform",
        report_back_text="已反馈。"))
    db.session.commit()

    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        _, html = statements_for(app_ctx, world.reception.get_id(), "/queue?q=report_back")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert sorted(re.findall(r'<tr id="row-([A-Z0-9-]+)"', html)) == sorted(owed)
    assert badge_counts(html)["report_back"] == "3"

    reading = [(s, p) for s, p in statements if "reported_back_at IS NULL" in s]
    assert len(reading) == 2, reading  # the badge counts, the page's rows
    for statement, parameters in reading:
        plan = plan_of(statement, parameters)
        assert any("ix_complaints_to_report_back" in step for step in plan), plan
        assert not any("ix_complaints_status " in step for step in plan), plan
        db.session.rollback()


@pytest.mark.skipif(not POSTGRES, reason="how PostgreSQL plans a statement")
def test_a_search_is_planned_for_its_own_words_without_jit_or_parallel_workers(app_ctx, world):
    """The search page sets how its statements are planned for its transaction (search.plain_plans()): each
    for its own words, never a generic plan psycopg's prepared statement would keep after five runs (one that
    walks the whole index table), no JIT, no parallel workers. A page in autocommit would lose them with the
    statement that set them, so its lookups are checked as they run, search after search."""
    spread_complaints(world, 3)
    seen: list[tuple[str, str, str]] = []

    def settings(conn, cursor, statement, parameters, context, executemany):
        if "complaint_search" in statement:
            other = conn.connection.cursor()
            other.execute("SELECT current_setting('plan_cache_mode'), current_setting('jit'), "
                          "current_setting('max_parallel_workers_per_gather')")
            seen.append(other.fetchone())
            other.close()

    event.listen(db.engine, "before_cursor_execute", settings)
    try:
        for query in ["Complaint", "Complaint 1", "Complaint 2"] * 3:
            statements_for(app_ctx, world.reception.get_id(), f"/search?q={query}")
    finally:
        event.remove(db.engine, "before_cursor_execute", settings)
    assert len(seen) >= 9
    assert set(seen) == {("force_custom_plan", "off", "0")}
