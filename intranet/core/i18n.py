"""The reader's language, as Flask-Babel chose it for the request (or force_locale() for an email)."""

from flask_babel import get_locale


def english() -> bool:
    """Whether the reader's language is English (else Chinese, the hospital's own)."""
    locale = get_locale()
    return locale is not None and locale.language == "en"
