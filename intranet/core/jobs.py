"""The jobs that keep running beside the server (the outbox relay, the SLA sweep, and any later one): each
command alone (`outbox send --watch`, `sla sweep --every`), or all of them in one supervised process,
`flask --app wsgi worker`. Either runs one pass after another until SIGTERM or Ctrl-C, finishing the pass in
hand before leaving.

Several workers may run at once (one per server, or two on one for safety): each job is then done by one of
them only. A worker holds a job by a lease, a row of `job_leases` it renews at every pass; another worker
takes the job over when the lease runs out (its holder stopped or died) or is let go (its holder stopped
properly). A row's conditional UPDATE is the lock, so this works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import CheckConstraint, String, or_, update
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .time import UTCDateTime, utcnow

OnePass = Callable[[threading.Event], bool]  # does one pass; True when there may be more to do at once


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds between passes when a pass found nothing more to do
    one_pass: OnePass
    description: str = ""

    @property
    def lease(self) -> timedelta:
        """How long a worker holds the job between two passes: long enough never to lapse while its holder
        is alive (a pass and its wait), short enough that another worker takes over soon after it dies."""
        return timedelta(seconds=max(60.0, 3 * self.every))


def register(app: Flask, job: Job) -> None:
    """A domain declares its job when its commands are registered; `flask worker` runs every job declared."""
    app.extensions.setdefault("redress_jobs", {})[job.name] = job


def declared(app: Flask) -> dict[str, Job]:
    return dict(app.extensions.get("redress_jobs", {}))


class JobLease(db.Model):
    """Which worker does each job now, until when, and when it last did a pass."""

    __tablename__ = "job_leases"
    __table_args__ = (CheckConstraint("name <> ''", name="ck_job_leases_named"),)

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200), default="")
    held_until: Mapped[datetime] = mapped_column(UTCDateTime)
    last_pass_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _insert_ignoring_conflict():
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(JobLease).on_conflict_do_nothing(index_elements=["name"])


def take(name: str, holder: str, lease: timedelta) -> bool:
    """Hold (or keep holding) the job for `lease` from now: True when this holder may do its next pass."""
    now = utcnow()
    db.session.execute(_insert_ignoring_conflict().values(name=name, holder="", held_until=now))
    taken = db.session.execute(
        update(JobLease).where(JobLease.name == name, or_(JobLease.holder == holder, JobLease.holder == "",
                                                          JobLease.held_until < now))
        .values(holder=holder, held_until=now + lease)).rowcount == 1
    db.session.commit()
    return taken


def passed(name: str, holder: str) -> None:
    db.session.execute(update(JobLease).where(JobLease.name == name, JobLease.holder == holder)
                       .values(last_pass_at=utcnow()))
    db.session.commit()


def let_go(name: str, holder: str) -> None:
    """A worker stopping properly: another may take the job at once, not after the lease."""
    db.session.execute(update(JobLease).where(JobLease.name == name, JobLease.holder == holder)
                       .values(holder="", held_until=utcnow()))
    db.session.commit()


def stop_on_signal() -> threading.Event:
    stop = threading.Event()

    def request_stop(signum, _frame):
        # Finish the pass in hand, then leave: nothing claimed is left waiting for its lease to run out.
        click.echo(f"Stopping on signal {signum}…", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


def _a_pass(one_pass: OnePass, stop: threading.Event, what: str) -> bool:
    """One pass; a pass that fails (the database restarting, say) is reported and the next one tried: a job
    that stops on the first error leaves the hospital without notices or escalations."""
    try:
        return one_pass(stop)
    except Exception as error:  # noqa: BLE001 - keep running; the next pass retries
        db.session.rollback()
        click.echo(f"{what}: a pass failed: {error}", err=True)
        return False
    finally:
        db.session.remove()


def repeat(one_pass: OnePass, interval: float, what: str) -> None:
    """Run `one_pass(stop)` until a signal: at once again when it says there may be more to do, otherwise
    after `interval` seconds."""
    stop = stop_on_signal()
    click.echo(f"{what}: every {interval:g} s.", err=True)
    while not stop.is_set():
        if not _a_pass(one_pass, stop, what):
            stop.wait(interval)
    click.echo("Stopped.", err=True)


def _held_pass(job: Job, holder: str, stop: threading.Event) -> tuple[bool, bool]:
    """One pass of `job` if this worker holds it, the lease renewed first so that it never lapses mid-pass:
    (whether this worker holds the job, whether there may be more to do at once)."""
    held = False

    def guarded(inner_stop) -> bool:
        nonlocal held
        held = take(job.name, holder, job.lease)
        if not held:
            return False
        more = job.one_pass(inner_stop)
        passed(job.name, holder)
        return more

    more = _a_pass(guarded, stop, job.name)
    return held, more


def _run(app: Flask, job: Job, holder: str, stop: threading.Event) -> None:
    with app.app_context():
        was_held = False
        while not stop.is_set():
            held, more = _held_pass(job, holder, stop)
            if held != was_held:  # said once each time the job comes to this worker or goes elsewhere
                click.echo(f"{job.name}: {'taken by' if held else 'held elsewhere, not by'} worker {holder}",
                           err=True)
                was_held = held
            if not more:
                stop.wait(job.every)
        try:
            let_go(job.name, holder)
        except Exception as error:  # noqa: BLE001 - the lease then runs out on its own
            click.echo(f"{job.name}: could not let go of the job: {error}", err=True)
        finally:
            db.session.remove()


def _parse_every(values: tuple[str, ...], jobs: dict[str, Job]) -> dict[str, float]:
    every = {}
    for value in values:
        name, _, seconds = value.partition("=")
        if name not in jobs:
            raise click.BadParameter(f"no job {name!r}; the jobs are {', '.join(sorted(jobs))}", param_hint="--every")
        try:
            every[name] = float(seconds)
        except ValueError:
            raise click.BadParameter(f"{value!r}: write NAME=SECONDS", param_hint="--every") from None
        if every[name] <= 0:
            raise click.BadParameter(f"{value!r}: the seconds must be more than 0", param_hint="--every")
    return every


@click.command("worker")
@click.option("--job", "only", multiple=True, metavar="NAME", help="Run only this job (repeat for several).")
@click.option("--every", multiple=True, metavar="NAME=SECONDS", help="Another interval for one job.")
@with_appcontext
def worker(only, every):
    """Run every periodic job (the outbox relay, the SLA sweep…), each on its own interval, until SIGTERM or
    Ctrl-C. Several workers at once share the jobs out: each job is done by one worker at a time."""
    app = current_app._get_current_object()
    jobs = declared(app)
    unknown = set(only) - set(jobs)
    if unknown:
        raise click.BadParameter(f"no job {', '.join(sorted(unknown))}; the jobs are {', '.join(sorted(jobs))}",
                                 param_hint="--job")
    intervals = _parse_every(every, jobs)
    chosen = [Job(j.name, intervals.get(j.name, j.every), j.one_pass, j.description)
              for name, j in sorted(jobs.items()) if not only or name in only]
    holder = f"{socket.gethostname()}:{os.getpid()}"
    stop = stop_on_signal()
    threads: dict[str, threading.Thread] = {}

    def start(job: Job) -> None:
        threads[job.name] = threading.Thread(target=_run, args=(app, job, holder, stop), name=job.name, daemon=True)
        threads[job.name].start()

    for job in chosen:
        click.echo(f"{job.name}: every {job.every:g} s{f' ({job.description})' if job.description else ''}.",
                   err=True)
        start(job)
    # The supervisor: a job whose thread ended although nobody asked it to stop is started again.
    while not stop.wait(1.0):
        for job in chosen:
            if not threads[job.name].is_alive():
                click.echo(f"{job.name}: stopped unexpectedly; starting it again.", err=True)
                start(job)
    for thread in threads.values():
        thread.join(60)
    click.echo("Stopped.", err=True)


def register_cli(app: Flask) -> None:
    app.cli.add_command(worker)
