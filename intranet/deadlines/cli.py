"""`flask --app wsgi deadlines show|set` (the sweep, `sla sweep`, lives with the complaints it escalates)."""

from __future__ import annotations

import click
from flask import Flask

from ..core.extensions import db
from ..core.time import today
from . import calendar, policy
from .models import MAX_HOURS, SEVERITIES, Clock, Unit


def register_cli(app: Flask) -> None:
    @app.cli.group()
    def deadlines():
        """The deadline policy (working days or hours per clock and severity) and the calendar it counts on."""

    @deadlines.command("show")
    def show():
        """Print each clock's rule per severity and what the calendar knows of this year and next."""
        for (clock, severity), rule in policy.all_rules().items():
            words = "working days" if rule.unit == Unit.working_days else "hours"
            click.echo(f"{clock.value:<28} {severity:<8} {rule.amount} {words}")
        for year in (today().year, today().year + 1):
            click.echo(f"calendar {year}: {calendar.coverage(year).value}")
        for warning in calendar.warnings(today()):
            click.echo(f"warning: {warning}", err=True)

    @deadlines.command("set")
    @click.argument("clock", type=click.Choice([c.value for c in Clock]))
    @click.argument("amount", type=click.IntRange(1, MAX_HOURS))
    @click.option("--severity", type=click.Choice(SEVERITIES), help="Only this severity (default: all three).")
    @click.option("--hours", is_flag=True, help="AMOUNT is elapsed hours, not working days.")
    def set_rule(clock, amount, severity, hours):
        """Give CLOCK AMOUNT working days (or hours). Only clocks that start from now on use it."""
        unit = Unit.hours if hours else Unit.working_days
        if amount > policy.max_amount(unit):
            raise click.BadParameter(f"at most {policy.max_amount(unit)} {unit.value}", param_hint="AMOUNT")
        for one in (severity,) if severity else SEVERITIES:
            policy.set_rule(clock, one, amount, unit)
        db.session.commit()
        click.echo(f"{clock} {severity or 'all severities'} = {amount} {unit.value} (stored due dates are unchanged)")
