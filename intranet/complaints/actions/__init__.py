"""Every lifecycle action, one spec each (see `complaints/spec.py`), in the modules of its phase.

To add an action, declare its `ActionSpec` in the module of its phase: the lifecycle table, the endpoint,
the panel, the timeline, /track, the notifications, the planner and the tests follow. The actions panel
offers them in the order of the phases below and, within a phase, in the order they are declared.
"""

from ..spec import ActionSpec
from . import (
    answer,
    any_time,
    co_handling,
    department,
    dispute,
    intake,
    leadership,
    people,
    referral,
    remedy,
    retriage,
)

PHASES = (intake, department, co_handling, people, leadership, remedy, answer, referral, retriage, dispute, any_time)


def _declared(module) -> list[ActionSpec]:
    return [value for value in vars(module).values() if isinstance(value, ActionSpec)]


SPECS: tuple[ActionSpec, ...] = tuple(spec for phase in PHASES for spec in _declared(phase))
if len({spec.name for spec in SPECS}) != len(SPECS):
    raise RuntimeError("an action is declared twice (a spec imported into another phase's module?)")
