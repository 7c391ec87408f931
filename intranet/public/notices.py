"""Public notices (公告): leadership publishes the measures taken for a recurring problem; the public
read them at /notices, each in the language it was written in.

A notice is published when saved and can be withdrawn (it then leaves the public list, and the record of
who withdrew it stays); its text is never edited after publication — a correction is a new notice.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from ..complaints.permissions import PUBLISH_NOTICES, can
from ..core.extensions import db
from ..core.forms import STRIPPED, Length, PostForm, required
from ..core.time import UTCDateTime, utcnow
from ..core.users import User

LANGUAGES = ("zh", "en")


class PublicNotice(db.Model):
    __tablename__ = "public_notices"
    __table_args__ = (CheckConstraint("language IN ('zh', 'en')", name="notice_language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))  # what it is written in: shown as such, not translated
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])


class NoticeForm(PostForm):
    language = SelectField(_l("Written in"), choices=[SelectChoice("zh", "中文"), SelectChoice("en", "English")],
                           validators=[InputRequired(message=_l("Choose the language it is written in."))])
    title = StringField(_l("Title"), filters=STRIPPED, validators=[required(), Length(max=200)])
    body = TextAreaField(_l("The measures taken"), filters=STRIPPED, validators=[required(), Length(max=10000)])


bp = Blueprint("notices", __name__)


def _published():
    return select(PublicNotice).where(PublicNotice.withdrawn_at.is_(None))


@bp.get("/notices")
def index():
    notices = db.session.scalars(_published().order_by(PublicNotice.published_at.desc()).limit(100)).all()
    return render_template("public/notices.html", notices=notices,
                           may_publish=can(current_user, PUBLISH_NOTICES))


@bp.get("/notices/<int:notice_id>")
def show(notice_id: int):
    notice = db.session.scalar(_published().where(PublicNotice.id == notice_id))
    if notice is None:
        abort(404)
    return render_template("public/notice.html", notice=notice, may_publish=can(current_user, PUBLISH_NOTICES))


def _publishers_only():
    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())  # to the login page, and back here after
    if not can(current_user, PUBLISH_NOTICES):
        abort(403)


@bp.route("/notices/new", methods=["GET", "POST"])
def new():
    _publishers_only()
    form = NoticeForm()
    if request.method == "GET":
        form.language.data = request.args.get("lang") if request.args.get("lang") in LANGUAGES else "zh"
    if form.validate_on_submit():
        notice = PublicNotice(title=form.title.data, body=form.body.data, language=form.language.data,
                              published_by_id=current_user.id)
        db.session.add(notice)
        db.session.commit()
        flash(_("The notice is published."), "success")
        return redirect(url_for(".show", notice_id=notice.id))
    return render_template("public/notice_new.html", form=form), 422 if form.is_submitted() else 200


@bp.post("/notices/<int:notice_id>/withdraw")
def withdraw(notice_id: int):
    _publishers_only()
    if not PostForm().validate_on_submit():
        abort(400)
    notice = db.session.get(PublicNotice, notice_id)
    if notice is None:
        abort(404)
    if notice.withdrawn_at is None:
        notice.withdrawn_at, notice.withdrawn_by_id = utcnow(), current_user.id
        db.session.commit()
    flash(_("The notice is withdrawn from the public list."), "success")
    return redirect(url_for(".index"))
