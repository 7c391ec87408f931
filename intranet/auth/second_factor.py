"""The second factor, for the roles that need one (SECOND_FACTOR_ROLES: administrators, leadership and the
discipline office): after the right password, a six-digit code from an authenticator app (TOTP, RFC 6238)
or one of ten recovery codes. At the first login the page shows the app's QR code (and the secret, to type
in), and the login finishes once a code from the app is right; then the ten recovery codes are shown, once,
and only their hashes are kept.

Between the password and the code, the session holds only who is half-way and since when (five minutes);
nothing is reachable with it. A code is taken once (the time step is remembered), wrong codes count as
wrong passwords do (lockout.py), and the page has the login page's rate limits.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta

import pyotp
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from wtforms import StringField
from wtforms.validators import DataRequired

from ..core.extensions import db, limiter
from ..core.forms import STRIPPED, Length, PostForm
from ..core.time import utcnow
from ..core.users import RecoveryCode, User, hash_secret, secret_matches
from . import devices
from .lockout import count_wrong_password
from .sessions import fresh_session, log_in

bp = Blueprint("second_factor", __name__)

PENDING = "second_factor"
PENDING_MINUTES = 5
RECOVERY_CODES = 10
ISSUER = "Redress"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class CodeForm(PostForm):
    code = StringField(_l("Six-digit code, or a recovery code"), filters=STRIPPED,
                       render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
                       validators=[DataRequired(message=_l("Enter the code.")), Length(max=40)])


def required(user: User) -> bool:
    return user.role in current_app.config["SECOND_FACTOR_ROLES"]


def begin(user: User, next_page: str | None):
    """The password was right: the login goes on at the code page. Nothing is logged in yet."""
    fresh_session()
    session[PENDING] = {"id": user.id, "v": user.session_version, "at": utcnow().isoformat(), "next": next_page,
                        # At the first login, the secret to be confirmed: the account gets it only then.
                        "secret": None if user.totp_since else pyotp.random_base32()}
    return redirect(url_for("second_factor.code"))


def _pending() -> tuple[User, dict] | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    try:
        started = datetime.fromisoformat(pending["at"])
    except (KeyError, TypeError, ValueError):
        return None
    user = db.session.get(User, pending.get("id"))
    if (user is None or not user.active or user.session_version != pending.get("v")
            or utcnow() - started > timedelta(minutes=PENDING_MINUTES)):
        return None
    return user, pending


def _digits(code: str) -> str:
    return re.sub(r"[\s-]", "", code)


def _accepted_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step `code` is right for (now, or one step either side for a clock a little off), unless
    a code was already taken for it or a later one."""
    totp, now = pyotp.TOTP(secret), utcnow()
    for offset in (0, -1, 1):
        step = totp.timecode(now) + offset
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return step
    return None


def _use_recovery_code(user: User, code: str) -> bool:
    typed = _digits(code).lower()
    unused = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                              RecoveryCode.used_at.is_(None))).all()
    for row in unused:
        if secret_matches(row.code_hash, typed):
            row.used_at = utcnow()
            return True
    return False


def new_recovery_codes(user: User) -> list[str]:
    """Ten new codes for `user` (the old ones no longer work): shown once, kept hashed."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_secret(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def forget(user: User) -> None:
    """The second factor set up again at the next login (an administrator's reset, for a lost phone)."""
    user.totp_secret = user.totp_since = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _address_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _account_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_ACCOUNT"]


def _account() -> str:
    pending = session.get(PENDING)
    return f"second-factor:{pending.get('id') if isinstance(pending, dict) else ''}"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account)
def code():
    found = _pending()
    if found is None:
        if session.pop(PENDING, None) is not None:
            flash(_("That took too long: log in again."), "error")
        return redirect(url_for("auth.login"))
    user, pending = found
    enrolling = pending["secret"] is not None
    form = CodeForm()
    if enrolling:
        form.code.label.text = _("Six-digit code from the app")  # there are no recovery codes yet
    if form.validate_on_submit():
        typed = _digits(form.code.data)
        if enrolling:
            step = _accepted_step(pending["secret"], typed, None)
            if step is not None:
                user.totp_secret, user.totp_since, user.totp_last_step = pending["secret"], utcnow(), step
                codes = new_recovery_codes(user)
                log_in(user)
                response = make_response(render_template("auth/recovery_codes.html", codes=codes,
                                                         next_page=pending["next"]))
                devices.remember_device(response, user.username)
                return response
        else:
            step = _accepted_step(user.totp_secret, typed, user.totp_last_step)
            if step is not None:
                user.totp_last_step = step
            if step is not None or _use_recovery_code(user, typed):
                log_in(user)
                response = redirect(pending["next"] or url_for("complaints.queue"))
                devices.remember_device(response, user.username)
                return response
        count_wrong_password(user, known_device=devices.known_device(user.username) is not None)
        db.session.commit()
        form.code.errors = [_("This code is not right. Type the six digits the app shows now.") if enrolling else
                            _("This code is not right. Type the six digits the app shows now, or one of "
                              "your recovery codes.")]
    context = {"form": form, "enrolling": enrolling}
    if enrolling:
        # Loaded when a second factor is set up, which a worker seldom does (as when a receipt is printed).
        import segno

        uri = pyotp.TOTP(pending["secret"]).provisioning_uri(
            name=user.username, issuer_name=current_app.config["HOSPITAL_NAME"] or ISSUER)
        context.update(qr=segno.make(uri, error="m").svg_data_uri(scale=5, border=2), secret=pending["secret"])
    return render_template("auth/second_factor.html", **context), 422 if form.is_submitted() else 200
