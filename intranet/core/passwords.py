"""What a staff password must be: 8 to 128 characters, not the username, not a common password, and not
easy to guess.

No composition rules (NIST SP 800-63B): length, a list of passwords people actually use (zxcvbn's 30,000
most common, from real breaches), and zxcvbn's estimate of how many guesses a password would take, which
sees what a list cannot: repeats (`aaaaaaaa`), sequences (`abcdefgh`), rows of keys, dates, common words
and names, and the person's own name and username and the hospital's words. Both are loaded only when a
password is set. A refusal says why and how to choose a better one.
"""

from __future__ import annotations

import re
from functools import cache

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

MIN_LENGTH, MAX_LENGTH = 8, 128
# zxcvbn's scores run from 0 to 4; 3 is "safely unguessable: moderate protection from offline slow-hash
# attacks" (about 10^8 guesses or more), what its authors advise for accounts that matter.
MIN_SCORE = 3
# zxcvbn refuses to look at more than this; what comes after adds to the strength, never takes from it.
_ESTIMATED_LENGTH = 72
# Words anyone guessing a hospital complaints system's password would try first.
HOSPITAL_WORDS = ("hospital", "redress", "complaint", "complaints", "patient", "doctor", "nurse", "clinic",
                  "ward", "intranet", "医院", "投诉", "病人", "患者", "医生", "护士")


@cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _estimate(password: str, user_inputs: list[str]) -> dict:
    from zxcvbn import zxcvbn

    return zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=user_inputs)


def user_inputs(username: str = "", name: str = "") -> list[str]:
    """What a guesser knows of this person and this place: their username and name, whole and in parts, and
    the hospital's name and words."""
    known = [username, name, current_app.config.get("HOSPITAL_NAME") or "" if has_app_context() else ""]
    # "head-card" is guessed as "head", "card" and "headcard" too.
    parts = [part for word in known for part in re.split(r"[\s._@-]+", word)]
    parts += [re.sub(r"[\s._@-]+", "", word) for word in known]
    words = [*known, *HOSPITAL_WORDS, *parts]
    return [word.lower() for word in words if len(word) > 1]


# Why a password is easy to guess, by the kind of piece zxcvbn found in it (the first kind found that is
# named here, in this order, is the reason given).
_REASONS = (
    ("user_inputs", _l("It contains your name, your username, or the hospital's name or words.")),
    ("repeat", _l("Repeated characters or groups, such as “aaaa” or “abcabc”, are easy to guess.")),
    ("sequence", _l("Sequences such as “abcd” or “6543” are easy to guess.")),
    ("spatial", _l("Keys next to each other on the keyboard, such as “qwerty” or “asdf”, are easy to guess.")),
    ("date", _l("Dates and years are easy to guess.")),
    ("regex", _l("Dates and years are easy to guess.")),
    ("dictionary", _l("A common word or name, even with a few letters changed, is easy to guess.")),
)
_ADVICE = _l("Choose three or four words that do not belong together (a short sentence only you would "
             "think of), or a longer password.")


def _reason(estimate: dict):
    kinds = set()
    for match in estimate["sequence"]:
        kinds.add(match["pattern"])
        if match["pattern"] == "dictionary" and match.get("dictionary_name") == "user_inputs":
            kinds.add("user_inputs")
    for kind, reason in _REASONS:
        if kind in kinds:
            return reason
    return _l("It is too short or too simple to hold out against guessing.")


def password_problem(password: str, username: str = "", name: str = "") -> str | None:
    """Why `password` may not be used, and how to choose a better one (a lazy string, in the reader's
    language), or None. `name`: the person's display name, one more thing a guesser would try."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)s characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)s characters.", n=MAX_LENGTH)
    if username and password.strip().lower() == username.strip().lower():
        return _l("The password cannot be the username.")
    if password.lower() in _common():
        return _l("This is one of the most common passwords: choose another.")
    estimate = _estimate(password, user_inputs(username, name))
    if estimate["score"] < MIN_SCORE:
        return _l("This password is easy to guess. %(reason)s %(advice)s", reason=_reason(estimate),
                  advice=_ADVICE)
    return None
