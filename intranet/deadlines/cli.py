"""`flask --app wsgi deadlines show|set` (the sweep, `sla sweep`, lives with the complaints it escalates)."""

from __future__ import annotations

import click
from flask import Flask

from ..core.extensions import db
from ..core.time import today
from . import calendar, policy
from .models import MAX_DAYS, Clock


def register_cli(app: Flask) -> None:
    @app.cli.group()
    def deadlines():
        """The deadline policy (working days per clock) and the calendar it counts on."""

    @deadlines.command("show")
    def show():
        """Print each clock's working days and what the calendar knows of this year and next."""
        for clock, days in policy.all_working_days().items():
            click.echo(f"{clock.value:<28} {days} working days")
        for year in (today().year, today().year + 1):
            click.echo(f"calendar {year}: {calendar.coverage(year).value}")
        for warning in calendar.warnings(today()):
            click.echo(f"warning: {warning}", err=True)

    @deadlines.command("set")
    @click.argument("clock", type=click.Choice([c.value for c in Clock]))
    @click.argument("days", type=click.IntRange(1, MAX_DAYS))
    def set_days(clock, days):
        """Set CLOCK to DAYS working days. Only deadlines set from now on use it."""
        policy.set_working_days(clock, days)
        db.session.commit()
        click.echo(f"{clock} = {days} working days (stored due dates are unchanged)")
