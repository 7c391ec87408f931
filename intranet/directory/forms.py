"""The directory's forms: one person, the search of the list, and the two steps of an import."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Optional

from ..core.departments import Department
from ..core.forms import STRIPPED, Length, PostForm, VersionField, active_choices, department_choices, int_or_none
from .models import NAME_LENGTH, STAFF_NUMBER_LENGTH, TITLE_LENGTH


class StaffMemberForm(PostForm):
    staff_number = StringField(_l("Staff number (工号)"), filters=STRIPPED, validators=[
        DataRequired(message=_l("Enter the staff number.")), Length(max=STAFF_NUMBER_LENGTH)])
    name = StringField(_l("Name"), filters=STRIPPED, validators=[
        DataRequired(message=_l("Enter the name.")), Length(max=NAME_LENGTH)])
    department = SelectField(_l("Department"), choices=department_choices, coerce=int_or_none,
                             validate_choice=False,  # changes.py refuses a department no longer in use
                             validators=[DataRequired(message=_l("Choose the department."))])
    title = StringField(_l("Title or post (职称/职务, optional)"), filters=STRIPPED,
                        validators=[Length(max=TITLE_LENGTH)])


class EditStaffMemberForm(StaffMemberForm):
    version = VersionField()


def _any_department():
    return [SelectChoice("", _l("All departments"))] + active_choices(Department)


def _states():
    return [SelectChoice("active", _lp("staff directory", "Active")), SelectChoice("inactive", _l("Inactive")),
            SelectChoice("all", _l("Active and inactive"))]


class DirectorySearchForm(FlaskForm):
    """The list's search, in the URL (a GET form, bookmarkable: no CSRF token to expire)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, staff number or department"), filters=STRIPPED, validators=[Length(max=120)])
    department = SelectField(_l("Department"), choices=_any_department, coerce=int_or_none,
                             validators=[Optional()])
    state = SelectField(_l("State"), choices=_states, default="active", validators=[Optional()])


class ImportUploadForm(PostForm):
    file = FileField(_l("The staff list (CSV or XLSX)"))


class ConfirmImportForm(PostForm):
    # The fingerprint of the preview the administrator saw: only that is written.
    digest = HiddenField()
    mark_absent_inactive = BooleanField(_l("Mark the active people this file does not list as inactive"))
