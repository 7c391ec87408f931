"""Commands that keep running beside the server (the outbox relay, the SLA sweep): one pass after another
until SIGTERM or Ctrl-C, finishing the pass in hand before leaving."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

import click

from .extensions import db


def stop_on_signal() -> threading.Event:
    stop = threading.Event()

    def request_stop(signum, _frame):
        # Finish the pass in hand, then leave: nothing claimed is left waiting for its lease to run out.
        click.echo(f"Stopping on signal {signum}…", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


def repeat(one_pass: Callable[[threading.Event], bool], interval: float, what: str) -> None:
    """Run `one_pass(stop)` until a signal: at once again when it says there may be more to do, otherwise
    after `interval` seconds. A pass that fails (the database restarting, say) is reported and the next one
    tried: a job that stops on the first error leaves the hospital without notices or escalations."""
    stop = stop_on_signal()
    click.echo(f"{what}: every {interval:g} s.", err=True)
    while not stop.is_set():
        try:
            more = one_pass(stop)
        except Exception as error:  # noqa: BLE001 - keep running; the next pass retries
            db.session.rollback()
            click.echo(f"{what}: a pass failed: {error}", err=True)
            more = False
        db.session.remove()
        if not more:
            stop.wait(interval)
    click.echo("Stopped.", err=True)
