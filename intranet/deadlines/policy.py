"""The deadline policy: how long each clock gives a complaint of each severity, and the due moments it sets.

One rule per clock and severity (the response clock's two variants are its complexity), each an amount of
working days or of hours. A working-day clock is due by the end of its last working day; an hours clock is
due at the very moment so many elapsed hours after it starts (nights, weekends and holidays count: "within
24 hours" is a day and a night, whatever the calendar says).

A due moment is worked out once, when the clock starts, and stored on the complaint; changing the policy
afterwards changes only the complaints that start a clock later (it never rewrites history).
`due()` is the one answer to "when is clock C due for a complaint of severity S and complexity X started at
T": everything that sets a due date asks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..core.admin_events import record
from ..core.extensions import db
from ..core.time import hospital_tz, local, utcnow
from ..core.versioned import claim
from .calendar import add_working_days
from .models import DEFAULT_DAYS, MAX_DAYS, MAX_HOURS, SEVERITIES, Clock, DeadlinePolicy, Unit

RESPOND_CLOCKS = (Clock.respond_simple, Clock.respond_several_departments)


@dataclass(frozen=True)
class Rule:
    amount: int
    unit: Unit

    @property
    def in_hours(self) -> bool:
        return self.unit == Unit.hours


@dataclass(frozen=True)
class Due:
    """A due date as the complaint stores it: `on`, the hospital date (shown, and the day a working-day clock
    ends); `at`, the exact moment, for a clock in hours only (None: due by the end of `on`)."""

    on: date
    at: datetime | None = None


DEFAULT_RULES = {(clock, severity): Rule(DEFAULT_DAYS[clock], Unit.working_days)
                 for clock in Clock for severity in SEVERITIES}


def max_amount(unit: Unit | str) -> int:
    return MAX_HOURS if Unit(unit) == Unit.hours else MAX_DAYS


def respond_clock(complexity: str) -> Clock:
    return Clock.respond_several_departments if complexity == "several_departments" else Clock.respond_simple


def _severity(severity: str | None) -> str:
    severity = getattr(severity, "value", severity) or SEVERITIES[0]
    if severity not in SEVERITIES:
        raise ValueError(severity)
    return severity


def _stored(clocks: list[Clock], severity: str | None = None) -> dict[tuple[Clock, str], Rule]:
    query = select(DeadlinePolicy.clock, DeadlinePolicy.severity, DeadlinePolicy.amount, DeadlinePolicy.unit)
    query = query.where(DeadlinePolicy.clock.in_([c.value for c in clocks]))
    if severity is not None:
        query = query.where(DeadlinePolicy.severity == severity)
    # No autoflush: this runs in the middle of an operation, whose complaint must be written once (each
    # UPDATE bumps the optimistic-lock version).
    with db.session.no_autoflush:
        rows = db.session.execute(query).all()
    return {(Clock(clock), sev): Rule(amount, Unit(unit)) for clock, sev, amount, unit in rows}


def rule(clock: Clock | str, severity: str | None = None) -> Rule:
    """The rule for a clock and a severity (a missing row answers with SPEC §4's default, so a deadline is
    never left unset)."""
    clock, severity = Clock(clock), _severity(severity)
    return _stored([clock], severity).get((clock, severity), DEFAULT_RULES[clock, severity])


def all_rules() -> dict[tuple[Clock, str], Rule]:
    """Every (clock, severity) with its rule, clocks in their order, severities mildest first."""
    stored = _stored(list(Clock))
    return {key: stored.get(key, default) for key, default in DEFAULT_RULES.items()}


def rows() -> dict[tuple[Clock, str], DeadlinePolicy]:
    """The stored rows, for the admin page (their versions and who changed them last)."""
    return {(Clock(r.clock), r.severity): r for r in db.session.scalars(select(DeadlinePolicy))}


def set_rule(clock: Clock | str, severity: str, amount: int, unit: Unit | str = Unit.working_days,
             user=None, seen_version: int | None = None) -> DeadlinePolicy:
    """Change one rule (the caller commits), logged with who and when (AdminEvent). Raises ValueError for an
    amount out of range for its unit, and Stale if the rule changed since `seen_version` (the page's, 0 if it
    showed no row; None: the command line, whatever it is now)."""
    clock, severity, unit = Clock(clock), _severity(severity), Unit(unit)
    if not 1 <= amount <= max_amount(unit):
        raise ValueError(amount)
    row = db.session.scalar(select(DeadlinePolicy).where(DeadlinePolicy.clock == clock.value,
                                                         DeadlinePolicy.severity == severity))
    if row is None:  # a table made without the migration's rows: the default it answered with until now
        default = DEFAULT_RULES[clock, severity]
        row = DeadlinePolicy(clock=clock.value, severity=severity, amount=default.amount,
                             unit=default.unit.value, version=1)
        db.session.add(row)
        db.session.flush()
    else:
        claim(row, seen_version)
    was = {"amount": row.amount, "unit": row.unit}
    row.amount, row.unit = amount, unit.value
    row.updated_at = utcnow()
    row.updated_by_id = getattr(user, "id", None)
    record(user, row, "change_deadline", clock=clock.value, severity=severity, amount=amount, unit=unit.value,
           was=was)
    return row


def change(user, seen: dict[tuple[Clock, str], int | None], rules: dict[tuple[Clock, str], Rule]) -> list:
    """Save the rules that differ from the stored ones, each at the version the administrator saw (the
    caller commits; Stale: nothing is saved). Returns the keys changed."""
    current = all_rules()
    changed = [key for key, new in rules.items() if current[key] != new]
    for clock, severity in changed:
        new = rules[clock, severity]
        set_rule(clock, severity, new.amount, new.unit, user, seen.get((clock, severity)))
    return changed


# --- working days for every severity at once (the command line's plain `set`, and older callers) ----------


def working_days(clock: Clock | str, severity: str | None = None) -> int:
    """The clock's amount for a severity (minor unless said), whatever its unit."""
    return rule(clock, severity).amount


