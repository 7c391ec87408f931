"""The steps of a corrective action, one spec each (the shape of the complaint's action specs).

- raise (head, reception, leadership): what is to be done, the owner department, the due date, and the
  complaints it answers → open.
- complete (the owner department's head, or leadership), from open or reopened: evidence that it was done,
  and when to check that it worked → done.
- check (reception or leadership: not the owner, so the check is independent), from done: whether it
  worked and why; if not, a new due date → effective, or reopened.
- note (anyone who may see it), from any status: an internal note; the status stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from ...core.choices import Labelled
from ...core.forms import STRIPPED, Length, PostForm, VersionField, department_choices, int_or_none, required
from ...core.roles import Role
from ...core.time import show_date, today, utcnow
from ..spec import ActionInvalid, Decider, Shown, Spec
from .models import Status
from .recording import CORRECTIVE_ACTIONS

HEAD, RECEPTION, LEADERSHIP = Role.head, Role.reception, Role.leadership


class Step(Labelled):
    raise_ = "raise"
    complete = "complete"
    check = "check"
    note = "note"

    @property
    def spec(self) -> StepSpec:
        return STEPS[self]

    @property
    def record_kind(self):
        return CORRECTIVE_ACTIONS

    @staticmethod
    def LABELS():  # noqa: N802
        return {step: spec.label for step, spec in STEPS.items()}


@dataclass(frozen=True, kw_only=True)
class StepSpec(Spec):
    # Valid data, for the tests and the demo.
    example: Callable[[], dict] = lambda: {}


def _not_past(form, date_field):
    if date_field.data and date_field.data < today():
        raise ValidationError(_l("The date cannot be in the past."))


# --- the forms -----------------------------------------------------------------------------------------


class CorrectiveActionForm(PostForm):
    title = StringField(_l("What is to be done"), filters=STRIPPED, validators=[required(), Length(max=200)])
    description = TextAreaField(_l("Details (how, by whom)"), filters=STRIPPED, validators=[Length(max=10000)])
    owner_department_id = SelectField(_l("Owner department"), choices=department_choices, coerce=int_or_none,
                                      validators=[InputRequired(message=_l("Choose the owner department."))])
    due_on = DateField(_l("Due date"), validators=[InputRequired(message=_l("Enter the due date.")), _not_past])

    def action_data(self) -> dict:
        return {name: self[name].data for name in ("title", "description", "owner_department_id", "due_on")}


class StepForm(PostForm):
    version = VersionField()

    def action_data(self) -> dict:
        return {name: f.data for name, f in self._fields.items() if name not in ("csrf_token", "version")}


class CompleteForm(StepForm):
    evidence = TextAreaField(_l("Evidence it was done"), filters=STRIPPED, validators=[required(), Length(max=10000)])
    check_due_on = DateField(_l("Check whether it worked on"), validators=[Optional(), _not_past])


class CheckForm(StepForm):
    effective = RadioField(_l("Did it work?"), choices=[SelectChoice("yes", _l("Yes, effective")),
                                                      SelectChoice("no", _l("No, not effective"))],
                           validators=[InputRequired(message=_l("Choose effective or not effective."))])
    check_note = TextAreaField(_l("What the check found"), filters=STRIPPED, validators=[required(), Length(max=10000)])
    new_due_on = DateField(_l("New due date (if not effective)"), validators=[Optional(), _not_past])
    early_reason = TextAreaField(_l("Why verify it before its check date"), filters=STRIPPED,
                                 validators=[Length(max=2000)],
                                 description=_l("Needed only to verify it effective before the date it was to be "
                                                "checked on: the record shows the reason."))

    def action_data(self) -> dict:
        data = super().action_data()
        data["effective"] = self.effective.data == "yes"
        return data


class NoteForm(StepForm):
    text = TextAreaField(_l("Note"), filters=STRIPPED, validators=[required(), Length(max=5000)])


# --- what each step does -------------------------------------------------------------------------------

CHECK_AFTER = timedelta(days=30)  # the default wait before checking that an action worked


def _complete(action, user, data: dict) -> dict:
    action.evidence = data["evidence"]
    action.completed_at = utcnow()
    action.completed_by_id = user.id
    action.check_due_on = data.get("check_due_on") or today() + CHECK_AFTER
    return {"evidence": data["evidence"], "check_due_on": action.check_due_on}


def _check(action, user, data: dict) -> dict:
    action.checked_at = utcnow()
    action.checked_by_id = user.id
    action.check_note = data["check_note"]
    if data["effective"]:
        # Whether an action worked shows only after a while; verifying it sooner is a choice the record keeps.
        early_reason = data.get("early_reason") or None
        if action.check_due_on is not None and today() < action.check_due_on and not early_reason:
            raise ActionInvalid({"early_reason": str(_l(
                "It is to be checked on %(date)s: to verify it effective before then, say why.",
                date=show_date(action.check_due_on)))})
        return {"effective": True, "check_note": data["check_note"], "early_reason": early_reason}
    new_due = data.get("new_due_on")
    if new_due is None:
        raise ActionInvalid({"new_due_on": str(_l("Give a new due date: the action is to be done again."))})
    action.due_on = new_due
    action.completed_at = action.completed_by_id = action.evidence = action.check_due_on = None
    return {"effective": False, "check_note": data["check_note"], "new_due_on": new_due}


STEPS: dict[Step, StepSpec] = {
    Step.raise_: StepSpec(
        "raise", _l("Raise a corrective action"), roles=frozenset({HEAD, RECEPTION, LEADERSHIP}), sources=None,
        target=Status.open, form=CorrectiveActionForm,
        timeline={"title": Shown(_l("What is to be done")), "owner": Shown(_l("Owner department"), "department"),
                  "due_on": Shown(_l("Due date"), "date"), "complaints": Shown(_l("For complaints")),
                  "month": Shown(_l("From the monthly analysis of"))},
    ),
    Step.complete: StepSpec(
        "complete", _l("Record it as done"), roles=frozenset({HEAD, LEADERSHIP}), sources=frozenset(
            {Status.open, Status.reopened}), target=Status.done, form=CompleteForm, apply=_complete,
        owner_only=True,
        timeline={"evidence": Shown(_l("Evidence it was done")),
                  "check_due_on": Shown(_l("Check whether it worked on"), "date")},
        example=lambda: {"evidence": "Delay announcements every 30 minutes since 3 November; log attached."},
    ),
    Step.check: StepSpec(
        "check", _l("Check whether it worked"), roles=frozenset({RECEPTION, LEADERSHIP}),
        sources=frozenset({Status.done}),
        target=Decider(lambda action, data: Status.effective if data.get("effective") else Status.reopened,
                       outcomes=frozenset({Status.effective, Status.reopened})),
        form=CheckForm, apply=_check,
        timeline={"effective": Shown(_l("Effective"), "bool"), "check_note": Shown(_l("What the check found")),
                  "early_reason": Shown(_l("Verified before its check date because")),
                  "new_due_on": Shown(_l("New due date"), "date")},
        example=lambda: {"effective": True, "check_note": "No waiting-time complaint from the clinic since.",
                         "early_reason": "The clinic's patient survey came in early."},
    ),
    Step.note: StepSpec(
        "note", _l("Add a note"), roles=frozenset({HEAD, RECEPTION, LEADERSHIP}), sources=frozenset(Status),
        target=None, form=NoteForm, apply=lambda action, user, data: {"text": data["text"]}, commutes=True,
        timeline={"text": Shown(_l("Note")), "linked": Shown(_l("Linked to complaint"))},
        example=lambda: {"text": "Discussed at the quality meeting."},
    ),
}
