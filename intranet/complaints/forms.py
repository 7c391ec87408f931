"""Forms for logging a complaint, and the pieces every action's form (in `complaints/actions/`) is made of."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    MultipleFileField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Optional, Regexp, ValidationError

from ..core.choices import Labelled
from ..core.departments import Category, Department
from ..core.forms import (
    EMAIL,
    PHONE_FILTERS,
    STRIPPED,
    Length,
    PhoneNumber,
    PostForm,
    VersionField,
    active_choices,
    category_choices,
    department_choices,
    int_or_none,
    optional_choice,
    referring_body_choices,
    required,
)
from ..core.time import today
from ..directory import lookup
from .models import Channel, ComplainantRelation, Complexity, ContactMethod, Severity
from .states import State


def strip_upper(value):
    """A reference as typed: ' ts-2026-000123 ' is TS-2026-000123."""
    return value.strip().upper() if isinstance(value, str) else value


class ReferenceSelectField(SelectField):
    """A department or category to choose, or none: its choices (department_choices, category_choices) start
    with "", which int_or_none reads as None."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=int_or_none, **kwargs)

    def pre_validate(self, form):
        # Nothing chosen (or nothing that reads as an id) is the empty choice, always offered: valid without
        # building the list, which is a query (the public form's submission has no other use for it).
        if self.data is None and not self.process_errors:
            return
        super().pre_validate(form)


def reason_field(label, max_length=5000):
    return TextAreaField(label, filters=STRIPPED, validators=[required(), Length(max=max_length)])


def method_field(label, choices=ContactMethod.choices):
    return SelectField(label, choices=optional_choice(choices), validators=[required(_l("Choose a method."))])


def acknowledged_via_field():
    return SelectField(_l("Acknowledgement sent to the complainant via"),
                       choices=optional_choice(ContactMethod.choices), validators=[Optional()])


def integrity_field():
    return BooleanField(_l("An integrity complaint (a red envelope, a kickback, misconduct): the discipline "
                           "office handles it, and the department it accuses never sees it"))


def about_head_field():
    return BooleanField(_l("About the head of the department itself: a conflict of interest, so that head may "
                           "neither investigate it nor sign it off (the discipline office does)"))


class ComplaintDetailsForm(PostForm):
    """What both the public form and staff intake ask, in the staff's words: they speak of the complainant,
    never to them. The public side adds its own wording, addressed to the patient."""

    # Said when neither a phone nor an email is given (the public form says it to the complainant).
    contact_needed = _l("Enter the complainant's phone number or email address, or choose anonymous.")

    what_happened = TextAreaField(_l("What happened"), filters=STRIPPED,
                                  validators=[required(_l("Enter what happened.")), Length(max=20000)])
    incident_on = DateField(_l("When did it happen?"), validators=[Optional()])
    subject_department_id = ReferenceSelectField(_l("Department where it happened"), choices=department_choices,
                                                 validators=[Optional()])
    subject_ward = StringField(_l("Ward, clinic or place"), filters=STRIPPED, validators=[Length(max=120)])
    desired_outcome = TextAreaField(_l("What would you like to happen?"), filters=STRIPPED,
                                    validators=[Length(max=5000)])
    complainant_relation = SelectField(_l("Who is complaining?"),
                                       choices=optional_choice(ComplainantRelation.choices),
                                       validators=[Optional()])
    complainant_name = StringField(_l("Complainant's name"), filters=STRIPPED, validators=[Length(max=120)])
    # The complainant's details, typed by someone else: the browser must not fill in the officer's own.
    complainant_phone = TelField(_l("Phone number"), filters=PHONE_FILTERS, validators=[Length(max=40), PhoneNumber()],
                                 render_kw={"inputmode": "tel", "autocomplete": "off"})
    complainant_email = EmailField(_l("Email address"), filters=STRIPPED,
                                   validators=[Optional(), Regexp(EMAIL, message=_l("Enter a valid email address.")),
                                               Length(max=254)],
                                   render_kw={"inputmode": "email", "autocomplete": "off"})
    patient_name = StringField(_l("Patient's name"), filters=STRIPPED, validators=[Length(max=120)])
    patient_record_number = StringField(_l("Medical record or admission number"), filters=STRIPPED,
                                        validators=[Length(max=40)])
    preferred_reply = SelectField(_l("How the complainant wants the answer"),
                                  choices=optional_choice(ContactMethod.choices),
                                  validators=[Optional()])
    wants_written_reply = BooleanField(_l("Wants a written reply"))
    confidential = BooleanField(_l("Keep the complainant's identity confidential from the department"))
    anonymous = BooleanField(_l("Anonymous (no name or contact: no follow-up is possible)"))

    def validate_incident_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_l("The date it happened cannot be in the future."))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.anonymous.data and not (self.complainant_phone.data or self.complainant_email.data):
            self.complainant_phone.errors = list(self.complainant_phone.errors) + [self.contact_needed]
            ok = False
        return ok

    def complaint_data(self) -> dict:
        names = ("what_happened", "incident_on", "subject_department_id", "subject_ward", "desired_outcome",
                 "complainant_relation", "complainant_name", "complainant_phone", "complainant_email",
                 "patient_name", "patient_record_number", "preferred_reply", "wants_written_reply",
                 "confidential", "anonymous")
        return {name: getattr(self, name).data for name in names}


