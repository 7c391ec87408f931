"""`flask --app wsgi mailbox poll`: take the complaints office's mail (cron or a timer, or kept running with
`--every`)."""

from __future__ import annotations

import click

from ..core.jobs import Job, register, repeat
from .taking import Mailbox, poll


def register_cli(app) -> None:
    @app.cli.group()
    def mailbox():
        """Mail in: complaints sent to the complaints office's mailbox."""

    @mailbox.command("poll")
    @click.option("--every", type=click.FloatRange(min=1), metavar="SECONDS",
                  help="Keep running: read the mailbox again every SECONDS until SIGTERM or Ctrl-C.")
    def poll_command(every):
        """Turn each new message into a submitted complaint (or set it aside: auto-replies, bounces, mailing
        lists), then move it to the folder of mail taken. Safe to run as often as you like."""
        box = Mailbox.configured()
        if box is None:
            raise click.ClickException("REDRESS_IMAP_HOST is not set: there is no mailbox to read.")
        if every is None:
            _report(*poll(box), quiet=False)
            return

        repeat(_poll_pass, every, "Reading the mailbox")

    # The worker reads the mailbox only where there is one: the demo and a site without mail in run without.
    if app.config.get("IMAP_HOST"):
        register(app, Job("mailbox", 60.0, _poll_pass, "turns the office's mail into complaints"))


def _poll_pass(_stop) -> bool:
    box = Mailbox.configured()
    _report(*poll(box), quiet=True)
    return False


def _report(taken: int, again: int, *, quiet: bool) -> None:
    if quiet and not (taken or again):
        return
    click.echo(f"{taken} messages taken, {again} taken before and put away now")
