"""Command-line tools for operators: `flask --app wsgi users create|list|set-role|deactivate|reactivate|
reset-password|unlock …`. The same rules as the admin pages (admin/accounts.py), logged with no actor."""

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import or_, select

from ..core.departments import Department
from ..core.extensions import db
from ..core.roles import USER_ROLES
from ..core.users import User
from . import accounts


def _department(ref: str | None) -> Department | None:
    if not ref:
        return None
    department = db.session.scalar(select(Department).where(or_(
        Department.code == ref, Department.name_zh == ref, Department.name_en == ref)))
    if department is None:
        raise click.UsageError(f"No department {ref!r}.")
    return department


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.UsageError(f"No user {username!r}.")
    return user


def _apply(work, *args, **kwargs):
    try:
        result = work(None, *args, **kwargs)
        db.session.commit()
        return result
    except accounts.Refused as refused:
        db.session.rollback()
        with force_locale("en"):  # as every other word of the commands
            raise click.UsageError(refused.message) from None


def _refuse_impossible_account(username: str, role: str, department_ref: str | None) -> None:
    if department_ref and role not in ("head", "staff"):
        raise click.UsageError("Only department heads and department staff belong to a department.")
    if role in ("head", "staff") and not department_ref:
        raise click.UsageError(f"A {'department head' if role == 'head' else 'member of department staff'} "
                               "needs --department.")
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.UsageError(f"User {username!r} exists already.")


@click.group(cls=AppGroup)
def users():
    """Staff accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in USER_ROLES]), required=True)
@click.option("--department", "department_ref", help="Department code or name (heads only).")
@click.option("--name", "display_name", help="Name shown to colleagues (defaults to the username).")
@click.option("--password", help="Prompted for (hidden) when absent.")
@click.option("--language", type=click.Choice(["zh", "en"]),
              help="The language of their pages and notifications (default: the browser's, and the "
                   "hospital's staff language for notifications).")
@click.option("--must-change-password", is_flag=True,
              help="A one-time password: they must choose their own when they first log in.")
def create_user(username, role, department_ref, display_name, password, language, must_change_password):
    """Create a staff account (the first administrator comes from here)."""
    _refuse_impossible_account(username, role, department_ref)  # before the password is asked for
    department = _department(department_ref)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = _apply(accounts.create_account, username=username, display_name=display_name or username,
                  role=role, department=department, language=language, password=password,
                  must_change_password=must_change_password)
    click.echo(f"Created {role} {username}" + (f" ({department.code})" if department else ""))
    return user


@users.command("list")
def list_users():
    """Every account: username, role, department, state."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "deactivated" if not user.active else "locked" if user.locked else "active"
        if user.must_change_password:
            state += ", must change password"
        department = user.department.code if user.department else "-"
        click.echo(f"{user.username}\t{user.role}\t{department}\t{state}\t{user.display_name}")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in USER_ROLES]))
@click.option("--department", "department_ref", help="Department code or name (heads only).")
def set_role(username, role, department_ref):
    """Give an account another role (and a head their department)."""
    user = _user(username)
    _apply(accounts.change_account, user, None, display_name=user.display_name, role=role,
           department=_department(department_ref), language=user.language)
    click.echo(f"{username} is now {role}")


@users.command("deactivate")
@click.argument("username")
def deactivate_user(username):
    """Stop an account logging in; its open sessions end at their next request."""
    _apply(accounts.deactivate, _user(username), None)
    click.echo(f"Deactivated {username}")


@users.command("reactivate")
@click.argument("username")
def reactivate_user(username):
    """Let a deactivated account log in again."""
    _apply(accounts.reactivate, _user(username), None)
    click.echo(f"Reactivated {username}")


@users.command("reset-password")
@click.argument("username")
@click.option("--password", help="The temporary password; prompted for (hidden) when absent.")
def reset_user_password(username, password):
    """Set a temporary password: the user must choose their own at next login."""
    user = _user(username)
    if password is None:
        password = click.prompt("Temporary password", hide_input=True, confirmation_prompt=True)
    _apply(accounts.reset_password, user, None, password)
    click.echo(f"Reset the password of {username}: they must choose a new one at next login")


@users.command("reset-second-factor")
@click.argument("username")
def reset_user_second_factor(username):
    """A lost phone: the user sets up their authenticator app again at their next login."""
    _apply(accounts.reset_second_factor, _user(username), None)
    click.echo(f"Reset the second factor of {username}: they set it up again at next login")


@users.command("unlock")
@click.argument("username")
def unlock_user(username):
    """Let a user locked out by wrong passwords log in again from any device (the lock also lifts by itself)."""
    _apply(accounts.unlock, _user(username), None)
    click.echo(f"Unlocked {username}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(users)
