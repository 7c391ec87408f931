"""Co-handling (协同处理): the office asks other departments to contribute to a complaint its lead department
answers; each contributing head records the department's part; the lead head signs off once every part is
in, or leadership waives a part with a reason. The rows are in `contributions.py`; who may see and do what
is `permissions.contributes()` and the specs' `contributors_only`."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Optional

from ...core.departments import Department
from ...core.extensions import db
from ...core.forms import STRIPPED, Length, department_choices, int_or_none, optional_choice, required
from ...core.time import show_date, today, utcnow
from ...deadlines.calendar import is_working_day
from ..contributions import CONTRIBUTION_FINDINGS, Contribution, contribution_of, current_contributions, outstanding
from ..forms import ActionForm, reason_field
from ..models import Complexity, Responsibility
from ..notices import CONTRIBUTION_ASKED, CONTRIBUTION_RECORDED, CONTRIBUTION_WAIVED, CONTRIBUTION_WITHDRAWN
from ..spec import HIDDEN, ActionInvalid, ActionSpec, Notice, Shown
from ..states import State
from ._shared import HEAD, LEADERSHIP, REASON, RECEPTION

# A contributing department's part is due this many working days before the lead's response, so that the
# lead has them in hand to write the answer (never before today).
AHEAD_WORKING_DAYS = 2
# Leadership's reason to let the lead sign off without a part: more than a word or two.
WAIVE_REASON_LENGTH = 10
# While a lead department works on it: asked for once it is assigned, until it is signed off.
WORKED_ON = frozenset({State.assigned, State.investigating})

DEPARTMENT = Shown(_l("Department"), "department")
CONTRIBUTION_DUE = Shown(_l("Contribution due"), "date")


def working_days_before(day: date, days: int) -> date:
    """The working day `days` working days before `day` (`day` itself does not count)."""
    current = day
    while days > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            days -= 1
    return current


def default_due(c) -> date:
    """A part's due date unless one is given: a few working days before the lead's response, never past."""
    if c.response_due_on is None:
        return today()
    return max(today(), min(c.response_due_on, working_days_before(c.response_due_on, AHEAD_WORKING_DAYS)))


def _department_choices_of(rows):
    return [SelectChoice(str(r.department_id), r.department.name) for r in rows]


def _chosen(c, data: dict, rows, message) -> Contribution:
    row = next((r for r in rows if r.department_id == data.get("department_id")), None)
    if row is None:
        raise ActionInvalid({"department_id": str(message)})
    return row


def follow_the_lead(c) -> None:
    """Keep each contributing row's copy of the lead department current (the CHECK that a contributor is not
    the lead reads it); called by the steps that change the lead."""
    for row in current_contributions(c):
        if row.lead_department_id != c.department_id:
            row.lead_department_id = c.department_id


# --- ask a department to contribute ---------------------------------------------------------------------


class AskContributionForm(ActionForm):
    department_id = SelectField(_l("Contributing department"), choices=department_choices, coerce=int_or_none,
                                validators=[required(_l("Choose a department."))])
    due_on = DateField(_l("Its part is due"), validators=[Optional()],
                       description=_l("Before the lead department's response; left empty, %(days)s working days "
                                      "before it.", days=AHEAD_WORKING_DAYS))
    note = TextAreaField(_l("What the department is asked to look into"), filters=STRIPPED,
                         validators=[Length(max=5000)])


def _ask(c, user, data: dict) -> dict:
    with db.session.no_autoflush:  # the complaint is written once, by perform()
        department = db.session.get(Department, data.get("department_id"))
        if department is None or not department.active:
            raise ActionInvalid({"department_id": str(_l("Choose an active department."))})
        if department.id == c.department_id:
            raise ActionInvalid({"department_id": str(_l(
                "%(department)s is the lead department: it answers the complaint, it does not contribute to it.",
                department=department.name))})
        if contribution_of(c, department.id) is not None:
            raise ActionInvalid({"department_id": str(_l("%(department)s is already asked to contribute.",
                                                         department=department.name))})
        due = data.get("due_on") or default_due(c)
        if due < today():
            raise ActionInvalid({"due_on": str(_l("The due date cannot be in the past."))})
        # By the lead's date; a lead already late has its parts due from today on (never in the past).
        if c.response_due_on is not None and today() <= c.response_due_on < due:
            raise ActionInvalid({"due_on": str(_l(
                "The part must be in by the lead department's response, due on %(date)s.",
                date=show_date(c.response_due_on, "medium")))})
        row = next((r for r in c.contributions if r.department_id == department.id), None)
        now = utcnow()
        if row is None:  # asked again after a removal: the same row comes back, its part to record anew
            row = Contribution(department_id=department.id, department=department)
            c.contributions.append(row)
        row.lead_department_id, row.due_on, row.added_by_id, row.added_at, row.removed_at = (
            c.department_id, due, user.id, now, None)
        row.findings = row.people = row.responsibility = row.remedy_proposal = None
        row.contributed_by_id = row.contributed_at = None
        row.waived_by_id = row.waived_at = row.waived_reason = None
        return {"department": department.code, "due_on": due, "note": data.get("note"),
                # The triage says one department: the page says so, and re-triage decides (the clock stays).
                "complexity_simple": c.complexity == Complexity.simple.value or None}


ask_contribution = ActionSpec(
    "ask_contribution", _l("Ask a department to contribute"), roles=frozenset({RECEPTION, LEADERSHIP}),
    sources=WORKED_ON, target=None, records="the contributing department, its due date, what it is asked",
    # An integrity complaint is the discipline office's alone: no department works on it.
    only_when=lambda c: not c.integrity,
    form=AskContributionForm, apply=_ask,
    notices=(Notice(CONTRIBUTION_ASKED, to_department="department"),),
    timeline={"department": DEPARTMENT, "due_on": CONTRIBUTION_DUE, "note": Shown(_l("Note")),
              "complexity_simple": Shown(_l("Triaged as one department's"), "bool")},
    example=lambda ex: {"department_id": _other_department(ex)},
)


def _other_department(ex) -> int | None:
    """An active department that is not the complaint's lead nor already asked (for the example)."""
    c = ex.complaint
    taken = {c.department_id, *(r.department_id for r in current_contributions(c))} if c is not None else set()
    return db.session.scalar(select(Department.id).where(Department.active.is_(True), Department.id.not_in(
        [t for t in taken if t is not None] or [-1])).order_by(Department.code))


