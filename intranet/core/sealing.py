"""Secrets that must ride in the session cookie for a moment (a tracking code on its way to the page that
shows it once) are sealed: encrypted and authenticated (Fernet), not merely signed. Flask's session cookie
is signed but readable by anyone holding the device."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _fernet(purpose: str) -> Fernet:
    return _fernet_for(current_app.config["SECRET_KEY"], purpose)


@lru_cache(maxsize=16)
def _fernet_for(secret_key: str, purpose: str) -> Fernet:
    # One key per purpose, derived from the app's secret key: a token sealed for one use opens no other.
    # Derived once per key and purpose (a pure function of both), not at every seal and unseal.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str, purpose: str) -> str:
    return _fernet(purpose).encrypt(text.encode()).decode()


def unseal(token: str | None, purpose: str, max_age: int) -> str | None:
    """The text, or None if the token is missing, tampered with, sealed for another purpose or too old."""
    if not token:
        return None
    try:
        return _fernet(purpose).decrypt(token.encode(), ttl=max_age).decode()
    except (InvalidToken, ValueError):
        return None
