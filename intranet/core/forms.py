"""Form pieces shared by every domain."""

from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from wtforms import HiddenField, SelectChoice, validators
from wtforms.validators import DataRequired, ValidationError

from .departments import Category, Department, ReferringBody, name_column
from .extensions import db
from .hospital import kept_a_while
from .phones import is_phone_number, normalised

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


NUL = "\x00"
NUL_MESSAGE = _l("This held a character that cannot be saved (a NUL byte). It has been taken out: check the "
                 "text and send it again.")


def take_out_nul_bytes() -> None:
    """Before every request: a NUL byte in a posted value is taken out, and the fields that held one are
    remembered, so that the form comes back with what was typed and the field named (PostForm.validate).
    No person types one, and PostgreSQL cannot store one."""
    posted = request.form
    if not any(NUL in value for value in posted.values()):
        return
    g.nul_fields = {key for key, value in posted.items(multi=True) if NUL in value}
    request.form = ImmutableMultiDict([(key, value.replace(NUL, "")) for key, value in posted.items(multi=True)])


def held_a_nul_byte(name: str) -> bool:
    return any(key == name or key.startswith(name + "-") for key in g.get("nul_fields", ()))


class PostForm(FlaskForm):
    """Every posted form: CSRF, and the one rule for a NUL byte (a field error, like any other). On its own,
    the form for POST buttons that send nothing else (log out, accept)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if held_a_nul_byte(field.name):
                field.errors = [*field.errors, NUL_MESSAGE]
                valid = False
        return valid


def optional_choice(choices_fn):
    """Prepend an empty choice to an enum's choices, evaluated per request (labels are translated)."""

    def choices():
        return [SelectChoice("", _l("— choose —"))] + choices_fn()

    return choices


def strip(value):
    """Filter: surrounding whitespace is not content, so '   ' counts as empty."""
    return value.strip() if isinstance(value, str) else value


# The filters of a field whose text is typed: stripped.
STRIPPED = [strip]
# A phone number's: full-width digits as ordinary ones, stripped.
PHONE_FILTERS = [normalised]

# Something@something.something, no spaces: WTForms' Email() needs the email_validator package, which is not
# installed (any typed address crashed the form), and a complaint should not be refused over a fussy check.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def int_or_none(value):
    return bounded_int(value)


class Length(validators.Length):
    """A limit on what may be typed, whose refusal names it. The page gives the browser no maxlength (it would
    cut a pasted text silently, _forms.html): the field shows its counter, and the server refuses more."""

    def __init__(self, min=-1, max=-1, message=None):  # noqa: A002 (WTForms' own names)
        super().__init__(min, max, message or _l("Enter %(max)s characters or fewer: this has %(length)s."))


class PhoneNumber:
    """A number that can be called (core.phones), refused with examples of what can be."""

    def __init__(self, message=None):
        self.message = message or _l("Enter a phone number like 138 0013 8000, (0571) 8765 4321 or "
                                     "+44 20 7946 0958.")

    def __call__(self, form, field):
        if field.data and not is_phone_number(field.data):
            raise ValidationError(self.message)


class Required(DataRequired):
    """GOV.UK: an error says what is missing ("Enter “Why it is not accepted”"), so that the error summary
    can be read on its own; "This field is required", repeated, says nothing."""

    def __call__(self, form, field):
        if self.message is None:
            field_message = _l("Enter “%(field)s”.", field=field.label.text)
            return DataRequired(message=field_message)(form, field)
        return super().__call__(form, field)


def required(message=None):
    return Required(message=message)


def active_choices(model) -> list[SelectChoice]:
    """The active departments or categories (`model`) to choose from, by code."""
    # Two columns of the table rather than whole rows: the choices are built on every form, and loading ORM
    # objects into the session for them cost more than the rest of the query (a Core statement, too, skips
    # the ORM's compilation of the statement).
    # A page that only reads (GET) reads them once, however many of its forms offer them (the complaint page's
    # action forms name departments twice); a request that writes may change them, so it reads them each time.
    kept = g.setdefault("active_choices", {}) if has_request_context() and request.method in ("GET", "HEAD") else {}
    key = (model, str(get_locale()))
    if key not in kept:
        columns = model.__table__.c
        rows = db.session.execute(select(columns.id, name_column(model)).where(columns.active)
                                  .order_by(columns.code)).all()
        kept[key] = [SelectChoice(str(ident), label) for ident, label in rows]
    return list(kept[key])


department_choices = optional_choice(lambda: active_choices(Department))
category_choices = optional_choice(lambda: active_choices(Category))
referring_body_choices = optional_choice(lambda: active_choices(ReferringBody))

OFFERED = "offered departments"


def offered_departments() -> list[SelectChoice]:
    """department_choices() for the blank public form, which every visitor opens and whose departments change
    a few times a year: each process keeps what it read, in each language, for KEPT_FOR seconds, as it keeps
    the hospital's details. A change shows at once in the process that made it (forget_offered_departments)
    and within KEPT_FOR on every other worker and server; a form sent is checked against the departments as
    they are then (department_choices), never against these."""
    return kept_a_while(OFFERED, department_choices, key=str(get_locale()))


def forget_offered_departments() -> None:
    """After a department is added, renamed, deactivated or reactivated (or a test empties the tables)."""
    current_app.extensions.pop(OFFERED, None)


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
