"""Tracking codes: what a complainant holds to follow their complaint on /track without an account.

Random, shown once (on the confirmation page or a printed receipt), and stored only as a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core.time import utcnow
from ..core.users import User
from . import operations
from .lifecycle import Action
from .models import Complaint
from .permissions import PRINT_RECEIPT, can
from .spec import ActionInvalid, ActionRefused

# Tracking codes are random (50 bits), shown once, and stored only as a keyed hash: HMAC-SHA256 with the
# server's tracking key, the standard for such tokens (a password hash such as argon2 is for secrets people
# choose; here it cost a submission ~17 ms and 19 MiB, and tracking is rate-limited anyway). Codes issued
# before keyed hashes are argon2 hashes, still checked as such.
_code_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
HMAC_PREFIX = "hmac-sha256$"
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone


def new_tracking_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


# A code shown on the page after the one that issued it (the confirmation page, a printed receipt) must
# reach that page without being readable in the session cookie, which is signed but not encrypted: the
# cookie holds a random nonce and when it was issued, and the code is derived from the nonce with a key
# only the server has (HMAC-SHA256, a key of its own per purpose, from the app's secret key). Anyone
# holding the cookie can open that page while it is valid, as they could before, and no one can read the
# code out of the cookie itself.
def held_tracking_code(purpose: str) -> tuple[str, dict]:
    """A new tracking code for a page to show next, and what the session keeps to show it there."""
    nonce = secrets.token_urlsafe(16)
    return _derived_code(nonce, purpose), {"nonce": nonce, "at": int(utcnow().timestamp())}


def shown_tracking_code(held, purpose: str, max_age: int) -> str | None:
    """The code `held_tracking_code()` issued, within `max_age` seconds of issuing it; None otherwise."""
    if not isinstance(held, dict) or not isinstance(held.get("nonce"), str) or not isinstance(held.get("at"), int):
        return None
    if not 0 <= int(utcnow().timestamp()) - held["at"] <= max_age:
        return None
    return _derived_code(held["nonce"], purpose)


def _derived_code(nonce: str, purpose: str) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"held tracking code\x00" + purpose.encode(),
                   hashlib.sha256).digest()
    number = int.from_bytes(hmac.new(key, nonce.encode(), hashlib.sha256).digest()[:8], "big")
    # 32 letters, 5 bits each: every letter equally likely, as secrets.choice makes them.
    raw = "".join(_CODE_ALPHABET[(number >> (5 * i)) & 31] for i in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def hash_tracking_code(code: str) -> str:
    key = current_app.config["TRACKING_KEY"].encode()
    return HMAC_PREFIX + hmac.new(key, normalise_tracking_code(code).encode(), hashlib.sha256).hexdigest()


def normalise_tracking_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{cleaned[:5]}-{cleaned[5:]}"


def check_tracking_code(complaint: Complaint | None, code: str) -> bool:
    """The same work whether or not the reference exists, so timing does not tell them apart."""
    stored = complaint.tracking_code_hash if complaint is not None and complaint.tracking_code_hash else None
    if stored is not None and not stored.startswith(HMAC_PREFIX):  # issued before keyed hashes
        try:
            return _code_hasher.verify(stored, normalise_tracking_code(code))
        except (VerificationError, InvalidHashError):
            return False
    expected = hash_tracking_code(code)
    return hmac.compare_digest(stored or HMAC_PREFIX + "0" * 64, expected) and stored is not None


def reissue_tracking_code(user: User, complaint: Complaint, expected_version: int | None = None,
                          replace_held_code: bool = False, code: str | None = None) -> operations.Result:
    """A walk-in or phone complainant's printed receipt: a new code replaces the old one (only its hash is
    kept, so the old code cannot be shown again), and the timeline records that it was done. A code the
    complainant already holds (online, or from an earlier receipt) is replaced only when asked to."""
    if not can(user, PRINT_RECEIPT, complaint):
        raise ActionRefused(PRINT_RECEIPT)
    if complaint.complainant_holds_code() and not replace_held_code:
        raise ActionInvalid({"replace_code": str(_l(
            "The complainant already has a tracking code. Confirm that they asked for a new one: the old one "
            "will stop working."))})
    code = code or new_tracking_code()
    complaint.tracking_code_hash = hash_tracking_code(code)
    result = operations.perform(user, Action.note, complaint, {"system": "new_tracking_code"}, expected_version)
    result.tracking_code = code
    return result


