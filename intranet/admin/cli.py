"""Command-line tools for operators: `flask --app wsgi users create …`."""

import click
from flask import Flask
from sqlalchemy import or_, select

from ..core.departments import Department
from ..core.extensions import db
from ..core.passwords import password_problem
from ..core.roles import USER_ROLES, Role
from ..core.users import User


def register_cli(app: Flask) -> None:
    @app.cli.group()
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
    def create_user(username, role, department_ref, display_name, password, language):
        """Create a staff account."""
        department = None
        if role == Role.head:
            if not department_ref:
                raise click.UsageError("A department head needs --department.")
            department = db.session.scalar(select(Department).where(or_(
                Department.code == department_ref, Department.name_zh == department_ref,
                Department.name_en == department_ref)))
            if department is None:
                raise click.UsageError(f"No department {department_ref!r}.")
        elif department_ref:
            raise click.UsageError("Only department heads belong to a department.")
        if db.session.scalar(select(User).where(User.username == username)):
            raise click.UsageError(f"User {username!r} exists already.")
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password, username)
        if problem:
            raise click.UsageError(str(problem))
        user = User(username=username, display_name=display_name or username, role=role, department=department,
                    language=language)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        click.echo(f"Created {role} {username}" + (f" ({department.code})" if department else ""))

    @users.command("unlock")
    @click.argument("username")
    def unlock_user(username):
        """Let a user locked out by wrong passwords log in again."""
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.UsageError(f"No user {username!r}.")
        user.unlock()
        db.session.commit()
        click.echo(f"Unlocked {username}")