# What a file field offers: pictures, PDFs and (staff intake) call recordings.
EVIDENCE_ACCEPTED = "image/jpeg,image/png,image/webp,image/gif,application/pdf"
WITH_RECORDINGS = EVIDENCE_ACCEPTED + ",audio/amr,.amr,audio/mpeg,.mp3,audio/mp4,.m4a,audio/wav,.wav"


class PeoplePickerField(Field):
    """People of the staff directory, chosen as one types (htmx finds them and offers them as boxes to
    tick), or, without JavaScript, typed: a staff number, or a name only one person in post has, is taken as
    that person; a name several people have comes back with them to tick. `data`: the ids chosen."""

    widget = None  # rendered by the people_picker macro of _forms.html
    type = "PeoplePickerField"

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.find_text, self.matches, self.people = "", [], []

    @property
    def find_name(self) -> str:
        return self.name + "-find"

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.data = []
        self.find_text = ""
        if formdata is not None:
            self.find_text = (formdata.get(self.find_name) or "").strip()[:120]
            for raw in formdata.getlist(self.name):
                if str(raw).isdigit() and int(raw) not in self.data and len(self.data) < 50:
                    self.data.append(int(raw))
        self.raw_data = [str(i) for i in self.data]

    def pre_validate(self, form):
        self.people = lookup.people(self.data)
        if len(self.people) != len(self.data):
            raise ValidationError(_l("Choose people from the directory."))
        if not self.find_text:
            return
        found = lookup.find(self.find_text)
        if {m.id for m in found} & set(self.data):
            return  # the person was ticked from what the search found: the words were only the search
        member = lookup.exact(self.find_text)
        if member is not None:
            if member.id not in self.data:
                self.data.append(member.id)
                self.people.append(member)
            self.find_text = ""
            return
        self.matches = found
        if found:
            raise ValidationError(_l("Several people match “%(text)s”: tick the one you mean.", text=self.find_text))
        raise ValidationError(_l("Nobody in post in the directory matches “%(text)s”.", text=self.find_text))

    def _value(self):
        return self.find_text


class LogComplaintForm(ComplaintDetailsForm):
    """Staff intake (登记): any channel, with triage done at once when the officer knows enough."""

    channel = SelectField(_l("Channel"), choices=optional_choice(Channel.choices),
                          validators=[required(_l("Choose how the complaint arrived."))])
    received_at = DateField(_l("Date received"), validators=[Optional()])
    # The staff's words, not the complainant's (the public form asks "What would you like to happen?").
    desired_outcome = TextAreaField(_l("What the complainant wants"), filters=STRIPPED, validators=[Length(max=5000)])
    incident_on = DateField(_l("Date it happened"), validators=[Optional()])
    category_id = SelectField(_l("Category"), choices=category_choices, coerce=int_or_none,
                              validators=[Optional()])
    severity = SelectField(_l("Severity"), choices=Severity.choices, default=Severity.minor.value)
    complexity = SelectField(_l("Complexity"), choices=Complexity.choices, default=Complexity.simple.value)
    integrity = integrity_field()
    about_head = about_head_field()
    acknowledged_via = acknowledged_via_field()
    # Checked by content in the page's route (complaints/evidence.py, above these forms): what a file field
    # offers to choose is only a hint to the browser.
    evidence = MultipleFileField(_l("Files: a scanned letter, a referral form, the call's recording"),
                                 render_kw={"accept": WITH_RECORDINGS})
    # 被投诉人: whom the complaint is about, from the directory; or they cannot be identified.
    people = PeoplePickerField(_l("People from the staff directory"),
                               description=_l("Find them by name or staff number. Leave empty if you do not know."))
    people_not_identified = BooleanField(_l("The people it is about cannot be identified"))
    # A referral (转办件): who referred it, their case number, the date they want the reply by.
    # No Optional(): it would stop the check that a referral names who referred it.
    referral_body_id = ReferenceSelectField(_l("Referred by"), choices=referring_body_choices)
    referral_case_number = StringField(_l("Their case number"), filters=STRIPPED, validators=[Length(max=60)])
    referral_reply_by = DateField(_l("Their reply-by date"), validators=[Optional()],
                                  description=_l("The date the referring body wants the hospital's reply by, if "
                                                 "they gave one. Earlier than the hospital's own response date, it "
                                                 "becomes the response's due date."))

    def validate_received_at(self, field):
        if field.data and field.data > today():
            raise ValidationError(_l("The date received cannot be in the future."))

    def validate_referral_body_id(self, field):
        if self.channel.data == Channel.referral.value and field.data is None:
            raise ValidationError(_l("Choose who referred it."))
        if self.channel.data != Channel.referral.value and field.data is not None:
            raise ValidationError(_l("Only a referral has a referring body: choose the channel “referral”, or "
                                     "leave this empty."))

    def validate_referral_reply_by(self, field):
        received_on = self.received_at.data or today()
        if field.data and field.data < received_on:
            raise ValidationError(_l("The reply-by date cannot be before the complaint was received."))

    def complaint_data(self) -> dict:
        data = super().complaint_data()
        data.update(channel=self.channel.data, category_id=self.category_id.data, severity=self.severity.data,
                    complexity=self.complexity.data, integrity=self.integrity.data,
                    about_head=self.about_head.data,
                    acknowledged_via=self.acknowledged_via.data or None,
                    people=list(self.people.data), people_not_identified=self.people_not_identified.data)
        if self.channel.data == Channel.referral.value:
            data.update(referral_body_id=self.referral_body_id.data,
                        referral_case_number=self.referral_case_number.data or None,
                        referral_reply_by=self.referral_reply_by.data)
        return data


