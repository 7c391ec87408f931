"""Log in and out. Sessions die on logout everywhere: the cookie carries the user's session version."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..core.extensions import db
from ..core.forms import PostForm, safe_next
from ..core.time import utcnow
from ..core.users import User
from .forms import LoginForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("complaints.queue"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data))
        # One message for an unknown user and a wrong password.
        if user is None or not user.active or not user.check_password(form.password.data):
            form.password.errors = [_("The username or password is not right.")]
            return render_template("auth/login.html", form=form), 422
        user.last_login_at = utcnow()
        db.session.commit()
        login_user(user)
        return redirect(safe_next(request.args.get("next")) or url_for("complaints.queue"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    if PostForm().validate_on_submit():
        current_user.end_all_sessions()
        db.session.commit()
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))
