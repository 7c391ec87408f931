from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..complaints.forms import ComplaintDetailsForm
from ..forms import PostForm, strip


class PublicComplaintForm(ComplaintDetailsForm):
    """The public form: the complainant's own words, answered in their language."""


class TrackForm(PostForm):
    reference = StringField(_l("Reference number"), filters=[strip],
                            validators=[DataRequired(message=_l("Enter your reference number.")), Length(max=20)])
    code = StringField(_l("Tracking code"), filters=[strip],
                       validators=[DataRequired(message=_l("Enter your tracking code.")), Length(max=20)])
