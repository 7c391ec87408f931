from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, EmailField, RadioField, SelectChoice, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Optional, Regexp

from ..complaints import evidence
from ..complaints.forms import ComplaintDetailsForm
from ..complaints.models import ComplainantRelation, ContactMethod
from ..core.forms import EMAIL, PHONE_FILTERS, STRIPPED, Length, PhoneNumber, PostForm

# The ways a member of the public can be answered (staff record in-person answers; the public asks for these).
PUBLIC_REPLY = (ContactMethod.phone, ContactMethod.sms, ContactMethod.email, ContactMethod.written,
                ContactMethod.online)


class PublicComplaintForm(ComplaintDetailsForm):
    """The public form: the complainant's own words ("you"), answered in their language (GOV.UK patterns)."""

    contact_needed = _l("Give a phone number or an email address, or choose to stay anonymous.")

    what_happened = TextAreaField(_l("What happened?"), filters=STRIPPED,
                                  validators=[DataRequired(message=_l("Tell us what happened.")),
                                              Length(max=20000, message=_l("What happened must be 20,000 "
                                                                           "characters or fewer."))])
    complainant_relation = RadioField(_l("Who is complaining?"), choices=ComplainantRelation.choices,
                                      validators=[Optional()])
    complainant_name = StringField(_l("Your name"), filters=STRIPPED,
                                   validators=[Length(max=120, message=_l("Your name must be 120 characters "
                                                                          "or fewer."))])
    # The complainant's own details: the phone offers its number keyboard and its address book.
    complainant_phone = TelField(_l("Your phone number"), filters=PHONE_FILTERS,
                                 validators=[Length(max=40, message=_l("Enter a phone number of 40 "
                                                                       "characters or fewer.")), PhoneNumber()],
                                 render_kw={"inputmode": "tel", "autocomplete": "tel"})
    complainant_email = EmailField(_l("Your email address"), filters=STRIPPED,
                                   validators=[Optional(),
                                               Regexp(EMAIL, message=_l("Enter an email address in the correct "
                                                                        "format, like name@example.com.")),
                                               Length(max=254, message=_l("Enter an email address of 254 "
                                                                          "characters or fewer."))],
                                   render_kw={"inputmode": "email", "autocomplete": "email"})
    patient_name = StringField(_l("The patient's name"), filters=STRIPPED, validators=[Length(max=120)])
    preferred_reply = RadioField(_l("How would you like us to answer?"),
                                 choices=lambda: [SelectChoice(m.value, m.label) for m in PUBLIC_REPLY],
                                 validators=[Optional()])
    wants_written_reply = BooleanField(_l("I also want the answer in writing"))
    confidential = BooleanField(_l("Keep my name and contact details from the department concerned"))
    anonymous = BooleanField(_l("I want to stay anonymous"))
    evidence = MultipleFileField(_l("Photos or documents (optional)"),
                                 render_kw={"accept": evidence.ACCEPTED})
    # Kept in the complainant's words until reception matches them to the staff directory; never shown back.
    people_described = StringField(_l("The member of staff, if you know (name, role, ward)"), filters=STRIPPED,
                                   validators=[Length(max=300)])
    # A honeypot: hidden from people by CSS (never by an inline style); a bot that fills every field is
    # refused without being told why.
    website = StringField(_l("Leave this empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})

    def validate_evidence(self, field):
        self.cleaned_evidence = evidence.checked_uploads(field.data)

    def complaint_data(self) -> dict:
        return {**super().complaint_data(), "people_described": self.people_described.data or None}

    @property
    def is_bot(self) -> bool:
        return bool((self.website.data or "").strip())


class TrackForm(PostForm):
    reference = StringField(_l("Reference number"), filters=STRIPPED,
                            validators=[DataRequired(message=_l("Enter your reference number.")), Length(max=20)])
    code = StringField(_l("Tracking code"), filters=STRIPPED,
                       validators=[DataRequired(message=_l("Enter your tracking code.")), Length(max=20)])