def all_working_days() -> dict[Clock, int]:
    """Each clock's amount for a minor complaint."""
    return {clock: r.amount for (clock, severity), r in all_rules().items() if severity == SEVERITIES[0]}


def set_working_days(clock: Clock | str, days: int, user=None) -> list[DeadlinePolicy]:
    """The clock in `days` working days for every severity."""
    return [set_rule(clock, severity, days, Unit.working_days, user) for severity in SEVERITIES]


# --- due moments ------------------------------------------------------------------------------------------


def _as_moment(start: datetime | date) -> datetime:
    """A clock started on a date only (a follow-up from the date told) starts at that day's beginning."""
    if isinstance(start, datetime):
        return start
    return datetime.combine(start, time(0), tzinfo=hospital_tz())


def _apply(rule_: Rule, start: datetime | date) -> Due:
    if rule_.in_hours:
        at = _as_moment(start) + timedelta(hours=rule_.amount)
        return Due(on=local(at).date(), at=at)
    day = local(start).date() if isinstance(start, datetime) else start
    return Due(on=add_working_days(day, rule_.amount))


def due(clock: Clock | str, severity: str | None, complexity: str | None, start: datetime | date,
        rules: dict[tuple[Clock, str], Rule] | None = None) -> Due:
    """When clock C is due for a complaint of severity S and complexity X whose clock starts at T, by
    today's policy. For a response clock (either variant) the complexity chooses the variant. `rules`: the
    policy's rules as rules_of() read them, for a caller working out several dates at once."""
    clock = Clock(clock)
    if clock in RESPOND_CLOCKS and complexity is not None:
        clock = respond_clock(complexity)
    if rules is not None:
        return _apply(rules[clock, _severity(severity)], start)
    return _apply(rule(clock, severity), start)


def rules_of(clocks: list[Clock]) -> dict[tuple[Clock, str], Rule]:
    """The rules of `clocks` for every severity, from one query (missing rows answer with the defaults)."""
    clocks = [Clock(clock) for clock in clocks]
    stored = _stored(clocks)
    return {(clock, severity): stored.get((clock, severity), DEFAULT_RULES[clock, severity])
            for clock in clocks for severity in SEVERITIES}


def dues(clocks: list[Clock], severity: str | None, start: datetime | date) -> dict[Clock, Due]:
    """due() for several clocks starting at once, from one query (a new complaint starts two)."""
    clocks, severity = [Clock(clock) for clock in clocks], _severity(severity)
    stored = _stored(clocks, severity)
    return {clock: _apply(stored.get((clock, severity), DEFAULT_RULES[clock, severity]), start) for clock in clocks}


def due_on(clock: Clock | str, start: date, severity: str | None = None) -> date:
    """The due date alone, for a clock starting on a hospital date (a planning estimate: scripts, the demo)."""
    return due(clock, severity, None, start).on


def end_of(day: date) -> datetime:
    """The moment a working-day clock due on `day` is missed: the hospital's next midnight."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=hospital_tz())
