"""One worker for every periodic job (`flask --app wsgi worker`): the outbox relay and the SLA sweep, each on its
own interval, in one supervised process; several workers at once share the jobs out, each job done by one
worker at a time, which holds it by a lease it renews at every pass."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intranet.core import jobs
from intranet.core.extensions import db
from intranet.core.jobs import JobLease
from intranet.core.time import clock_at, utcnow
from intranet.notifications.models import OutboxMessage
from tests.smtp import SMTPServer

ROOT = Path(__file__).resolve().parent.parent
MINUTE = timedelta(seconds=60)


def test_the_declared_jobs_are_the_relay_and_the_sweep(app):
    assert {name: job.every for name, job in jobs.declared(app).items()} == {"relay": 5.0, "sweep": 300.0}


def test_a_job_is_held_by_one_worker_until_its_lease_runs_out_or_is_let_go(app_ctx):
    now = utcnow()
    seen = []
    seen.append(("a takes it", jobs.take("sweep", "a", MINUTE)))
    seen.append(("b tries", jobs.take("sweep", "b", MINUTE)))
    seen.append(("a renews", jobs.take("sweep", "a", MINUTE)))
    with clock_at(now + timedelta(seconds=59)):
        seen.append(("b tries before a's lease runs out", jobs.take("sweep", "b", MINUTE)))
    with clock_at(now + timedelta(seconds=61)):
        seen.append(("b tries after a's lease ran out (a died)", jobs.take("sweep", "b", MINUTE)))
        seen.append(("a comes back", jobs.take("sweep", "a", MINUTE)))
        jobs.let_go("sweep", "b")
        seen.append(("a tries once b let go", jobs.take("sweep", "a", MINUTE)))
        seen.append(("another job is b's to take", jobs.take("relay", "b", MINUTE)))
    assert seen == [
        ("a takes it", True),
        ("b tries", False),
        ("a renews", True),
        ("b tries before a's lease runs out", False),
        ("b tries after a's lease ran out (a died)", True),
        ("a comes back", False),
        ("a tries once b let go", True),
        ("another job is b's to take", True),
    ]
    assert {r.name: r.holder for r in db.session.scalars(select(JobLease))} == {"sweep": "a", "relay": "b"}


def test_a_job_is_held_longer_than_its_pass_and_wait():
    assert jobs.Job("relay", 5.0, lambda stop: False).lease == timedelta(seconds=60)
    assert jobs.Job("sweep", 300.0, lambda stop: False).lease == timedelta(seconds=900)


@pytest.mark.parametrize(("args", "says"), [
    (["--job", "mailbox"], "no job mailbox; the jobs are relay, sweep"),
    (["--every", "relay"], "'relay': write NAME=SECONDS"),
    (["--every", "relay=0"], "'relay=0': the seconds must be more than 0"),
    (["--every", "nightly=5"], "no job 'nightly'; the jobs are relay, sweep"),
])
def test_a_wrong_option_is_refused_with_what_there_is(app, args, says):
    result = app.test_cli_runner().invoke(args=["worker", *args])
    assert result.exit_code == 2
    assert says in result.output


def _worker(database_url: str, smtp_port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "REDRESS_ENV": "testing", "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(smtp_port), "MAIL_USE_TLS": "0", "MAIL_USE_SSL": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--every", "relay=0.2", "--every", "sweep=0.2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_workers_at_once_do_each_job_in_one_of_them_and_send_each_email_once(app_ctx, database_url):
    now = utcnow()
    db.session.execute(OutboxMessage.__table__.insert(), [
        dict(key=f"worker:{i}", kind="acknowledged", channel="email", recipient=f"p{i}@example.org",
             language="en", subject=f"Message {i}", body="Hello", status="pending", attempts=0,
             next_attempt_at=now, created_at=now)
        for i in range(30)])
    db.session.commit()
    smtp = SMTPServer().start()
    workers = [_worker(database_url, smtp.port), _worker(database_url, smtp.port)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            left = db.session.scalar(select(func.count()).where(OutboxMessage.status != "sent"))
            db.session.rollback()  # hold no lock while waiting: the workers need it
            if not left:
                break
            time.sleep(0.2)
        time.sleep(1.0)  # more passes, in both workers, that find nothing
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        smtp.stop()
    errs = [err for _out, err in outputs]
    assert [w.returncode for w in workers] == [0, 0], errs
    assert left == 0
    ids = smtp.recorder.message_ids()
    assert (len(ids), len(set(ids))) == (30, 30)
    for job in ("relay", "sweep"):
        takers = [n for n, err in enumerate(errs) if f"{job}: taken by worker" in err]
        assert len(takers) == 1, errs
    # Both stopped properly and let go: a worker started now would take each job at once.
    assert {r.name: r.holder for r in db.session.scalars(select(JobLease))} == {"relay": "", "sweep": ""}
