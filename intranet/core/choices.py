"""A stored code with a translated label: the one base for every enumeration a person reads."""

from __future__ import annotations

import enum

from wtforms import SelectChoice


class Labelled(enum.StrEnum):
    """Subclasses define LABELS() (lazily translated, so evaluated per request in the reader's language)."""

    @staticmethod
    def LABELS() -> dict:  # noqa: N802
        raise NotImplementedError

    @property
    def label(self) -> str:
        return str(type(self).LABELS()[self])

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        return [SelectChoice(m.value, m.label) for m in cls]
