"""How an event's recorded data reads on the timeline: each field as its action's spec declares it."""

from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import date

from flask_babel import lazy_gettext as _l

from ..core.time import show_date
from ..deadlines.models import BreachClock
from .lifecycle import SPECS, Action
from .spec import Shown

# Fields perform() adds to any action's event.
COMMON = {
    "level": Shown(_l("Escalation level")),
    "automatic": None,  # the actor column already says "System"
}


class LazyNames(Mapping):
    """The names describe() looks codes up in, read by `load()` only when an event first names one."""

    def __init__(self, load: Callable[[], dict[tuple[str, str], str]]):
        self._load, self._names = load, None

    def _read(self) -> dict[tuple[str, str], str]:
        if self._names is None:
            self._names = self._load()
        return self._names

    def __getitem__(self, key: tuple[str, str]) -> str:
        return self._read()[key]

    def __iter__(self):
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def shown(action: str, key: str) -> Shown | None:
    """How `key` of an `action` event reads; KeyError for a field nobody declared (the completeness test
    runs every action's example and asks for each field)."""
    spec = SPECS[Action(action)]
    if key in spec.timeline:
        return spec.timeline[key]
    return COMMON[key]


def _missed(value) -> str:
    """The SLA sweep's escalations list the due dates that were missed."""
    parts = []
    for item in value if isinstance(value, list) else []:
        with suppress(KeyError, ValueError, TypeError):
            parts.append(str(_l("%(clock)s due %(date)s", clock=BreachClock(item["clock"]).label,
                                date=show_date(date.fromisoformat(item["due_on"]), "medium"))))
    return "; ".join(parts)


def shown_value(kind, value, names: Mapping[tuple[str, str], str]) -> str:
    """One field of an event in a reader's words, by the kind its spec gives it."""
    if kind == "missed":
        return _missed(value)
    if isinstance(kind, Mapping):  # a stored code (or a list of them) and what it says
        values = value if isinstance(value, list) else [value]
        return "; ".join(str(kind.get(v, v)) for v in values)
    if kind in ("department", "category", "referring_body"):
        return names.get((kind, value), value)
    if kind == "date" and isinstance(value, str):
        with suppress(ValueError):
            return show_date(date.fromisoformat(value), "medium")
    if kind == "bool" or isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(kind, type):  # a Labelled enum
        with suppress(ValueError):
            return kind(value).label
    if isinstance(value, list):  # several of a kind (the people named at once): one after another
        return "; ".join(str(v) for v in value)
    return str(value)


def describe(event, names: Mapping[tuple[str, str], str]) -> list[tuple[str, str]]:
    """(label, value) pairs for the event's data, in a reader's words; `names` gives the name of each
    ("department" or "category", code)."""
    rows = []
    for key, value in (event.data or {}).items():
        try:
            how = shown(event.action, key)
        except (KeyError, ValueError):
            # Recorded by an older version of an action: show it as it was stored rather than lose it.
            rows.append((key, str(value)))
            continue
        if how is None:
            continue
        rows.append((str(how.label), shown_value(how.kind, value, names)))
    return rows
