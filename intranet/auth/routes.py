"""Log in and out. A session ends at logout (that device's only: the cookie carries its session key), after a
time without activity, and after a working day whatever happens; a new password or a deactivation ends
every session of the user (the cookie carries their session version). Wrong passwords count as
lockout.py says, by whether the device is known (devices.py)."""

import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..core.admin_events import record
from ..core.extensions import db, limiter
from ..core.forms import PostForm, safe_next
from ..core.passwords import password_problem
from ..core.time import local, utcnow
from ..core.users import DIRECTORY, User, check_unknown_password, end_this_session, session_record
from . import devices, directory_groups, directory_login, second_factor
from .forms import ChangePasswordForm, LoginForm
from .lockout import count_wrong_password, whom_to_call
from .sessions import fresh_session as _fresh_session
from .sessions import log_in

bp = Blueprint("auth", __name__)


def _address_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _account_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_ACCOUNT"]


def _account() -> str:
    # Per username tried, whatever the address: many addresses guessing one account are slowed too. A device
    # the account has logged in from has a bucket of its own, so the guessers' do not slow its owner.
    username = (request.form.get("username") or "").strip().lower()[:64]
    known = devices.known_device(username)
    return f"login-device:{known}" if known else "login-account:" + username


def _password_account() -> str:
    return f"password-account:{current_user.id}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("complaints.queue"))
    if request.method == "GET" and request.args.get("session") == "ended":
        _say_the_session_ended()
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data))
        if user is None and directory_login.enabled():  # directory accounts are kept in lower case
            user = db.session.scalar(select(User).where(User.username == form.username.data.lower()))
        if directory_login.applies_to(user):
            user, refusal, status = _refused_by_directory(user, form.username.data.lower(), form.password.data)
        else:
            refusal, status = _refused(user, form.password.data), 422
        if refusal is not None:
            form.password.errors = [refusal]
            return render_template("auth/login.html", form=form), status
        next_page = safe_next(request.args.get("next"))
        if second_factor.required(user):
            return second_factor.begin(user, next_page)
        log_in(user)
        response = redirect(next_page or url_for("complaints.queue"))
        devices.remember_device(response, user.username)
        return response
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


def _say_the_session_ended() -> None:
    # Once: end_stale_sessions() may have said it already in this request.
    message = _("Your session has ended. Log in again.")
    if message not in [m for _category, m in session.get("_flashes", [])]:
        flash(message, "success")


