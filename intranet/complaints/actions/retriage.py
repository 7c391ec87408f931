"""Re-triage (重新分级): severity, complexity and category changed once a complaint is triaged, with a reason on
the timeline. Reception or leadership re-triage; the department's head proposes, and reception or leadership
accept or reject the proposal (as a malicious finding is proposed and confirmed).

A complaint found major waits for leadership's approval before the complainant is told, wherever it stands:
sign-off sends a major complaint's response to leadership, and a response already signed off without
approval goes to leadership now. Lowered from major, a complaint needs no approval any more, unless it was
already asked for (the response waits for leadership's decision). A new triage that gives the response
another clock moves its due date, recorded with the old and the new date.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, TextAreaField

from ...core.departments import Category
from ...core.extensions import db
from ...core.forms import STRIPPED, Length, category_choices, int_or_none, required
from ...core.time import show_date, today, utcnow
from ...deadlines import policy
from .. import clocks
from ..forms import ActionForm, reason_field
from ..models import Complexity, Severity
from ..notices import (
    RAISED_MAJOR,
    RETRIAGE_ACCEPTED,
    RETRIAGE_PROPOSED,
    RETRIAGE_REJECTED,
    RETRIAGED,
    WAITS_FOR_APPROVAL,
)
from ..spec import ActionInvalid, ActionSpec, Decider, Notice, Shown
from ..states import OPEN, State
from ._shared import COMMENT, HEAD, LEADERSHIP, RECEPTION

# Triaged first from the intake states (triage); changed from registration on. A head proposes once the
# complaint is their department's.
RETRIAGED_FROM = OPEN - {State.submitted}
PROPOSED_FROM = OPEN - {State.submitted, State.registered}
# The response's clock runs until the complainant is answered.
RESPONSE_RUNNING = OPEN - {State.responded}
# Why the triage changes is written out: the department, leadership and the record read it.
REASON_LENGTH = 10
TRIAGE = ("severity", "complexity", "category_id")


def response_due_for(severity: str, complexity: str, start: datetime, rules=None) -> policy.Due:
    """When the response is due for a triage, its clock started at `start`: the one call into the policy
    (`rules`: the response clocks' rules, read once for several dates)."""
    return policy.due(policy.respond_clock(complexity), severity, complexity, start, rules)


def _extended(c) -> bool:
    return any(e.action == "extend" and (e.data or {}).get("clock") == "response_due_on" for e in c.events)


def new_response_due(c, severity: str, complexity: str, rules=None) -> policy.Due | None:
    """The response's new due date under this triage, or None when it stays. It moves only while the response
    is to be given on its first clock (a reopening has a clock of its own), when the policy gives the new
    triage another date than the old one, and not once an extension told the complainant a date; never to
    a day already past."""
    if c.state not in RESPONSE_RUNNING or c.reopened_count or _extended(c):
        return None
    old, new = (response_due_for(c.severity, c.complexity, c.received_at, rules),
                response_due_for(severity, complexity, c.received_at, rules))
    if new == old:
        return None
    new = clocks.within_reply_by(c, new)  # a referring body's earlier date still governs
    if new.on < today() or (new.at is not None and new.at < utcnow()):
        new = policy.Due(today())
    return new if (new.on, new.at) != (c.response_due_on, c.response_due_at) else None


def _category_code(category_id) -> str | None:
    with db.session.no_autoflush:  # the complaint is written once, by perform()
        category = db.session.get(Category, category_id) if category_id else None
    return category.code if category else None


def _checked(c, wanted: dict, reason: str | None) -> dict:
    """What the new triage changes, {field: (was, now)}, refused beside its field: an unknown choice, a
    reason too short, nothing changed."""
    errors = {}
    if wanted.get("severity") not in {s.value for s in Severity}:
        errors["severity"] = str(_l("Choose a severity."))
    if wanted.get("complexity") not in {s.value for s in Complexity}:
        errors["complexity"] = str(_l("Choose a complexity."))
    with db.session.no_autoflush:
        category = db.session.get(Category, wanted["category_id"]) if wanted.get("category_id") else None
    if category is None or not (category.active or category.id == c.category_id):
        errors["category_id"] = str(_l("Choose a category from the list."))
    if len(reason or "") < REASON_LENGTH:
        errors["reason"] = str(_l("Say why the triage changes, in at least %(count)s characters.",
                                           count=REASON_LENGTH))
    changes = {name: (getattr(c, name), wanted.get(name)) for name in TRIAGE if getattr(c, name) != wanted.get(name)}
    if not changes and "severity" not in errors:
        errors["severity"] = str(_l("Nothing would change: choose another severity, complexity or category."))
    if errors:
        raise ActionInvalid(errors)
    return changes


def _recorded(c, changes: dict, due: policy.Due | None) -> dict:
    """The event's data: each changed field as it was and as it is now, and the due date if it moves."""
    data = {}
    for name, (was, now) in changes.items():
        if name == "category_id":
            data.update(category_was=_category_code(was), category=_category_code(now), category_id=now)
        else:
            data.update({f"{name}_was": was, name: now})
    if due is not None:
        data.update(response_due_was=c.response_due_on, response_due_on=due.on)
    return data


def _change(c, wanted: dict, reason: str) -> dict:
    changes = _checked(c, wanted, reason)
    due = new_response_due(c, wanted["severity"], wanted["complexity"])
    recorded = _recorded(c, changes, due)
    for name, (_was, now) in changes.items():
        setattr(c, name, now)
    if due is not None:
        c.set_due("response", due)
    return recorded


def _to_approval(c, data: dict) -> State | None:
    # A response signed off without leadership's approval waits for it once the complaint is major.
    if c.state == State.signed_off and c.is_major and c.approved_at is None:
        return State.awaiting_approval
    return None


GOES_TO_APPROVAL = Decider(_to_approval, outcomes=frozenset({State.awaiting_approval}), keeps=True,
                           reached_from={State.awaiting_approval: frozenset({State.signed_off})},
                           leads_to={State.awaiting_approval: {"severity": Severity.major.value}})

TIMELINE = {
    "severity_was": Shown(_l("Severity was"), Severity), "severity": Shown(_l("Severity now"), Severity),
    "complexity_was": Shown(_l("Complexity was"), Complexity),
    "complexity": Shown(_l("Complexity now"), Complexity),
    "category_was": Shown(_l("Category was"), "category"), "category": Shown(_l("Category now"), "category"),
    "category_id": None,  # its id means nothing to a reader; "category" names it
    "response_due_was": Shown(_l("Response was due"), "date"),
    "response_due_on": Shown(_l("Response now due"), "date"),
}


# --- the form: the new triage, and what it does to the due date ---------------------------------------


class RetriageForm(ActionForm):
    severity = SelectField(_l("Severity"), choices=Severity.choices,
                           description=_l("Major: leadership is told at once and approves the response."))
    complexity = SelectField(_l("Complexity"), choices=Complexity.choices)
    category_id = SelectField(_l("Category"), choices=category_choices, coerce=int_or_none,
                              validators=[required(_l("Choose a category."))])
    reason = TextAreaField(_l("Why the triage changes"), filters=STRIPPED,
                           validators=[required(_l("Say why the triage changes.")), Length(max=5000)],
                           description=_l("At least %(count)s characters; it goes on the timeline.",
                                          count=REASON_LENGTH))


def _triage_now(c) -> dict:
    return {"severity": c.severity, "complexity": c.complexity, "category_id": c.category_id}


def due_dates_hint(c, severity: str) -> str | None:
    """What the form says of the response's due date before anyone confirms: the date under each complexity."""
    if c.state not in RESPONSE_RUNNING:
        return None
    if c.reopened_count or _extended(c):
        return _("The response stays due on %(date)s: a re-triage does not move a date the complainant was "
                 "told.", date=show_date(c.response_due_on, "medium"))
    rules = policy.rules_of(list(policy.RESPOND_CLOCKS))  # one query for both complexities' dates

    def due_with(complexity: str) -> date:
        moved = new_response_due(c, severity, complexity, rules)
        return moved.on if moved is not None else c.response_due_on

    options = _("; ").join(
        _("%(complexity)s: due %(date)s", complexity=option.label, date=show_date(due_with(option.value), "medium"))
        for option in Complexity)
    return _("The response is due on %(date)s. With this triage: %(options)s.",
             date=show_date(c.response_due_on, "medium"), options=options)


def _fit_retriage_form(form, c, user) -> None:
    severity = form.severity.data if form.severity.data in {s.value for s in Severity} else c.severity
    form.complexity.description = due_dates_hint(c, severity)


def _retriage(c, user, data: dict) -> dict:
    return {**_change(c, {name: data.get(name) for name in TRIAGE}, data.get("reason")),
            "reason": data.get("reason")}


def _example(ex) -> dict:
    c = ex.complaint
    return {"severity": Severity.minor.value if c is not None and c.severity == Severity.serious else "serious",
            "complexity": c.complexity if c is not None else "simple", "category_id": ex.category_id,
            "reason": "The investigation found more harm than the complainant first described."}


retriage = ActionSpec(
    "retriage", _l("Re-triage"), roles=frozenset({RECEPTION, LEADERSHIP}), sources=RETRIAGED_FROM,
    target=GOES_TO_APPROVAL, records="severity, complexity, category as they were and are; the reason; the due date",
    form=RetriageForm, fit_form=_fit_retriage_form, prefill=_triage_now, apply=_retriage,
    notices=(RAISED_MAJOR, WAITS_FOR_APPROVAL, Notice(RETRIAGED, lambda b, c: c.department_id is not None)),
    timeline={**TIMELINE, "reason": Shown(_l("Why the triage changed"))},
    example=_example,
)


# --- the head's proposal, and its decision --------------------------------------------------------------

# The steps after which a proposal no longer waits: decided, superseded by a re-triage, or the complaint
# given to another department.
ENDS_A_PROPOSAL = frozenset({"propose_retriage", "accept_retriage", "reject_retriage", "retriage", "assign",
                             "send_back"})


def proposal(c):
    """The head's proposal waiting for reception's or leadership's decision (its event), or None."""
    for event in reversed(c.events):
        if event.action in ENDS_A_PROPOSAL:
            return event if event.action == "propose_retriage" else None
    return None


def _propose(c, user, data: dict) -> dict:
    wanted = {name: data.get(name) for name in TRIAGE}
    changes = _checked(c, wanted, data.get("reason"))
    # What it would do, recorded for whoever decides; nothing changes until then.
    return {**_recorded(c, changes, new_response_due(c, wanted["severity"], wanted["complexity"])),
            "reason": data.get("reason")}


propose_retriage = ActionSpec(
    "propose_retriage", _l("Propose a re-triage"), roles=frozenset({HEAD}), sources=PROPOSED_FROM, target=None,
    only_when=lambda c: proposal(c) is None, records="the triage proposed and why; reception or leadership decide",
    form=RetriageForm, fit_form=_fit_retriage_form, prefill=_triage_now, apply=_propose,
    notices=(Notice(RETRIAGE_PROPOSED),),
    timeline={**TIMELINE, "severity": Shown(_l("Severity proposed"), Severity),
              "complexity": Shown(_l("Complexity proposed"), Complexity),
              "category": Shown(_l("Category proposed"), "category"),
              "response_due_on": Shown(_l("Response would be due"), "date"),
              "reason": Shown(_l("Why the head proposes it"))},
    example=_example,
)


def _proposed_triage(c) -> dict:
    event = proposal(c)
    data = event.data if event is not None else {}
    return {**_triage_now(c), **{name: data[name] for name in TRIAGE if name in data}}


def _category_name(code) -> str:
    with db.session.no_autoflush:
        category = db.session.scalar(select(Category).where(Category.code == code)) if code else None
    return category.name if category else (code or "—")


def proposal_hint(c) -> str | None:
    """What the head proposes, as the deciding forms show it: each change as it was and would be, and why."""
    event = proposal(c)
    if event is None:
        return None
    data = event.data or {}
    parts = []
    for name, kind in (("severity", Severity), ("complexity", Complexity)):
        if name in data:
            parts.append(_("%(what)s: %(was)s → %(now)s", what=_l("Severity") if name == "severity" else
                           _l("Complexity"), was=kind(data[f"{name}_was"]).label, now=kind(data[name]).label))
    if "category" in data:
        parts.append(_("%(what)s: %(was)s → %(now)s", what=_l("Category"), was=_category_name(data["category_was"]),
                       now=_category_name(data["category"])))
    if "response_due_on" in data:
        parts.append(_("%(what)s: %(was)s → %(now)s", what=_l("Response due"),
                       was=show_date(date.fromisoformat(data["response_due_was"]), "medium"),
                       now=show_date(date.fromisoformat(data["response_due_on"]), "medium")))
    return _("%(who)s proposes: %(changes)s. Why: %(reason)s",
             who=event.actor.display_name if event.actor else "", changes=_("; ").join(parts),
             reason=data.get("reason") or "")


def _fit_decision_form(form, c, user) -> None:
    form.comment.description = proposal_hint(c)  # read before the comment is written


class AcceptRetriageForm(ActionForm):
    comment = TextAreaField(_l("Comment"), filters=STRIPPED, validators=[Length(max=5000)])


def _accept(c, user, data: dict) -> dict:
    event = proposal(c)
    reason = (event.data or {}).get("reason") if event is not None else None
    try:
        changed = _change(c, _proposed_triage(c), reason)
    except ActionInvalid as refused:  # the deciding form has one field to say it beside
        raise ActionInvalid({"comment": " ".join(refused.errors.values())}) from None
    return {**changed, "reason": reason, "comment": data.get("comment")}


accept_retriage = ActionSpec(
    "accept_retriage", _l("Accept the proposed re-triage"), roles=frozenset({RECEPTION, LEADERSHIP}),
    sources=PROPOSED_FROM, target=GOES_TO_APPROVAL, only_when=lambda c: proposal(c) is not None,
    records="the proposed triage now stands; comment", primary=True,
    form=AcceptRetriageForm, fit_form=_fit_decision_form, apply=_accept, done=lambda c: proposal(c) is None,
    notices=(RAISED_MAJOR, WAITS_FOR_APPROVAL, Notice(RETRIAGE_ACCEPTED)),
    timeline={**TIMELINE, "reason": Shown(_l("Why the head proposed it")), "comment": COMMENT},
    example=lambda ex: {"comment": "Agreed."},
    example_complaint={"retriage_proposed": True},
)


class RejectRetriageForm(ActionForm):
    comment = reason_field(_l("Why the triage stays as it is"))


def _reject(c, user, data: dict) -> dict:
    event = proposal(c)
    return {"reason": (event.data or {}).get("reason") if event is not None else None, "comment": data["comment"]}


reject_retriage = ActionSpec(
    "reject_retriage", _l("Reject the proposed re-triage"), roles=frozenset({RECEPTION, LEADERSHIP}),
    sources=PROPOSED_FROM, target=None, only_when=lambda c: proposal(c) is not None,
    records="why not; the triage stays", form=RejectRetriageForm, fit_form=_fit_decision_form, apply=_reject,
    notices=(Notice(RETRIAGE_REJECTED),),
    timeline={"reason": Shown(_l("Why the head proposed it")), "comment": COMMENT},
    example=lambda ex: {"comment": "The harm was already known at triage."},
    example_complaint={"retriage_proposed": True},
)
