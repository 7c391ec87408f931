"""Starting a staff session: what the login page does once the password (and, for the roles that need one,
the second factor) is right."""

from __future__ import annotations

import time

from flask import session
from flask_login import login_user

from ..core.extensions import db
from ..core.time import utcnow
from ..core.users import User
from . import devices


def fresh_session() -> None:
    """A new session at login: nothing of the visitor's carried over (CSRF token, tracking) but the language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def log_in(user: User) -> None:
    """`user` is logged in on this device, in a session of its own. The caller's answer must then carry
    `devices.remember_device()`, so that this device is known for them from now on."""
    user.last_login_at = utcnow()
    if not devices.known_device(user.username):
        user.unlock()  # a login from an unknown device that was let in: its count starts again
    db.session.commit()
    fresh_session()
    user.start_session()
    login_user(user)
    session["since"] = session["seen"] = time.time()
