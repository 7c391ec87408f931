"""Form pieces shared by every domain."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter
from wtforms import HiddenField, SelectChoice
from wtforms.validators import ValidationError

# The largest id or number a request may carry: a 4-byte integer, what the databases' INTEGER columns hold
# (PostgreSQL refuses a larger one with an error, which must not become a 500).
MAX_INT = 2**31 - 1


def bounded_int(value) -> int | None:
    """An integer from a request, or None if it is not one or does not fit the database."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -MAX_INT <= number <= MAX_INT else None


class BoundedIntConverter(IntegerConverter):
    """<int:…> in URLs, up to MAX_INT: a larger id is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


class PostForm(FlaskForm):
    """A CSRF-only form, for POST buttons that send nothing else (log out, accept)."""


def optional_choice(choices_fn):
    """Prepend an empty choice to an enum's choices, evaluated per request (labels are translated)."""

    def choices():
        return [SelectChoice("", _l("— choose —"))] + choices_fn()

    return choices


def strip(value):
    """Filter: surrounding whitespace is not content, so '   ' counts as empty."""
    return value.strip() if isinstance(value, str) else value


class VersionField(HiddenField):
    """The complaint version the person saw; the action is refused if it changed since."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = bounded_int(self.data)

    def pre_validate(self, form):
        if self.data is None:
            raise ValidationError(_l("The form is out of date: reload the page and try again."))


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative //evil.example."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
