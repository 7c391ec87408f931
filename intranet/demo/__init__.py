"""The demo hospital (`flask --app wsgi demo`): departments, categories, one login per role, 60 people in
the staff directory (each head's entry linked to their login) and ~200 complaints in every state of the
lifecycle, each built through the real operations as of a past moment.

The hospital, the complaints' texts and the plan (how many end in each state, how old, the chances of each
detour) are data files in `data/`; `story.py` plans each complaint's way through the lifecycle table, and
`load.py` writes it all.
Idempotent: departments, categories, users and people are looked up by code, username or staff number and
created only when missing; the complaints are created only while the database holds none. Deterministic:
every choice comes from random.Random(SEED) and is drawn before anything is written, so a fresh database
gets the same complaints (their dates are relative to the day the demo is loaded).
"""

import click
from flask import current_app
from flask.cli import with_appcontext

from .load import DEPARTMENTS, PASSWORD, head_username, load_demo

__all__ = ["DEPARTMENTS", "PASSWORD", "head_username", "load_demo", "register_cli"]


@click.command("demo")
@click.option("--force", is_flag=True, help="Load it even under the production configuration.")
@with_appcontext
def demo(force):
    """Load the demo hospital (idempotent) and print the demo logins."""
    if current_app.config.get("ENV_NAME") == "production" and not force:
        # Its accounts have a published password: never by accident on a real server.
        raise click.UsageError("This is the production configuration, and the demo's accounts have a "
                               "published password. Use --force to load it anyway.")
    for line in load_demo():
        click.echo(line)


def register_cli(app) -> None:
    app.cli.add_command(demo)
