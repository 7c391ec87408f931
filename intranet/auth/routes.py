"""Log in and out. Sessions die on logout everywhere (the cookie carries the user's session version), after
a time without activity, and after a working day whatever happens."""

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..core.admin_events import record
from ..core.extensions import db, limiter
from ..core.forms import PostForm, safe_next
from ..core.passwords import password_problem
from ..core.time import utcnow
from ..core.users import User, check_unknown_password
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__)


def _address_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _account_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_ACCOUNT"]


def _account() -> str:
    # Per username tried, whatever the address: many addresses guessing one account are slowed too.
    return "login-account:" + (request.form.get("username") or "").strip().lower()[:64]


def _fresh_session() -> None:
    """A new session at login: nothing of the visitor's carried over (CSRF token, tracking) but the language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("complaints.queue"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data))
        if user is None:
            check_unknown_password(form.password.data)  # the same work as for a real user
            ok = False
        else:
            ok = user.check_password(form.password.data) and user.active and not user.locked
            if not ok and user.active and not user.locked:
                user.record_failed_login()
                db.session.commit()
        if not ok:
            # One message for an unknown user, a wrong password and a locked account: none of them tells
            # whether the username exists.
            form.password.errors = [_("The username or password is not right. After many wrong passwords "
                                      "an account is locked; an administrator can unlock it.")]
            return render_template("auth/login.html", form=form), 422
        user.last_login_at = utcnow()
        user.failed_logins = 0
        db.session.commit()
        next_page = safe_next(request.args.get("next"))
        _fresh_session()
        login_user(user)
        session["since"] = session["seen"] = time.time()
        return redirect(next_page or url_for("complaints.queue"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


# Requests that keep nothing alive: the bell and the queue badges poll on their own.
def _passive() -> bool:
    return request.endpoint == "notifications.bell" or request.headers.get("HX-Target") == "queue-counts"


@bp.before_app_request
def end_stale_sessions():
    """Idle for longer than SESSION_IDLE_MINUTES, or logged in longer than SESSION_MAX_HOURS: logged out.
    Wall-clock time, not the app's clock (which the demo and tests may move)."""
    if "_user_id" not in session or request.endpoint == "static":
        return None
    now, config = time.time(), current_app.config
    since, seen = session.get("since"), session.get("seen")
    if (since is None or seen is None or now - seen > config["SESSION_IDLE_MINUTES"] * 60
            or now - since > config["SESSION_MAX_HOURS"] * 3600):
        logout_user()
        _fresh_session()
        flash(_("Your session has ended. Log in again."), "success")
        return None  # the page decides: staff pages send the visitor to the login page
    if not _passive():
        session["seen"] = now
    return None


# What a user who must choose a new password may still reach (and the public side, which needs no login).
# The bell polls on its own: sending it elsewhere would reload the page under the password being typed.
_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static", "notifications.bell"}


@bp.before_app_request
def choose_a_password_first():
    """After an administrator's reset or a one-time first password, every staff page leads here until the
    user has chosen their own."""
    if (request.endpoint in _WHILE_CHANGING or (request.endpoint or "").startswith("public.")
            or not current_user.is_authenticated or not current_user.must_change_password):
        return None
    target = url_for("auth.change_password")
    if request.headers.get("HX-Request"):
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_address_limit, methods=["POST"])  # the current password is guessable here too
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not user.check_password(form.current_password.data):
            form.current_password.errors = [_("This is not your current password.")]
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors = [_("Choose a password different from the current one.")]
        elif problem := password_problem(form.new_password.data, user.username, user.display_name):
            form.new_password.errors = [str(problem)]
        else:
            user.set_password(form.new_password.data)
            user.must_change_password = False
            user.end_all_sessions()  # other devices: logged out; this one carries on with the new version
            record(user, user, "change_own_password")
            db.session.commit()
            login_user(user)
            flash(_("Your new password is saved. You are logged out everywhere else."), "success")
            return redirect(url_for("complaints.queue"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    if PostForm().validate_on_submit():
        current_user.end_all_sessions()
        db.session.commit()
        logout_user()
        _fresh_session()
        flash(_("You are logged out."), "success")
    response = redirect(url_for("auth.login"))
    # The browser forgets what it kept of the staff pages (it still shows the login page's message).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
