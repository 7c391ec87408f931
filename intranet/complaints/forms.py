"""Forms for logging a complaint and for each lifecycle action (keyed by Action)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from ..admin.models import Category, Department
from ..extensions import db
from ..forms import PostForm, VersionField, optional_choice, strip
from .lifecycle import Action
from .models import Channel, ComplainantRelation, Complexity, ContactMethod, Responsibility, Severity

F = [strip]
# Something@something.something, no spaces: WTForms' Email() needs the email_validator package, which is not
# installed (any typed address crashed the form), and a complaint should not be refused over a fussy check.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _active(model):
    rows = db.session.scalars(select(model).where(model.active).order_by(model.code)).all()
    return [SelectChoice(str(row.id), row.name) for row in rows]


department_choices = optional_choice(lambda: _active(Department))
category_choices = optional_choice(lambda: _active(Category))


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def required(message=None):
    return DataRequired(message=message or _l("This field is required."))


class ComplaintDetailsForm(PostForm):
    """What both the public form and staff intake ask; the public side adds its own wording."""

    what_happened = TextAreaField(_l("What happened"), filters=F,
                                  validators=[required(_l("Tell us what happened.")), Length(max=20000)])
    incident_on = DateField(_l("When did it happen?"), validators=[Optional()])
    subject_department_id = SelectField(_l("Department where it happened"), choices=department_choices,
                                        coerce=_int_or_none, validators=[Optional()])
    subject_ward = StringField(_l("Ward, clinic or place"), filters=F, validators=[Length(max=120)])
    desired_outcome = TextAreaField(_l("What would you like to happen?"), filters=F,
                                    validators=[Length(max=5000)])
    complainant_relation = SelectField(_l("Who is complaining?"),
                                       choices=optional_choice(ComplainantRelation.choices),
                                       validators=[Optional()])
    complainant_name = StringField(_l("Complainant's name"), filters=F, validators=[Length(max=120)])
    complainant_phone = StringField(_l("Phone number"), filters=F, validators=[Length(max=40)])
    complainant_email = StringField(_l("Email address"), filters=F,
                                    validators=[Optional(), Regexp(EMAIL, message=_l("Enter a valid email address.")),
                                                Length(max=254)])
    patient_name = StringField(_l("Patient's name"), filters=F, validators=[Length(max=120)])
    patient_record_number = StringField(_l("Medical record or admission number"), filters=F,
                                        validators=[Length(max=40)])
    preferred_reply = SelectField(_l("How should we answer?"), choices=optional_choice(ContactMethod.choices),
                                  validators=[Optional()])
    wants_written_reply = BooleanField(_l("Wants a written reply"))
    confidential = BooleanField(_l("Keep the complainant's identity confidential from the department"))
    anonymous = BooleanField(_l("Anonymous (no name or contact: no follow-up is possible)"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.anonymous.data and not (self.complainant_phone.data or self.complainant_email.data):
            self.complainant_phone.errors = list(self.complainant_phone.errors) + [
                _l("Give a phone number or an email address, or choose to stay anonymous.")
            ]
            ok = False
        return ok

    def complaint_data(self) -> dict:
        names = ("what_happened", "incident_on", "subject_department_id", "subject_ward", "desired_outcome",
                 "complainant_relation", "complainant_name", "complainant_phone", "complainant_email",
                 "patient_name", "patient_record_number", "preferred_reply", "wants_written_reply",
                 "confidential", "anonymous")
        return {name: getattr(self, name).data for name in names}


class LogComplaintForm(ComplaintDetailsForm):
    """Staff intake (登记): any channel, with triage done at once when the officer knows enough."""

    channel = SelectField(_l("Channel"), choices=optional_choice(Channel.choices),
                          validators=[required(_l("Choose how the complaint arrived."))])
    received_at = DateField(_l("Date received"), validators=[Optional()])
    category_id = SelectField(_l("Category"), choices=category_choices, coerce=_int_or_none,
                              validators=[Optional()])
    severity = SelectField(_l("Severity"), choices=Severity.choices, default=Severity.minor.value)
    complexity = SelectField(_l("Complexity"), choices=Complexity.choices, default=Complexity.simple.value)
    acknowledged_via = SelectField(_l("Acknowledgement sent to the complainant via"),
                                   choices=optional_choice(ContactMethod.choices), validators=[Optional()])

    def complaint_data(self) -> dict:
        data = super().complaint_data()
        data.update(channel=self.channel.data, category_id=self.category_id.data, severity=self.severity.data,
                    complexity=self.complexity.data, acknowledged_via=self.acknowledged_via.data or None)
        return data


# --- one form per lifecycle action ---------------------------------------------------------------


class ActionForm(PostForm):
    version = VersionField()

    def action_data(self) -> dict:
        return {name: f.data for name, f in self._fields.items() if name not in ("version", "csrf_token")}


def _reason(label, max_length=5000):
    return TextAreaField(label, filters=F, validators=[required(), Length(max=max_length)])


def _method(label, choices=ContactMethod.choices):
    return SelectField(label, choices=optional_choice(choices), validators=[required(_l("Choose a method."))])


class TriageForm(ActionForm):
    category_id = SelectField(_l("Category"), choices=category_choices, coerce=_int_or_none,
                              validators=[required(_l("Choose a category."))])
    severity = SelectField(_l("Severity"), choices=Severity.choices, default=Severity.minor.value)
    complexity = SelectField(_l("Complexity"), choices=Complexity.choices, default=Complexity.simple.value)
    acknowledged_via = SelectField(_l("Acknowledgement sent to the complainant via"),
                                   choices=optional_choice(ContactMethod.choices), validators=[Optional()])


class ResolveOnTheSpotForm(ActionForm):
    what_was_done = _reason(_l("What was done"))
    method = _method(_l("How the complainant was answered"))


class DeclineForm(ActionForm):
    reason = _reason(_l("Why it is not accepted"))
    complainant_told = _reason(_l("What the complainant was told"))
    told_via = _method(_l("Complainant told via"))


class AssignForm(ActionForm):
    department_id = SelectField(_l("Department"), choices=department_choices, coerce=_int_or_none,
                                validators=[required(_l("Choose a department."))])
    response_due_on = DateField(_l("Response due"), validators=[Optional()])
    acknowledged_via = SelectField(_l("Acknowledgement sent to the complainant via"),
                                   choices=optional_choice(ContactMethod.choices), validators=[Optional()])
    note = TextAreaField(_l("Note for the department"), filters=F, validators=[Length(max=5000)])


class AcceptForm(ActionForm):
    pass


class SendBackForm(ActionForm):
    reason = _reason(_l("Why it is not this department's"))


class RecordFindingsForm(ActionForm):
    findings = TextAreaField(_l("Findings"), filters=F, validators=[required(), Length(max=20000)])
    cause = TextAreaField(_l("Cause"), filters=F, validators=[Length(max=10000)])
    responsibility = SelectField(_l("Responsibility"), choices=optional_choice(Responsibility.choices),
                                 validators=[required(_l("Choose a responsibility finding."))])
    remedy = TextAreaField(_l("Remedy for the complainant"), filters=F, validators=[Length(max=10000)])
    corrective_actions = TextAreaField(_l("Corrective actions (owner and due date)"), filters=F,
                                       validators=[Length(max=10000)])


class SignOffForm(ActionForm):
    response_text = TextAreaField(_l("The response to give the complainant"), filters=F,
                                  validators=[required(), Length(max=20000)])


class ApproveForm(ActionForm):
    comment = TextAreaField(_l("Comment"), filters=F, validators=[Length(max=5000)])


class ReturnForReworkForm(ActionForm):
    comment = _reason(_l("What must change"))


class RespondForm(ActionForm):
    method = _method(_l("How the complainant was told"))
    responded_on = DateField(_l("Date told"), validators=[Optional()])
    response_text = TextAreaField(_l("What they were told"), filters=F,
                                  validators=[required(), Length(max=20000)])


class FollowUpForm(ActionForm):
    method = _method(_l("How the follow-up was made"))
    satisfied = RadioField(_l("Is the complainant satisfied?"),
                           choices=[SelectChoice("yes", _l("Satisfied")), SelectChoice("no", _l("Not satisfied"))],
                           validators=[InputRequired(message=_l("Choose satisfied or not satisfied."))])
    comment = TextAreaField(_l("What they said"), filters=F, validators=[Length(max=5000)])

    def action_data(self) -> dict:
        data = super().action_data()
        data["satisfied"] = self.satisfied.data == "yes"
        return data


class ExtendForm(ActionForm):
    new_due_on = DateField(_l("New due date"), validators=[InputRequired(message=_l("Enter the new due date."))])
    reason = _reason(_l("Reason for the extension"))
    complainant_told_via = _method(_l("How the complainant was told"))


class EscalateForm(ActionForm):
    reason = _reason(_l("Why it needs leadership"))


class NoteForm(ActionForm):
    text = _reason(_l("Internal note (never shown to the complainant)"))


class WithdrawForm(ActionForm):
    reason = _reason(_l("Reason (the complainant's words)"))


ACTION_FORMS: dict[Action, type[ActionForm]] = {
    Action.triage: TriageForm,
    Action.resolve_on_the_spot: ResolveOnTheSpotForm,
    Action.decline: DeclineForm,
    Action.assign: AssignForm,
    Action.accept: AcceptForm,
    Action.send_back: SendBackForm,
    Action.record_findings: RecordFindingsForm,
    Action.sign_off: SignOffForm,
    Action.approve: ApproveForm,
    Action.return_for_rework: ReturnForReworkForm,
    Action.respond: RespondForm,
    Action.follow_up: FollowUpForm,
    Action.extend: ExtendForm,
    Action.escalate: EscalateForm,
    Action.note: NoteForm,
    Action.withdraw: WithdrawForm,
}


def form_for(action: Action, complaint, formdata=None) -> ActionForm:
    """A form for `action` on `complaint`, prefilled from what the complaint already holds."""
    form_class = ACTION_FORMS[action]
    prefill = {"version": complaint.version}
    if action == Action.triage:
        prefill.update(category_id=complaint.category_id, severity=complaint.severity,
                       complexity=complaint.complexity)
    elif action == Action.assign:
        prefill.update(department_id=complaint.department_id or complaint.subject_department_id,
                       response_due_on=complaint.response_due_on)
    elif action == Action.record_findings:
        prefill.update({k: getattr(complaint, k) for k in ("findings", "cause", "responsibility", "remedy",
                                                           "corrective_actions")})
    elif action in (Action.sign_off, Action.respond):
        prefill.update(response_text=complaint.response_text)
    if action == Action.respond and complaint.wants_written_reply:
        prefill.update(method="written")
    # A distinct prefix per action keeps field ids unique when several forms share the page.
    return form_class(formdata=formdata, prefix=action.value, **prefill)
