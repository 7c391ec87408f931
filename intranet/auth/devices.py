"""Known devices (OWASP's "device cookies"): a browser that has logged in as a user carries a signed cookie
saying so. Wrong passwords from a known device never lock it out (it has a rate limit of its own); wrong
passwords from anywhere else count towards locking the account for unknown devices only. So a guesser
cannot lock the real user out of the computer they use every day.

The cookie holds up to MAX_ACCOUNTS entries (a shared desk computer serves several people), each a username
and a random nonce, signed and dated with the app's key: it cannot be forged or moved to another username,
and it stops counting after DEVICE_COOKIE_DAYS without a login on that device.
"""

from __future__ import annotations

import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "redress_device"
MAX_ACCOUNTS = 8


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="redress-known-device")


def _entries() -> list[dict]:
    value = request.cookies.get(COOKIE)
    if not value:
        return []
    try:
        entries = _serializer().loads(value, max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 86400)
    except BadSignature:  # forged, damaged or too old (SignatureExpired is a BadSignature)
        return []
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("u"), str) and isinstance(e.get("n"), str)]


def _username(username: str | None) -> str:
    return (username or "").strip().lower()


def known_device(username: str | None) -> str | None:
    """This device's nonce for `username` if it has logged in as them before, else None."""
    wanted = _username(username)
    return next((e["n"] for e in _entries() if wanted and e["u"] == wanted), None)


def remember_device(response, username: str) -> None:
    """After a login: this device is known for `username` (newest last; the oldest entries make room)."""
    name = _username(username)
    entries = [e for e in _entries() if e["u"] != name]
    entries.append({"u": name, "n": known_device(username) or secrets.token_urlsafe(16)})
    config = current_app.config
    response.set_cookie(COOKIE, _serializer().dumps(entries[-MAX_ACCOUNTS:]),
                        max_age=config["DEVICE_COOKIE_DAYS"] * 86400, httponly=True,
                        secure=config.get("SESSION_COOKIE_SECURE", False), samesite="Lax")
