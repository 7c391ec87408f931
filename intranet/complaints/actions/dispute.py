"""A complaint that becomes a medical dispute (医疗纠纷): reception records the route the complainant took
(the mediation committee, the medical association's appraisal, a court, another), when it began and their
case number, and later its outcome. Not a state: the complaint stays where it is, off the office's clocks
(`Complaint.disputed_since`). The rows are in `disputes.py`."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from ...core.extensions import db
from ...core.forms import STRIPPED, Length, optional_choice, required
from ...core.time import local, today
from ..disputes import (
    CASE_NUMBER_LENGTH,
    ROUTE_OTHER_LENGTH,
    ComplaintDispute,
    DisputeOutcome,
    DisputeRoute,
    open_dispute,
)
from ..forms import ActionForm
from ..notices import (
    DISPUTE_BEGUN,
    DISPUTE_BEGUN_FOR_THE_DEPARTMENT,
    DISPUTE_DECIDED,
    DISPUTE_DECIDED_FOR_THE_DEPARTMENT,
)
from ..spec import ActionInvalid, ActionSpec, Notice, PublicMessage, Requirement, Shown
from ..states import OPEN, State
from ._shared import LEADERSHIP, RECEPTION

# The complainant may go further after an answer too: from every open state, and once closed.
TAKEN_FURTHER_FROM = OPEN | {State.closed}
ROLES = frozenset({RECEPTION, LEADERSHIP})


def _date_errors(c, name: str, value: date | None, not_before: date | None = None) -> dict[str, str]:
    """The rule for a dispute's dates: from the day the complaint was received (and, for an outcome, the day
    the dispute began) until today."""
    if value is None:
        return {name: str(_l("Enter the date."))}
    received = local(c.received_at).date()
    if value > today():
        return {name: str(_l("The date cannot be in the future."))}
    if value < received:
        return {name: str(_l("The date cannot be before the complaint was received (%(date)s).",
                             date=received.isoformat()))}
    if not_before is not None and value < not_before:
        return {name: str(_l("The date cannot be before the dispute began (%(date)s).", date=not_before.isoformat()))}
    return {}


# --- record the dispute ----------------------------------------------------------------------------------


class DisputeForm(ActionForm):
    route = SelectField(_l("Where the complainant took it"), choices=optional_choice(DisputeRoute.choices),
                        validators=[required(_l("Choose where the complainant took it."))])
    route_other = StringField(_l("The other route (if “Other route”)"), filters=STRIPPED,
                              validators=[Length(max=ROUTE_OTHER_LENGTH)])
    began_on = DateField(_l("It began on"), validators=[InputRequired(message=_l("Enter the date."))])
    case_number = StringField(_l("Their case number (optional)"), filters=STRIPPED,
                              validators=[Length(max=CASE_NUMBER_LENGTH)])
    note = TextAreaField(_l("Note (optional)"), filters=STRIPPED, validators=[Length(max=5000)])


def _record_dispute(c, user, data: dict) -> dict:
    errors = _date_errors(c, "began_on", data.get("began_on"))
    if data.get("route") == DisputeRoute.other and not data.get("route_other"):
        errors["route_other"] = str(_l("Say which route it is."))
    with db.session.no_autoflush:  # the complaint is written once, by perform()
        if open_dispute(c) is not None:  # the step's condition, asked again inside its transaction
            errors["route"] = str(_l("A dispute is already under way: record its outcome first."))
        if errors:
            raise ActionInvalid(errors)
        other = data.get("route_other") or None if data["route"] == DisputeRoute.other else None
        c.disputes.append(ComplaintDispute(
            route=data["route"], route_other=other, began_on=data["began_on"],
            case_number=data.get("case_number") or None, note=data.get("note") or None, recorded_by_id=user.id))
    if c.disputed_since is None:  # off the clocks from the first dispute on
        c.disputed_since = data["began_on"]
    return {"route": data["route"], "route_other": other, "began_on": data["began_on"],
            "case_number": data.get("case_number") or None, "note": data.get("note") or None}


def _route_told(event) -> str:
    data = event.data
    route = data.get("route_other") or DisputeRoute(data["route"]).label
    return _("Your complaint is now being handled through the route you chose: %(route)s. The hospital takes "
             "part in it and will abide by its outcome. You can still call the complaints office with any "
             "question.", route=route)


record_dispute = ActionSpec(
    "record_dispute", _l("Record a medical dispute"), roles=ROLES, sources=TAKEN_FURTHER_FROM, target=None,
    records="the route (mediation, appraisal, court, other), the day it began, the case number, a note",
    only_when=lambda c: open_dispute(c) is None,
    form=DisputeForm, apply=_record_dispute, done=lambda c: bool(c.disputes),
    # Leadership, and whoever answers for the complaint (its department's heads, or the discipline office).
    notices=(Notice(DISPUTE_BEGUN), Notice(DISPUTE_BEGUN_FOR_THE_DEPARTMENT)),
    timeline={"route": Shown(_l("Taken to"), DisputeRoute), "route_other": Shown(_l("The other route")),
              "began_on": Shown(_l("Began on"), "date"), "case_number": Shown(_l("Case number")),
              "note": Shown(_l("Note"))},
    public=PublicMessage(_l("Your complaint has been taken further"), text=_route_told),
    example=lambda ex: {"route": "mediation", "began_on": today(), "case_number": "(2026) 调字第 118 号",
                        "note": "The family applied to the district mediation committee."},
)


# --- record its outcome ----------------------------------------------------------------------------------


class DisputeOutcomeForm(ActionForm):
    outcome = SelectField(_l("Outcome"), choices=optional_choice(DisputeOutcome.choices),
                          validators=[required(_l("Choose the outcome."))])
    outcome_text = TextAreaField(_l("The appraisal's finding, or what the outcome was"), filters=STRIPPED,
                                 validators=[Length(max=5000)],
                                 description=_l("Needed for an appraisal concluded and for another outcome."))
    outcome_on = DateField(_l("Decided on"), validators=[InputRequired(message=_l("Enter the date."))])


def _record_outcome(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        dispute = open_dispute(c)
        if dispute is None:
            raise ActionInvalid({"outcome": str(_l("No dispute is under way."))})
        errors = _date_errors(c, "outcome_on", data.get("outcome_on"), not_before=dispute.began_on)
        if data.get("outcome") in DisputeOutcome.described() and not data.get("outcome_text"):
            errors["outcome_text"] = str(_l("Write the appraisal's finding, or what the outcome was."))
        if errors:
            raise ActionInvalid(errors)
        dispute.outcome, dispute.outcome_on = data["outcome"], data["outcome_on"]
        dispute.outcome_text, dispute.outcome_by_id = data.get("outcome_text") or None, user.id
    # The other route's name too, so that the outcome's notice names it as the dispute did.
    named = {"route_other": dispute.route_other} if dispute.route_other else {}
    return {"route": dispute.route, **named, "outcome": data["outcome"], "outcome_text": dispute.outcome_text,
            "outcome_on": data["outcome_on"]}


record_dispute_outcome = ActionSpec(
    "record_dispute_outcome", _l("Record the dispute's outcome"), roles=ROLES, sources=TAKEN_FURTHER_FROM,
    target=None, records="the outcome (settled, appraisal concluded with its finding, judgment, withdrawn, other), "
                         "its date",
    only_when=lambda c: open_dispute(c) is not None,
    form=DisputeOutcomeForm, apply=_record_outcome,
    notices=(Notice(DISPUTE_DECIDED), Notice(DISPUTE_DECIDED_FOR_THE_DEPARTMENT)),
    timeline={"route": Shown(_l("Taken to"), DisputeRoute), "route_other": Shown(_l("The other route")),
              "outcome": Shown(_l("Outcome"), DisputeOutcome),
              "outcome_text": Shown(_l("Finding or outcome")), "outcome_on": Shown(_l("Decided on"), "date")},
    # The planner and the factories record the dispute first.
    requires=(Requirement(record_dispute, "outcome", _l("No dispute is under way.")),),
    example=lambda ex: {"outcome": "settled", "outcome_on": today()},
)
