"""Staff accounts, and what the server knows of their login sessions. The public never logs in: they hold a
reference and a tracking code."""

import contextlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, has_request_context, request, session
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, delete, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .database import enum_column
from .departments import Department
from .extensions import db
from .roles import USER_ROLES
from .time import UTCDateTime, utcnow

# argon2id at m=7 MiB, t=5, p=1, one of OWASP's equivalent-strength settings (like its m=19 MiB, t=2, used
# before): about the same work per login (35 MiB-passes against 38), but the memory a worker needs for it
# is what its peak keeps after its first login, so the smallest of them. argon2-cffi's defaults (64 MiB, 4
# lanes) would be 64 MiB. Hashes made with other parameters still check, and are made again with these at
# the next login (check_password).
PASSWORD_TIME_COST, PASSWORD_MEMORY_KIB, PASSWORD_LANES = 5, 7 * 1024, 1
_hasher = PasswordHasher(time_cost=PASSWORD_TIME_COST, memory_cost=PASSWORD_MEMORY_KIB, parallelism=PASSWORD_LANES)
# Wrong passwords from devices the account has not logged in from, in a row, that lock the account for such
# devices (for LOCKOUT_MINUTES, or until `flask --app wsgi users unlock`). Its own known devices still log in.
LOCK_AFTER = 10
# An account's source: its password checked here, or by the hospital's directory.
LOCAL, DIRECTORY = "local", "directory"
# The password hash of a directory account: no password can match it (argon2 refuses it as a hash).
NO_PASSWORD = "!directory"
_dummy_hash: str | None = None


def check_unknown_password(password: str) -> None:
    """The same work as checking a real user's password, for a username that does not exist: the answer
    must not come faster for unknown usernames."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not anyone's password")
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash, password)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # A department head, and a department's staff, belong to a department; nobody else is tied to one.
        CheckConstraint("(role IN ('head', 'staff')) = (department_id IS NOT NULL)", name="head_has_department"),
        CheckConstraint("source IN ('local', 'directory')", name="user_source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(enum_column(USER_ROLES, "user_role", length=16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # The language the staff pages open in and their notifications are written in ("zh" or "en"); None: the
    # browser's for pages, the hospital's staff language (REDRESS_STAFF_LANGUAGE) for notifications.
    language: Mapped[str | None] = mapped_column(String(8))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the session cookie's user id: bumping it (logout, deactivation, new password) makes every
    # cookie issued before it worthless, on every device.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    last_login_at = mapped_column(UTCDateTime)
    # Wrong passwords from unknown devices since the last login from one (or the last lock), and when they
    # locked the account for unknown devices.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_at = mapped_column(UTCDateTime)
    # Set by an administrator's reset (or a one-time first password): every staff page leads to the
    # change-password page until the user has chosen their own.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The second factor (auth/second_factor.py): the authenticator app's secret (base32), since when it is
    # confirmed, and the last time step a code was accepted for (a code is never taken twice).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_since = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Bumped by every administrator's change to the account: two admins editing it at once, the second is told.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The person in the staff directory this account belongs to (directory/models.py), if an administrator
    # linked one; one account per person.
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), unique=True)
    # Where the password is checked: "local" (its hash here), or "directory" (the hospital's LDAP directory,
    # auth/directory_login.py; no password is kept here, and the name, role and department come from it).
    source: Mapped[str] = mapped_column(String(16), default=LOCAL, server_default=LOCAL)

    department: Mapped[Department | None] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.set_password(password)
        return True

    @property
    def locked_until(self) -> datetime | None:
        """When the lock for unknown devices lifts by itself; None when it is not locked (or has lifted)."""
        if self.locked_at is None:
            return None
        until = self.locked_at + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
        return until if utcnow() < until else None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None

    def record_failed_login(self) -> bool:
        """A wrong password from an unknown device. True when it is the one that locks the account."""
        if self.locked_at is not None and not self.locked:  # a lock that has lifted: counting starts again
            self.unlock()
        self.failed_logins = (self.failed_logins or 0) + 1
        if self.failed_logins >= LOCK_AFTER and self.locked_at is None:
            self.locked_at = utcnow()
            return True
        return False

    def unlock(self) -> None:
        self.failed_logins = 0
        self.locked_at = None

    def end_all_sessions(self) -> None:
        self.session_version += 1

    def start_session(self) -> None:
        """A new login session: its key goes into the cookie with the session version (get_id), so that it
        can be ended alone (logout) and all together (end_all_sessions)."""
        self.session_key = secrets.token_urlsafe(24)

    # Flask-Login
    def get_id(self) -> str:
        if getattr(self, "session_key", None) is None:
            self.start_session()
        return f"{self.id}:{self.session_version}:{self.session_key}"

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


# What the layers above keep for an account only while it is what it is (a complaint handed to a member of a
# department's staff): each registers here, and every writer of an account's role, department or active flag
# calls account_changed() after the change, in its own transaction. This layer knows none of them.
_ON_ACCOUNT_CHANGE: dict[str, Callable[..., None]] = {}


def on_account_change(listener: Callable[..., None]) -> Callable[..., None]:
    """Register `listener(user, actor, directory=...)`, once (by its name: an app made again adds none)."""
    _ON_ACCOUNT_CHANGE[f"{listener.__module__}.{listener.__qualname__}"] = listener
    return listener


def account_changed(user: User, actor: User | None, *, directory: bool = False) -> None:
    """`user` was deactivated, or given another role or department (or reactivated): what the layers above
    kept for it follows, in this transaction. `actor` is the administrator who changed it (None: a command on
    the server, or the directory at sign-in, `directory`)."""
    db.session.flush()  # an account's department_id follows its department (a relationship) once flushed
    for listener in _ON_ACCOUNT_CHANGE.values():
        listener(user, actor, directory=directory)


class StaffSession(db.Model):
    """What the server knows of one login session, by its key: written only when something happens to it
    (it is ended alone, or a wrong current password is typed in it), so an ordinary session costs no row."""

    __tablename__ = "staff_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    ended_at = mapped_column(UTCDateTime)
    # Wrong current passwords typed on the change-password form in this session.
    wrong_passwords: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def session_record(user: User) -> StaffSession:
    """The record of `user`'s current session, made when first needed. A record older than a session can
    live is of no use: those of the user go when a new one is made."""
    found = db.session.get(StaffSession, user.session_key)
    if found is None:
        too_old = utcnow() - timedelta(hours=current_app.config["SESSION_MAX_HOURS"] + 1)
        db.session.execute(delete(StaffSession).where(StaffSession.user_id == user.id,
                                                      StaffSession.created_at < too_old))
        found = StaffSession(key=user.session_key, user_id=user.id, wrong_passwords=0)
        db.session.add(found)
    return found


def end_this_session(user: User) -> None:
    """This device's session ends (logout): the user's other sessions go on."""
    session_record(user).ended_at = utcnow()


class RecoveryCode(db.Model):
    """One of the ten codes that stand in once each for the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at = mapped_column(UTCDateTime)