def _page_of_this_site(url: str | None) -> str | None:
    """The path (and query) of an address on this site, to come back to; None for another site's."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.path == url_for("auth.login"):
        return None
    return safe_next(path)


def not_logged_in():
    """Flask-Login's answer to a staff page without a session. An htmx request comes from a page whose session
    ended (the bell's poll, an action): the whole window goes to the login page, which says so, and back to
    that page after; swapping the login page into a part of the old one would leave the rest on screen.
    The login page's address says the session ended (not a message kept in the session): the bell and the
    badges poll together, and both lead there."""
    if request.headers.get("HX-Request"):
        back = _page_of_this_site(request.headers.get("HX-Current-URL"))
        return "", 204, {"HX-Redirect": url_for("auth.login", next=back, session="ended")}
    return redirect(url_for("auth.login", next=_page_of_this_site(request.full_path.removesuffix("?"))))


def _refused(user: User | None, password: str) -> str | None:
    """Why this login is refused, or None. Only someone who gave the right password is told that the account
    is locked or deactivated; everyone else hears the same words, which never tell whether the username
    exists."""
    wrong = _wrong()
    if user is None:
        check_unknown_password(password)  # the same work as for a real user
        return wrong
    known = devices.known_device(user.username) is not None
    right = user.check_password(password)
    if not user.active:
        return _deactivated() if right else wrong
    if user.locked and not known:
        return _locked(user) if right else wrong
    if not right:
        count_wrong_password(user, known_device=known)
        db.session.commit()
        return wrong
    return None


def _wrong() -> str:
    return _("The username or password is not right. After many wrong passwords, logging in from devices "
             "not used before is paused for a while.")


def _deactivated() -> str:
    return _("This account is deactivated. If you need it again, call %(whom)s.", whom=whom_to_call())


def _locked(user: User) -> str:
    return _("After many wrong passwords, this account is locked on devices it has not logged in from, "
             "until %(time)s. Log in from a device you have used before, wait, or call %(whom)s to unlock "
             "it now.", time=local(user.locked_until).strftime("%H:%M"), whom=whom_to_call())


def _refused_by_directory(user: User | None, username: str, password: str) -> tuple[User | None, str | None, int]:
    """The directory's answer to this login, with the same words, counters and lock as a local account's:
    the account (created or brought up to date from the directory when the password is right), why it is
    refused (None: go on to the second factor or the session), and the page's status."""
    try:
        answer = directory_login.check(username, password)
    except directory_login.Unreachable as error:
        current_app.logger.warning("directory login for %r: the directory cannot be reached (%s)", username, error)
        return user, _("The hospital directory cannot be reached, so staff who log in with their directory "
                       "password cannot log in just now. Try again in a few minutes; if it goes on, call "
                       "%(whom)s.", whom=whom_to_call()), 503
    if answer == directory_login.GONE:
        if user is not None and user.active:
            directory_login.deactivate(user, "gone")
            db.session.commit()
        return user, _wrong(), 422
    if user is None and answer == directory_login.WRONG:
        return None, _wrong(), 422
    if answer == directory_login.WRONG:
        known = devices.known_device(user.username) is not None
        if user.active and not (user.locked and not known):
            count_wrong_password(user, known_device=known)
            db.session.commit()
        return user, _wrong(), 422
    mapping = directory_groups.first_match(answer.groups)
    if mapping is None:
        if user is None:
            return None, _("Your directory account is in no group that gives access to Redress. If you need "
                           "it, call %(whom)s.", whom=whom_to_call()), 422
        directory_login.deactivate(user, "no_group")
        db.session.commit()
        return user, _deactivated(), 422
    if user is not None and not user.active and not directory_login.deactivated_by_directory(user):
        return user, _deactivated(), 422  # an administrator's deactivation: only an administrator undoes it
    if user is not None and user.locked and devices.known_device(user.username) is None:
        return user, _locked(user), 422
    user = directory_login.bring_up_to_date(user, answer, mapping)
    db.session.commit()
    return user, None, 200


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
        _say_the_session_ended()
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


@bp.before_app_request
def say_why_a_deactivated_user_was_logged_out():
    """A deactivated user's session ends at their next request (load_user); the login page says why."""
    if (request.endpoint or "static").startswith(("static", "public.")):
        return None
    if "_user_id" in session:
        current_user._get_current_object()  # loaded now, if no check before this one needed it
    if g.pop("deactivated_session", False):
        _fresh_session()
        flash(_("Your account has been deactivated, so you were logged out. If you need it again, call "
                "%(whom)s.", whom=whom_to_call()), "error")
    return None


# Wrong current passwords in one session that end it: with a stolen session, the form is a way to guess.
WRONG_PASSWORDS_PER_SESSION = 10


def _wrong_current_password(user: User):
    """Counted as a wrong login is, and per session: the tenth ends this session."""
    count_wrong_password(user, known_device=devices.known_device(user.username) is not None)
    record_ = session_record(user)
    record_.wrong_passwords += 1
    if record_.wrong_passwords < WRONG_PASSWORDS_PER_SESSION:
        db.session.commit()
        return None
    record_.ended_at = utcnow()
    db.session.commit()
    logout_user()
    _fresh_session()
    flash(_("Too many wrong passwords: you are logged out. Log in again."), "error")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_address_limit, methods=["POST"])  # the current password is guessable here too,
@limiter.limit(_account_limit, methods=["POST"], key_func=_password_account)  # from any address
def change_password():
    form = ChangePasswordForm()
    if current_user.source == DIRECTORY:
        # No password here to check or change (and a wrong one would count toward the lock): the page says so.
        return render_template("auth/change_password.html", form=form), 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not user.check_password(form.current_password.data):
            if (ended := _wrong_current_password(user)) is not None:
                return ended
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
            user.start_session()
            login_user(user)
            flash(_("Your new password is saved. You are logged out everywhere else."), "success")
            return redirect(url_for("complaints.queue"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    if PostForm().validate_on_submit():
        end_this_session(current_user._get_current_object())  # this device only: the others go on
        db.session.commit()
        logout_user()
        _fresh_session()
        flash(_("You are logged out."), "success")
    response = redirect(url_for("auth.login"))
    # The browser forgets what it kept of the staff pages (it still shows the login page's message).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