class ActionForm(PostForm):
    version = VersionField()

    def action_data(self) -> dict:
        return {name: f.data for name, f in self._fields.items() if name not in ("version", "csrf_token")}


# A reason leadership can judge the opening by: more than a word or two.
BREAK_GLASS_REASON_MIN = 15


class BreakGlassForm(PostForm):
    """The administrator's reason to read one complaint (permissions.BREAK_GLASS)."""

    reason = TextAreaField(_l("Why you need to read this complaint"), filters=STRIPPED, validators=[
        required(_l("Give the reason you need to read this complaint.")),
        Length(min=BREAK_GLASS_REASON_MIN, max=1000,
               message=_l("Give the reason in %(min)s to %(max)s characters: this has %(length)s."))])


class RunningClock(Labelled):
    """The clock a complaint is on: reception's acknowledgement, the response, or the follow-up."""

    acknowledge = "acknowledge"
    response = "response"
    follow_up = "follow_up"

    @staticmethod
    def LABELS():  # noqa: N802
        return {RunningClock.acknowledge: _l("Acknowledgement"), RunningClock.response: _l("Response"),
                RunningClock.follow_up: _l("Follow-up")}


def _any(choices_fn):
    def choices():
        return [SelectChoice("", _l("Any"))] + choices_fn()

    return choices


class SearchForm(FlaskForm):
    """/search: words and filters in the URL (a GET form, bookmarkable: no CSRF token to expire)."""

    class Meta:
        csrf = False

    q = StringField(_l("Reference, name, phone or words"), filters=STRIPPED, validators=[Length(max=200)])
    state = SelectField(_l("Status"), choices=_any(State.choices), validators=[Optional()])
    department_id = SelectField(_l("Department"), choices=_any(lambda: active_choices(Department)), coerce=int_or_none,
                                validators=[Optional()])
    category_id = SelectField(_l("Category"), choices=_any(lambda: active_choices(Category)), coerce=int_or_none,
                              validators=[Optional()])
    channel = SelectField(_l("Channel"), choices=_any(Channel.choices), validators=[Optional()])
    severity = SelectField(_l("Severity"), choices=_any(Severity.choices), validators=[Optional()])
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received until"), validators=[Optional()])
    clock = SelectField(_l("Clock"), choices=_any(RunningClock.choices), validators=[Optional()])
    overdue = BooleanField(_l("Overdue"))
    escalated = BooleanField(_l("Escalated"))

    def validate_department_id(self, field):
        self._known(field)

    def validate_category_id(self, field):
        self._known(field)

    @staticmethod
    def _known(field):
        # An id that is not a number reads as "Any" after coercion: say so rather than ignore it.
        if field.raw_data and field.raw_data[0] not in ("", None) and field.data is None:
            raise ValidationError(_l("Not a valid choice."))

    def validate_received_to(self, field):
        if field.data and self.received_from.data and field.data < self.received_from.data:
            raise ValidationError(_l("“Received until” cannot be before “Received from”."))

    def filters(self) -> dict:
        """The filters chosen (nothing for those left at “Any”)."""
        names = ("state", "department_id", "category_id", "channel", "severity", "received_from", "received_to",
                 "clock", "overdue", "escalated")
        return {n: getattr(self, n).data for n in names if getattr(self, n).data not in (None, "", False)}
