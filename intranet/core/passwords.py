"""What a staff password must be: 8 to 128 characters, not a common password, not the username.

No composition rules (NIST SP 800-63B): length and a list of passwords people actually use. The list is
zxcvbn's (the 30,000 most common passwords from real breaches), loaded only when a password is set.
"""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l

MIN_LENGTH, MAX_LENGTH = 8, 128


@cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, username: str = "") -> str | None:
    """Why `password` may not be used (a lazy string, in the reader's language), or None."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)s characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)s characters.", n=MAX_LENGTH)
    if username and password.strip().lower() == username.strip().lower():
        return _l("The password cannot be the username.")
    if password.lower() in _common():
        return _l("This is one of the most common passwords: choose another.")
    return None
