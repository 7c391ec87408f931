"""A stored code with a translated label: the one base for every enumeration a person reads."""

from __future__ import annotations

import enum

from flask import g, has_request_context
from flask_babel import get_locale
from wtforms import SelectChoice

_TABLES: dict[type, dict] = {}


class Labelled(enum.StrEnum):
    """Subclasses define LABELS() (lazily translated, so evaluated per request in the reader's language)."""

    @staticmethod
    def LABELS() -> dict:  # noqa: N802
        raise NotImplementedError

    @property
    def label(self) -> str:
        # The table of lazy strings is the same for every request (each translates when read), so it is
        # built once per enumeration rather than once per label read: a page reads hundreds of labels.
        cls = type(self)
        table = _TABLES.get(cls)
        if table is None:
            table = _TABLES[cls] = cls.LABELS()
        return str(table[self])

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        # Read once per request and language: the complaint page's forms offer the same choices many times.
        if not has_request_context():
            return [SelectChoice(m.value, m.label) for m in cls]
        kept = g.setdefault("labelled_choices", {})
        key = (cls, str(get_locale()))
        if key not in kept:
            kept[key] = [SelectChoice(m.value, m.label) for m in cls]
        return list(kept[key])