def hash_secret(text: str) -> str:
    """A secret the user holds (a recovery code), hashed as passwords are."""
    return _hasher.hash(text)


def secret_matches(hashed: str, text: str) -> bool:
    try:
        return _hasher.verify(hashed, text)
    except (VerificationError, InvalidHashError):
        return False


# What a page that only reads shows of the logged-in user besides the account (the bell's unread count), read
# in the user's own statement rather than one more: name → a scalar subquery with a bound parameter "user_id".
# The domains above core register theirs (notifications); the values are in g.read_with_the_user.
READ_WITH_THE_USER: dict[str, Callable] = {}


def read_with_the_user(name: str, column: Callable) -> None:
    READ_WITH_THE_USER[name] = column


def load_user(user_id: str) -> User | None:
    try:
        ident, version, key = user_id.split(":")
        ident, version = int(ident), int(version)
    except ValueError:
        return None
    ended = select(StaffSession.key).where(StaffSession.key == key, StaffSession.ended_at.is_not(None)).exists()
    # Only for a GET: a request that writes may change what they count before its page shows it.
    extra = READ_WITH_THE_USER if has_request_context() and request.method == "GET" else {}
    row = db.session.execute(select(User, ended, *(column() for column in extra.values())).where(User.id == ident),
                             {"user_id": ident}).first()
    if row is None:
        return None
    user, session_ended, *values = row
    g.read_with_the_user = (ident, dict(zip(extra, values, strict=True)))
    if not user.active:
        # Deactivated while logged in: the login page says so (the cookie shows this was their session).
        g.deactivated_session = True
        session.pop("_user_id", None)
        return None
    if user.session_version != version or session_ended:
        return None
    user.session_key = key
    return user