# --- stop asking ------------------------------------------------------------------------------------------


class RemoveContributionForm(ActionForm):
    department_id = SelectField(_l("Contributing department"), coerce=int_or_none, choices=[],
                                validate_choice=False, validators=[required(_l("Choose a department."))])
    reason = reason_field(_l("Why its part is no longer needed"))


def _fit_current(form, c, user) -> None:
    form.department_id.choices = optional_choice(lambda: _department_choices_of(current_contributions(c)))()


def _remove(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        row = _chosen(c, data, current_contributions(c),
                      _l("Choose one of the departments asked to contribute to this complaint."))
        row.removed_at = utcnow()
        return {"department": row.department.code, "reason": data["reason"]}


remove_contribution = ActionSpec(
    "remove_contribution", _l("Stop asking a department to contribute"), roles=frozenset({RECEPTION, LEADERSHIP}),
    sources=WORKED_ON, target=None, records="the department no longer asked, and why",
    only_when=lambda c: bool(current_contributions(c)),
    form=RemoveContributionForm, fit_form=_fit_current, apply=_remove,
    notices=(Notice(CONTRIBUTION_WITHDRAWN, to_department="department"),),
    timeline={"department": DEPARTMENT, "reason": REASON},
    example_complaint={"contributing": True},
    example=lambda ex: {"department_id": _first_contributor(ex), "reason": "The ward's part is already known."},
)


def _first_contributor(ex, only_outstanding=False) -> int | None:
    c = ex.complaint
    rows = (outstanding(c) if only_outstanding else current_contributions(c)) if c is not None else []
    return rows[0].department_id if rows else None


# --- the contributing department's part ---------------------------------------------------------------------


def _contribution_findings():
    return [SelectChoice(f.value, f.label) for f in CONTRIBUTION_FINDINGS]


class ContributeForm(ActionForm):
    department_id = SelectField(_l("For the department"), coerce=int_or_none, choices=[], validate_choice=False,
                                validators=[required(_l("Choose a department."))])
    findings = TextAreaField(_l("Our findings"), filters=STRIPPED, validators=[required(), Length(max=20000)])
    people = TextAreaField(_l("The members of our staff involved (name, role)"), filters=STRIPPED,
                           validators=[Length(max=5000)],
                           description=_l("Read by leadership, the lead department and yours only."))
    responsibility = SelectField(_l("Our part of the responsibility"),
                                 choices=optional_choice(_contribution_findings), validators=[Optional()])
    remedy_proposal = TextAreaField(_l("Remedy we propose"), filters=STRIPPED, validators=[Length(max=10000)])


def _fit_contribute(form, c, user) -> None:
    # A head records their own department's part only.
    form.department_id.choices = _department_choices_of(
        [r for r in outstanding(c) if r.department_id == user.department_id])


def _contribute(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        row = _chosen(c, data, [r for r in outstanding(c) if r.department_id == user.department_id],
                      _l("That department is not asked for a part of this complaint, or its part is already in."))
        now = utcnow()
        row.findings, row.people = data["findings"], data.get("people") or None
        row.responsibility = data.get("responsibility") or None
        row.remedy_proposal = data.get("remedy_proposal") or None
        row.contributed_by_id, row.contributed_at = user.id, now
        return {"department": row.department.code, "findings": row.findings, "people": row.people,
                "responsibility": row.responsibility, "remedy_proposal": row.remedy_proposal,
                "on_time": today() <= row.due_on}


def contributions_in(c) -> bool:
    """Whether the lead may sign off: every part asked for is recorded or waived. An integrity complaint
    has no department working on it (the office takes it on whatever was asked before it was marked)."""
    return bool(c.integrity) or not outstanding(c)


contribute = ActionSpec(
    "contribute", _l("Record our department's part"), roles=frozenset({HEAD}), contributors_only=True,
    sources=WORKED_ON, target=None, records="the department's findings, its people involved, a remedy proposal",
    primary=True, form=ContributeForm, fit_form=_fit_contribute, apply=_contribute, done=contributions_in,
    notices=(Notice(CONTRIBUTION_RECORDED),),
    # Who of their staff is involved reads on the complaint page, to those who may read it (permissions).
    timeline={"department": DEPARTMENT, "findings": Shown(_l("Findings")), "people": HIDDEN,
              "responsibility": Shown(_l("Responsibility"), Responsibility),
              "remedy_proposal": Shown(_l("Remedy proposed")), "on_time": Shown(_l("In by its due date"), "bool")},
    example_complaint={"contributing": True},
    example=lambda ex: {"department_id": _first_contributor(ex, only_outstanding=True),
                        "findings": "The porters took forty minutes; the ward asked twice.",
                        "people": "The porter on the evening round.", "responsibility": "partly_upheld",
                        "remedy_proposal": "A second porter on the evening round."},
)


# --- leadership lets the lead sign off without a part -----------------------------------------------------


class WaiveContributionForm(ActionForm):
    department_id = SelectField(_l("Contributing department"), coerce=int_or_none, choices=[],
                                validate_choice=False, validators=[required(_l("Choose a department."))])
    reason = TextAreaField(_l("Why the lead may sign off without its part"), filters=STRIPPED,
                           validators=[required(), Length(max=2000)])


def _fit_outstanding(form, c, user) -> None:
    form.department_id.choices = optional_choice(lambda: _department_choices_of(outstanding(c)))()


def _waive(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        row = _chosen(c, data, outstanding(c),
                      _l("Choose one of the departments whose part is still to come."))
        if len(data.get("reason") or "") < WAIVE_REASON_LENGTH:
            raise ActionInvalid({"reason": str(_l("Say why, in at least %(count)s characters.",
                                                  count=WAIVE_REASON_LENGTH))})
        row.waived_by_id, row.waived_at, row.waived_reason = user.id, utcnow(), data["reason"]
        return {"department": row.department.code, "reason": data["reason"]}


waive_contribution = ActionSpec(
    "waive_contribution", _l("Sign off without a department's part"), roles=frozenset({LEADERSHIP}),
    sources=WORKED_ON, target=None, records="the department whose part is waived, and why",
    only_when=lambda c: bool(outstanding(c)),
    form=WaiveContributionForm, fit_form=_fit_outstanding, apply=_waive,
    notices=(Notice(CONTRIBUTION_WAIVED), Notice(CONTRIBUTION_WAIVED, to_department="department")),
    timeline={"department": DEPARTMENT, "reason": REASON},
    example_complaint={"contributing": True},
    example=lambda ex: {"department_id": _first_contributor(ex, only_outstanding=True),
                        "reason": "The ward is closed for refurbishment; the lead has its records."},
)
