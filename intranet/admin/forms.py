"""Admin forms: the deadline policy, the hospital's own calendar days, accounts, departments and categories,
the hospital's own details, the reply letter's template."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Regexp, ValidationError

from ..complaints import letters
from ..complaints.models import Severity
from ..core.departments import Department
from ..core.extensions import db
from ..core.forms import Length, PostForm, VersionField, bounded_int, optional_choice, strip
from ..core.hospital import FIELDS as HOSPITAL_FIELDS
from ..core.hospital import networks
from ..core.money import NotAnAmount, parse_yuan
from ..core.roles import USER_ROLES
from ..deadlines.models import CLOCK_LABELS, SEVERITIES, Clock, DayKind, Unit
from ..deadlines.policy import Rule, max_amount


def cell(clock: Clock | str, severity: str, part: str) -> str:
    """The field of one rule of the policy table: `acknowledge__major__amount`, `…__unit`, `…__version`."""
    return f"{Clock(clock).value}__{severity}__{part}"


class DeadlinePolicyForm(PostForm):
    """The policy as a table: per clock and severity, an amount, its unit, and the version of the rule the
    administrator saw."""

    def cells(self, clock: Clock, severity: str):
        return self[cell(clock, severity, "amount")], self[cell(clock, severity, "unit")], \
            self[cell(clock, severity, "version")]

    def rules(self) -> dict[tuple[Clock, str], Rule]:
        return {(clock, severity): Rule(self[cell(clock, severity, "amount")].data,
                                        Unit(self[cell(clock, severity, "unit")].data))
                for clock in Clock for severity in SEVERITIES}

    def versions(self) -> dict[tuple[Clock, str], int | None]:
        # 0: the page showed a rule with no row yet (SPEC §4's default), so a row made since is a change.
        return {(clock, severity): self[cell(clock, severity, "version")].data or 0
                for clock in Clock for severity in SEVERITIES}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for clock in Clock:
            for severity in SEVERITIES:
                amount, unit, _version = self.cells(clock, severity)
                if not (amount.errors or unit.errors or amount.data is None):
                    most = max_amount(unit.data)
                    if amount.data > most:
                        amount.errors = list(amount.errors) + [str(
                            _l("At most %(max)s working days.", max=most) if unit.data == Unit.working_days.value
                            else _l("At most %(max)s hours.", max=most))]
                        valid = False
                # Fifteen cells alike: the summary above the form says which one each message is about.
                for f in (amount, unit):
                    f.errors = [str(_l("%(clock)s, %(severity)s: %(error)s", clock=CLOCK_LABELS[clock],
                                       severity=Severity(severity).label, error=e)) for e in f.errors]
        return valid


def _unit_choices():
    return [SelectChoice(u.value, u.label) for u in Unit]


for _clock in Clock:
    for _severity in SEVERITIES:
        setattr(DeadlinePolicyForm, cell(_clock, _severity, "amount"), IntegerField(
            CLOCK_LABELS[_clock], validators=[
                InputRequired(message=_l("Enter a whole number, 1 or more.")),
                NumberRange(min=1, message=_l("Enter a whole number, 1 or more."))]))
        setattr(DeadlinePolicyForm, cell(_clock, _severity, "unit"), SelectField(
            _l("Counted in"), choices=_unit_choices, default=Unit.working_days.value,
            validators=[DataRequired(message=_l("Choose working days or hours."))]))
        setattr(DeadlinePolicyForm, cell(_clock, _severity, "version"), HiddenField(filters=[bounded_int]))


def _kind_choices():
    return [SelectChoice(k.value, k.label) for k in DayKind]


class HospitalDayForm(PostForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    kind = SelectField(_l("What the day is"), choices=optional_choice(_kind_choices),
                       validators=[DataRequired(message=_l("Choose closed or working day."))])
    reason = StringField(_l("Reason"), filters=[strip],
                         validators=[DataRequired(message=_l("Say why (e.g. the hospital's anniversary, or the "
                                                              "make-up working day from the holiday notice).")),
                                     Length(max=200)])


# --- accounts, departments and categories -----------------------------------------------------------------


def _role_choices():
    return [SelectChoice(r.value, r.label) for r in USER_ROLES]


def _department_choices():
    # Only departments in use are offered; a head of a deactivated one keeps it shown until changed.
    rows = db.session.scalars(select(Department).where(Department.active).order_by(Department.code)).all()
    return [SelectChoice("", _l("— none (only heads and department staff belong to one) —"))] + [
        SelectChoice(str(d.id), f"{d.name} ({d.code})") for d in rows]


def _language_choices():
    return [SelectChoice("", _l("The browser's")), SelectChoice("zh", "中文"), SelectChoice("en", "English")]


def _department_id(value):
    return bounded_int(value) if value not in (None, "") else None


# Made before the shared fields, so that a new account's form (and its error summary) starts with it.
_username = StringField(_l("Username"), filters=[strip],
                        validators=[DataRequired(message=_l("Enter a username.")), Length(max=64),
                                    Regexp(r"^[A-Za-z0-9._-]+$", message=_l(
                                        "Use letters, digits, dots, hyphens and underscores only."))])


class _AccountFields(PostForm):
    display_name = StringField(_l("Name shown to colleagues"), filters=[strip],
                               validators=[DataRequired(message=_l("Enter the name colleagues know them by.")),
                                           Length(max=120)])
    role = SelectField(_l("Role"), choices=optional_choice(_role_choices),
                       validators=[DataRequired(message=_l("Choose a role."))])
    department = SelectField(_l("Department (department heads and staff only)"), choices=_department_choices,
                             coerce=_department_id, validate_choice=False)
    language = SelectField(_l("Language of their pages and notifications"), choices=_language_choices)


class NewAccountForm(_AccountFields):
    username = _username
    # new-password: the browser must not fill in the administrator's own saved password.
    password = PasswordField(_l("First password"), render_kw={"autocomplete": "new-password"},
                             validators=[DataRequired(message=_l("Enter a first password."))])
    must_change_password = BooleanField(_l("They must choose their own password when they first log in"),
                                        default=True)


class EditAccountForm(_AccountFields):
    version = VersionField()
    # By staff number rather than from a list: a hospital's directory holds thousands of people.
    staff_number = StringField(_l("Their staff number in the directory (工号, optional)"), filters=[strip],
                               validators=[Length(max=32)])


class ResetPasswordForm(PostForm):
    version = VersionField()
    password = PasswordField(_l("Temporary password"), render_kw={"autocomplete": "new-password"},
                             validators=[DataRequired(message=_l("Enter a temporary password."))])


class VersionForm(PostForm):
    """A button (deactivate, reactivate, unlock) on a record as the administrator saw it."""

    version = VersionField()


class ReferenceForm(PostForm):
    name_zh = StringField(_l("Name in Chinese"), filters=[strip],
                          validators=[DataRequired(message=_l("Enter the name in Chinese.")), Length(max=120)])
    name_en = StringField(_l("Name in English"), filters=[strip],
                          validators=[DataRequired(message=_l("Enter the name in English.")), Length(max=120)])


class NewReferenceForm(ReferenceForm):
    code = StringField(_l("Code"), filters=[strip, lambda v: v.upper() if isinstance(v, str) else v],
                       validators=[DataRequired(message=_l("Enter a short code (e.g. CARD).")), Length(max=32),
                                   Regexp(r"^[A-Z0-9_-]+$", message=_l(
                                       "Use capital letters, digits, hyphens and underscores only."))])


class NewCategoryForm(NewReferenceForm):
    integrity = BooleanField(_l("An integrity category (red envelopes, kickbacks, misconduct): its "
                                "complaints go to the discipline office, never to the department they accuse"))


class EditReferenceForm(ReferenceForm):
    version = VersionField()


# --- the hospital's own details -------------------------------------------------------------------------


class HospitalForm(PostForm):
    version = VersionField()
    name_zh = StringField(_l("Hospital's name in Chinese"), filters=[strip], validators=[
        DataRequired(message=_l("Enter the hospital's name.")), Length(max=120)])
    name_en = StringField(_l("Hospital's name in English"), filters=[strip], validators=[Length(max=120)],
                          description=_l("Left empty, English pages show the Chinese name."))
    office_address_zh = StringField(_l("Complaints office: where it is, in Chinese"), filters=[strip],
                                    validators=[Length(max=200)],
                                    description=_l("Building, floor and room, as a patient would find it."))
    office_address_en = StringField(_l("Complaints office: where it is, in English"), filters=[strip],
                                    validators=[Length(max=200)])
    office_phone = StringField(_l("Complaints office: phone"), filters=[strip], validators=[
        DataRequired(message=_l("Enter the complaints office's phone number.")), Length(max=40)])
    office_hours = StringField(_l("Complaints office: hours on working days"), filters=[strip], validators=[
        DataRequired(message=_l("Enter the office's hours, e.g. 08:00–17:30.")), Length(max=40)])
    # Where a complainant not satisfied may go next: every reply letter names them.
    commission_name_zh = StringField(_l("Health commission: its name, in Chinese"), filters=[strip],
                                     validators=[Length(max=120)],
                                     description=_l("The city's health commission (卫生健康委员会), which hears "
                                                    "complaints the hospital's answer did not settle."))
    commission_name_en = StringField(_l("Health commission: its name, in English"), filters=[strip],
                                     validators=[Length(max=120)])
    commission_phone = StringField(_l("Health commission: complaint line"), filters=[strip],
                                   validators=[Length(max=40)])
    mediation_name_zh = StringField(_l("Mediation committee: its name, in Chinese"), filters=[strip],
                                    validators=[Length(max=120)],
                                    description=_l("The medical dispute people's mediation committee "
                                                   "(医疗纠纷人民调解委员会)."))
    mediation_name_en = StringField(_l("Mediation committee: its name, in English"), filters=[strip],
                                    validators=[Length(max=120)])
    mediation_address_zh = StringField(_l("Mediation committee: its address, in Chinese"), filters=[strip],
                                       validators=[Length(max=200)])
    mediation_address_en = StringField(_l("Mediation committee: its address, in English"), filters=[strip],
                                       validators=[Length(max=200)])
    mediation_phone = StringField(_l("Mediation committee: phone"), filters=[strip], validators=[Length(max=40)])

    unlimited_networks = TextAreaField(
        _l("Addresses the public form's limit leaves alone"), filters=[strip], validators=[Length(max=4000)],
        description=_l("A kiosk in the hall or the hospital's patient Wi-Fi: many people behind one address. One "
                       "address or network a line, e.g. 10.20.0.0/16 or 192.168.1.23."))

    repeat_alert_upheld = IntegerField(
        _l("Repeat alert: complaints upheld against one person within twelve months"),
        validators=[InputRequired(message=_l("Enter how many upheld complaints raise the alert.")),
                    NumberRange(min=1, max=100, message=_l("Enter a number from 1 to 100."))],
        description=_l("Upheld or partly upheld against the same member of staff, counted over the twelve months "
                       "before: reaching it tells leadership, and the accountability report marks the person."))

    remedy_threshold = StringField(
        _l("Remedies: leadership approves an amount above (yuan)"), filters=[strip], render_kw={"inputmode": "decimal"},
        validators=[DataRequired(message=_l("Enter the amount, e.g. 2000."))],
        description=_l("A refund, fee waiver or compensation above it waits for leadership's approval before the "
                       "response goes out."))

    def validate_remedy_threshold(self, field):
        try:
            self.remedy_threshold_fen = parse_yuan(field.data)
        except NotAnAmount as problem:
            raise ValidationError(str(problem.args[0])) from None

    def validate_unlimited_networks(self, field):
        for line in (field.data or "").splitlines():
            try:
                networks(line)
            except ValueError:
                raise ValidationError(_l("“%(line)s” is not an address or a network (e.g. 10.20.0.0/16).",
                                         line=line.strip())) from None

    def values(self) -> dict:
        return {**{name: self[name].data or "" for name in HOSPITAL_FIELDS},  # a field not sent is empty
                "remedy_threshold_fen": self.remedy_threshold_fen}


# --- the directory's groups and the roles they give -----------------------------------------------------


class DirectoryGroupForm(PostForm):
    name = StringField(_l("Group in the directory"), filters=[strip],
                       description=_l("Its name (cn) as the directory has it, e.g. cardiology-heads."),
                       validators=[DataRequired(message=_l("Enter the group's name in the directory.")),
                                   Length(max=255)])
    role = SelectField(_l("Role it gives"), choices=optional_choice(_role_choices),
                       validators=[DataRequired(message=_l("Choose a role."))])
    department = SelectField(_l("Department (department heads and staff only)"), choices=_department_choices,
                             coerce=_department_id, validate_choice=False)


# --- the reply letter's template ----------------------------------------------------------------------


class LetterTemplateForm(PostForm):
    version = VersionField()
    text = TextAreaField(_l("The letter"), filters=[strip],
                         validators=[DataRequired(message=_l("Write the letter: it cannot be empty.")),
                                     Length(max=letters.TEMPLATE_MAX)],
                         description=_l("Plain text. A blank line starts a new paragraph; the first paragraph is "
                                        "the letter's heading and the last its signature. A paragraph with a "
                                        "placeholder that has nothing to say (no remedy, no committee set) is "
                                        "left out of that letter."))

    def validate_text(self, field):
        unknown = letters.unknown_placeholders(field.data or "")
        if unknown:
            raise ValidationError(_l("%(names)s: no such placeholder. Use only those listed below, in braces, "
                                     "as {reference}.", names=", ".join("{" + name + "}" for name in unknown)))
