"""Every lifecycle action, one spec each (see `complaints/spec.py`), in the order the actions panel offers
them. To add an action: declare its spec in the module of its phase and list it here; the lifecycle
table, the endpoint, the panel, the timeline, /track, the notifications, the planner and the tests follow."""

from .answer import follow_up, respond
from .any_time import escalate, extend, note, withdraw
from .department import accept, assign, record_findings, send_back, sign_off
from .intake import acknowledge, decline, log, resolve_on_the_spot, submit, triage
from .leadership import approve, return_for_rework

SPECS = (
    submit, log, triage, acknowledge, resolve_on_the_spot, decline,
    assign, accept, send_back, record_findings, sign_off,
    approve, return_for_rework,
    respond, follow_up,
    extend, escalate, note, withdraw,
)
