from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from ..core.forms import PostForm, strip


class LoginForm(PostForm):
    username = StringField(_l("Username"), filters=[strip],
                           validators=[DataRequired(message=_l("Enter your username."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])
