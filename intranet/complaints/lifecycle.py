"""The complaint lifecycle: SPEC §3's table, built from the action specs (the single source of truth).

`SPECS` maps each `Action` to its spec (`complaints/actions/`); who may act, from which state, to which
state is read from there by `can()`, `perform()` (the only writer of `status`), the action endpoint, the
actions panel and the queue rows, the timeline, /track, notifications, the planner and the tests.
"""

from __future__ import annotations

import enum
import heapq
from dataclasses import dataclass
from functools import cache

from ..core.roles import STAFF, USER_ROLES, Role  # noqa: F401  (re-exported: the lifecycle's vocabulary)
from .actions import SPECS as _SPECS
from .permissions import can
from .recording import COMPLAINTS
from .spec import ActionSpec, Decider
from .states import ALL, OPEN, STATES, TERMINAL, WITH_DEPARTMENT, State  # noqa: F401  (re-exported)


class _ActionBase(enum.StrEnum):
    @property
    def spec(self) -> ActionSpec:
        return SPECS[self]

    @property
    def record_kind(self):
        return COMPLAINTS

    @property
    def label(self) -> str:
        return str(SPECS[self].label)


# The actions are the specs' names: declaring a spec is all it takes to add one.
Action = _ActionBase("Action", [(spec.name, spec.name) for spec in _SPECS])

SPECS: dict[Action, ActionSpec] = {Action(spec.name): spec for spec in _SPECS}

# Actions done on an existing complaint, in the order the actions panel offers them.
COMPLAINT_ACTIONS = tuple(a for a, spec in SPECS.items() if not spec.creates)


@cache
def actions_from(state: State) -> tuple[Action, ...]:
    return tuple(a for a in COMPLAINT_ACTIONS if state in SPECS[a].sources)


def offered(user, complaint) -> list[Action]:
    """The actions `can()` allows `user` on `complaint` now, in the actions panel's order."""
    return [a for a in actions_from(complaint.state) if can(user, a, complaint)]


def table() -> set[tuple[str, frozenset[str], frozenset[str] | None, frozenset[str]]]:
    """(action, roles, from, to) for every action: the lifecycle table as the product brief writes it."""
    return {
        (a.value, frozenset(r.value for r in spec.roles),
         frozenset(s.value for s in spec.sources) if spec.sources is not None else None, _targets(spec))
        for a, spec in SPECS.items()
    }


def _targets(spec: ActionSpec) -> frozenset[str]:
    if spec.target is None:
        return frozenset({"same"})
    if isinstance(spec.target, Decider) and spec.target.keeps:  # "same, or …"
        return frozenset(s.value for s in spec.target.outcomes) | {"same"}
    return frozenset(s.value for s in spec.possible_targets())


# --- the planner: a path through the table to any state ----------------------------------------------------


@dataclass(frozen=True)
class Step:
    action: Action
    role: Role  # who does it: the first staff role the table allows (a head is the complaint's department's)
    data: dict  # what decides a decided target, merged over the action's example


def _actor(spec: ActionSpec) -> Role:
    for role in (Role.reception, Role.head, Role.leadership, Role.public):
        if role in spec.roles:
            return role
    raise ValueError(spec.name)


def path_to(target: State, start: State = State.submitted, anonymous: bool = False) -> list[Step]:
    """The cheapest path of actions from `start` to `target` through the lifecycle table.

    Primary actions (the main line of SPEC §3) cost 1 and side actions 10, so that the path to `closed` is
    the one a complaint usually takes (triage, assign, accept, findings, sign-off, respond, follow-up) and
    not a resolution on the spot. An action that requires another first (sign-off needs findings) has the
    other inserted before it. Each step names the data that makes a decider choose the planned state; a
    decider that depends on the complaint rather than the data (sign-off of a major complaint) is the
    caller's to arrange (triage it as major). An anonymous complaint's path (`anonymous`) takes only the
    actions for it: no answer and no follow-up, the office's conclusion instead.
    """
    frontier: list[tuple[int, int, State, list[Step]]] = [(0, 0, start, [])]
    best: dict[State, int] = {start: 0}
    counter = 0
    while frontier:
        cost, _, state, path = heapq.heappop(frontier)
        if state == target:
            return path
        for action in actions_from(state):
            spec = SPECS[action]
            if spec.target is None:  # keeps the state: never a step on the way somewhere
                continue
            if spec.anonymous is not None and spec.anonymous != anonymous:  # not for this complainant
                continue
            # A decider that may keep the state moves only to its outcomes (from where it reaches them).
            for nxt in spec.target.outcomes if isinstance(spec.target, Decider) else spec.possible_targets():
                if nxt == state or (isinstance(spec.target, Decider) and not spec.target.reaches(state, nxt)):
                    continue
                steps = [Step(Action(req.action), _actor(req.spec), {}) for req in spec.requires if req.planned]
                leads = spec.target.leads_to.get(nxt, {}) if isinstance(spec.target, Decider) else {}
                steps.append(Step(action, _actor(spec), dict(leads)))
                new_cost = cost + sum(1 if SPECS[s.action].primary else 10 for s in steps)
                if new_cost < best.get(nxt, 1 << 30):
                    best[nxt] = new_cost
                    counter += 1
                    heapq.heappush(frontier, (new_cost, counter, nxt, path + steps))
    raise ValueError(f"no path from {start} to {target}")
