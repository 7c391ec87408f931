"""Admin forms: the deadline policy and the hospital's own calendar days."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..core.forms import PostForm, optional_choice, strip
from ..deadlines.models import CLOCK_LABELS, MAX_DAYS, Clock, DayKind


class DeadlinePolicyForm(PostForm):
    """One whole-number field per clock, named after the clock."""

    def clock_fields(self):
        return [(Clock(name), self[name]) for name in (c.value for c in Clock)]

    def working_days(self) -> dict[Clock, int]:
        return {clock: field.data for clock, field in self.clock_fields()}


def _days_field(clock: Clock) -> IntegerField:
    return IntegerField(CLOCK_LABELS[clock], validators=[
        InputRequired(message=_l("Enter a whole number of working days.")),
        NumberRange(min=1, max=MAX_DAYS, message=_l("Enter a number of working days from %(min)s to %(max)s.")),
    ])


for _clock in Clock:
    setattr(DeadlinePolicyForm, _clock.value, _days_field(_clock))


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
