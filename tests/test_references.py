"""References: TS-YYYY-NNNNNN, sequential and unique per year, also under concurrent submissions."""

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from intranet.complaints import registration
from intranet.complaints.models import Complaint, ReferenceCounter
from intranet.core.extensions import db
from intranet.core.time import clock_at, local, utcnow
from tests import factories

REFERENCE = re.compile(r"^TS-(\d{4})-(\d{6})$")
POSTGRES = bool(os.environ.get("DATABASE_URL"))
THREADS = 8
EACH = 10


def submit(**overrides) -> Complaint:
    complaint = registration.create(None, factories.public_complaint_data(**overrides)).complaint
    db.session.commit()
    return complaint


def number(reference: str) -> int:
    return int(REFERENCE.match(reference).group(2))


def test_reference_format_and_sequence(app_ctx):
    year = local(utcnow()).year
    references = [submit().reference for _ in range(5)]
    for reference in references:
        match = REFERENCE.match(reference)
        assert match, reference
        assert int(match.group(1)) == year
    assert [number(r) for r in references] == [1, 2, 3, 4, 5]
    assert len(set(references)) == 5
    counter = db.session.get(ReferenceCounter, year)
    assert counter.last_number == 5


def test_staff_and_public_share_one_sequence(world):
    first = submit().reference
    logged = registration.create(world.reception, {**factories.public_complaint_data(), "channel": "phone"})
    db.session.commit()
    third = submit().reference
    assert [number(first), number(logged.complaint.reference), number(third)] == [1, 2, 3]


def test_counter_row_per_year(app_ctx):
    def at(year, month=6):
        return clock_at(datetime(year, month, 1, 4, tzinfo=UTC))

    with at(2025):
        a = submit().reference
        b = submit().reference
    with at(2026):
        c = submit().reference
    with at(2025, 7):  # a late-logged one for last year keeps last year's sequence going
        d = submit().reference
    assert (a, b, c, d) == ("TS-2025-000001", "TS-2025-000002", "TS-2026-000001", "TS-2025-000003")
    counters = {row.year: row.last_number for row in db.session.scalars(select(ReferenceCounter))}
    assert counters == {2025: 3, 2026: 1}


def test_year_is_the_hospitals_year(app_ctx):
    """Just after midnight on 1 January in Shanghai it is still 31 December in UTC."""
    with clock_at(datetime(2025, 12, 31, 16, 30, tzinfo=UTC)):  # 00:30 on 1 Jan 2026, UTC+8
        assert submit().reference == "TS-2026-000001"
    with clock_at(datetime(2025, 12, 31, 15, 30, tzinfo=UTC)):  # 23:30 on 31 Dec 2025
        assert submit().reference == "TS-2025-000001"


def test_nothing_is_consumed_by_a_rolled_back_submission(app_ctx):
    first = submit().reference
    registration.create(None, factories.public_complaint_data())
    db.session.rollback()  # the submission failed after taking a number
    assert number(submit().reference) == number(first) + 1


def concurrent_submissions(app, threads=THREADS, each=EACH) -> tuple[list[str], list[BaseException]]:
    """`threads` workers, each with its own app context, session and connection, submitting at once."""
    start = threading.Barrier(threads)

    def worker(n: int) -> list[str]:
        references = []
        with app.app_context():
            start.wait()
            for i in range(each):
                result = registration.create(None, factories.public_complaint_data(
                    what_happened=f"Worker {n}, complaint {i}"))
                reference = result.complaint.reference
                db.session.commit()
                references.append(reference)
        return references

    references, errors = [], []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(worker, n) for n in range(threads)]:
            try:
                references.extend(future.result(timeout=120))
            except BaseException as error:  # noqa: BLE001 - reported below, with the others
                errors.append(error)
    return references, errors


def assert_unique_and_consecutive(references: list[str], total: int):
    assert len(references) == total
    assert len(set(references)) == total
    assert sorted(number(r) for r in references) == list(range(1, total + 1))
    db.session.expire_all()
    stored = db.session.scalars(select(Complaint.reference)).all()
    assert sorted(stored) == sorted(references)
    year = local(utcnow()).year
    assert db.session.get(ReferenceCounter, year).last_number == total


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")
def test_concurrent_submissions_on_postgresql(app_ctx):
    db.session.close()
    references, errors = concurrent_submissions(app_ctx)
    assert errors == []
    assert_unique_and_consecutive(references, THREADS * EACH)


@pytest.mark.skipif(POSTGRES, reason="the SQLite variant")
def test_concurrent_submissions_on_sqlite(app_ctx):
    """BEGIN IMMEDIATE makes writers queue for the lock instead of failing with 'database is locked'."""
    db.session.close()  # the test's own session must not hold the write lock
    references, errors = concurrent_submissions(app_ctx)
    assert errors == [], [repr(e) for e in errors]
    assert_unique_and_consecutive(references, THREADS * EACH)


def test_concurrent_submissions_through_the_public_form(app_ctx):
    """The same, end to end: parallel browsers posting /complain, each through its own request."""
    from intranet.core.extensions import limiter

    db.session.close()
    # Twenty submissions from one address: the rate limit (tested in test_public) would refuse most.
    limiter.enabled = False
    threads, each = 4, 5
    start = threading.Barrier(threads)

    def browser(n: int) -> list[str]:
        # A plain client: this thread has no app context, so each request gets its own (and its own
        # session), as in production.
        client = FlaskClient(app_ctx, app_ctx.response_class, use_cookies=True)
        references = []
        start.wait()
        for i in range(each):
            html = client.get("/complain").get_data(as_text=True)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
            response = client.post("/complain", data={
                "csrf_token": token, "what_happened": f"Browser {n}, complaint {i}",
                "complainant_phone": "13800138000"})
            assert response.status_code == 302, response.get_data(as_text=True)
            with client.session_transaction() as session:
                references.append(session["submitted"]["reference"])
        return references

    results, errors = [], []
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for future in [pool.submit(browser, n) for n in range(threads)]:
                try:
                    results.extend(future.result(timeout=120))
                except BaseException as error:  # noqa: BLE001
                    errors.append(error)
    finally:
        limiter.enabled = True
    assert errors == [], [repr(e) for e in errors]
    assert_unique_and_consecutive(results, threads * each)
