from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from ..core.forms import PostForm, strip


class LoginForm(PostForm):
    username = StringField(_l("Username"), filters=[strip],
                           validators=[DataRequired(message=_l("Enter your username."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])


class ChangePasswordForm(PostForm):
    current_password = PasswordField(
        _l("Your current password"), render_kw={"autocomplete": "current-password"},
        validators=[DataRequired(message=_l("Enter your current password."))])
    new_password = PasswordField(
        _l("New password"), render_kw={"autocomplete": "new-password"},
        validators=[DataRequired(message=_l("Enter a new password."))])
    confirm = PasswordField(
        _l("The new password again"), render_kw={"autocomplete": "new-password"},
        validators=[DataRequired(message=_l("Type the new password again.")),
                    EqualTo("new_password", message=_l("The two new passwords are not the same."))])
