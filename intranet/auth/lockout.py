"""What a wrong password does to an account: from a known device, nothing but its own rate limit; from any
other device it counts, and the tenth in a row locks the account for unknown devices (for LOCKOUT_MINUTES,
or until an administrator unlocks it) and tells its owner in the app. The login page and the
change-password form both count here."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.time import local
from ..core.users import LOCK_AFTER, User
from ..notifications.kinds import TO_ACCOUNT_OWNER, Kind
from ..notifications.outbox import notify_account_owner

PASSWORD_GUESSES = Kind(
    name="password_guesses", to=TO_ACCOUNT_OWNER,
    subject=_l("Wrong passwords were tried for your account"),
    body=_l("%(n)s wrong passwords in a row were typed for your account on devices you have not logged in "
            "from. Logging in from such devices is paused until %(until)s; the devices you use still log in "
            "as usual. If this was not you, tell the system administrator; if it was, nothing needs doing."),
    label=_l("Your account"),
)


def count_wrong_password(user: User, *, known_device: bool) -> None:
    if known_device:
        return  # slowed by its own rate limit, never locked out: the guesser cannot aim at the owner's device
    if user.record_failed_login():
        notify_account_owner(PASSWORD_GUESSES, user, key=f"password-guesses:{user.id}:{user.locked_at.isoformat()}",
                             data={"n": LOCK_AFTER, "until": local(user.locked_until).strftime("%H:%M")})


def whom_to_call() -> str:
    return current_app.config["ACCOUNTS_HELP"] or _("the system administrator")
