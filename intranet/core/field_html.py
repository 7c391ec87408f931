"""A form field's HTML, rendered once for every field that looks the same.

The complaint page shows a form for each action that may be done, a dozen forms and some thirty fields,
and rendering them through the `field` macro of _forms.html and WTForms' widgets was a third of the page's
CPU. Most of those fields are the same from one complaint to the next (a reason to type, a date, a choice
of method), so a field's HTML is kept, keyed by everything its rendering reads: the field's class and
widget, id, name, label, hint, errors, flags, attributes, value and choices, and the language. A field
whose class is not one of WTForms' plain ones, or that holds a long text, is rendered every time.
"""

from __future__ import annotations

import threading

from flask_babel import get_locale
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.widgets import HiddenInput

# Fields whose rendering reads only what `_key()` puts in the key (their widgets are WTForms' own).
PLAIN = frozenset({StringField, TextAreaField, DateField, BooleanField, SelectField, RadioField, TelField, EmailField,
                   IntegerField})
CHOOSING = (SelectField, RadioField)
# A value longer than this is the complaint's own text: it would never be shown twice, so it is not kept.
LONGEST_VALUE = 200
# At most this many fields' HTML per worker (a field's is under 2 KB: a few MB at most).
KEPT = 2000

_kept: dict[tuple, Markup] = {}
_lock = threading.Lock()


class _Unkeyable(Exception):
    """Something in the field that the key cannot hold: it is rendered as it is."""


def _frozen(value):
    """`value` as something hashable that compares equal exactly when it renders the same."""
    kind = type(value)
    if kind is str or value is None or kind is int:  # the common cases first: a page has hundreds
        return value
    if kind is bool:  # True == 1: kept apart
        return ("bool", value)
    if kind is SelectChoice:
        render_kw = value.render_kw
        label = value.label
        return ("choice", _frozen(value.value), label if type(label) is str else _frozen(label),
                _frozen(render_kw) if render_kw else None, value.optgroup)
    if kind is list or kind is tuple:
        return tuple(_frozen(item) for item in value)
    if hasattr(value, "__html__"):  # Markup (a str shown unescaped) and lazy strings (which render as Markup)
        return ("text", str(value), True)
    if isinstance(value, str | float):
        return value
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if hasattr(value, "isoformat"):  # a date
        return (type(value).__name__, value.isoformat())
    raise _Unkeyable(type(value).__name__)


def _key(field) -> tuple | None:
    kind = type(field)
    if kind not in PLAIN or getattr(field, "_datalist", None) is not None:
        return None
    value = field._value() if hasattr(field, "_value") else None
    data = field.data
    if (isinstance(value, str) and len(value) > LONGEST_VALUE) or (
            isinstance(data, str) and len(data) > LONGEST_VALUE):
        return None
    try:
        key = (
            str(get_locale()), kind, type(field.widget), _frozen(vars(field.widget)), field.id, field.name,
            _frozen(field.label.text), field.label.field_id, _frozen(field.description), _frozen(list(field.errors)),
            _frozen(vars(field.flags)), _frozen(field.render_kw), _frozen(value), _frozen(data),
            _frozen(getattr(field, "checked", None)),
        )
        if isinstance(field, CHOOSING):
            choices = field.choices
            key += (_frozen(choices if isinstance(choices, dict | list | tuple) or choices is None else list(choices)),
                    field.coerce, type(field.option_widget) if isinstance(field, RadioField) else None)
    except _Unkeyable:
        return None
    return key


def field_html(macro, field) -> Markup:
    """What `macro(field)` renders (the `field` macro of _forms.html), rendered once per look of the field."""
    key = _key(field)
    if key is None:
        return macro(field)
    html = _kept.get(key)
    if html is None:
        html = macro(field)
        with _lock:
            if len(_kept) >= KEPT:
                _kept.clear()
            _kept[key] = html
    return html


def hidden_html(field) -> Markup:
    """A hidden field (a form's CSRF token, the complaint's version) as WTForms' HiddenInput renders it:
    `<input id name type value>`, its attributes in WTForms' (sorted) order, written out directly rather
    than through WTForms' attribute formatting, which cost more than the page's other fields together.
    Anything beyond a plain hidden field goes through WTForms."""
    if (type(field.widget) is not HiddenInput or field.render_kw or vars(field.flags).get("disabled")
            or getattr(field, "_datalist", None) is not None):
        return field()
    return Markup(f'<input id="{escape(field.id)}" name="{escape(field.name)}" type="hidden" '
                  f'value="{escape(field._value())}">')
