"""`flask --app wsgi outbox send [--watch]`, `outbox status`, `outbox retry`: the relay for operators."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from ..core.extensions import db
from ..core.jobs import Job, register, repeat
from . import relay
from .models import OutboxMessage, OutboxStatus


@click.group(cls=AppGroup)
def outbox():
    """Notifications waiting to be sent."""


@outbox.command("send")
@click.option("--watch", is_flag=True, help="Keep running: poll for new rows until SIGTERM or Ctrl-C.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls with --watch.")
@click.option("--batch", default=50, show_default=True, help="Rows claimed at a time.")
def send(watch, interval, batch):
    """Send what is due now (once, e.g. from cron), or keep sending with --watch."""
    if watch:
        _watch(interval, batch)
    else:
        _report(relay.send_pending(batch))


def _relay_pass(batch: int):
    def one_pass(stop) -> bool:
        result = relay.send_pending(batch, stop=stop)
        if result.handled:
            _report(result)
        return bool(result.handled)

    return one_pass


def _watch(interval: float, batch: int) -> None:
    repeat(_relay_pass(batch), interval, "Watching the outbox")


@outbox.command("status")
@click.option("--limit", default=20, show_default=True, help="Failed rows to list.")
def status(limit):
    """Counts by status, and the rows that failed for good (with their last error)."""
    for name, count in relay.counts().items():
        click.echo(f"{name}: {count}")
    failed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.failed.value)
        .order_by(OutboxMessage.id.desc()).limit(limit)
    ).all()
    for row in failed:
        click.echo(f"failed #{row.id} {row.kind} {row.channel} to {row.recipient} after {row.attempts} "
                   f"attempts: {row.last_error}")


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
def retry(ids):
    """Requeue failed rows (all of them, or the given ids) once the cause is fixed."""
    click.echo(f"Requeued {relay.retry_failed(list(ids) or None)} row(s).")


def _report(result: relay.PassResult) -> None:
    click.echo(f"sent {result.sent}, retrying {result.retrying}, failed {result.failed}")
    for error in result.errors:
        click.echo(error, err=True)


def register_cli(app: Flask) -> None:
    app.cli.add_command(outbox)
    register(app, Job("relay", 5.0, _relay_pass(50), "sends the outbox's notifications"))
