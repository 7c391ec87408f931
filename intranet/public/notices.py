"""Public notices (公告): leadership publishes the measures taken for a recurring problem; the public
read them at /notices. A notice has a Chinese version and, if leadership writes one, an English version;
each reader sees the one in their language, and a notice without it is listed with the version it has, saying
so ("Available in Chinese only").

A notice is published when saved and can be withdrawn (it then leaves the public list, and the record of
who withdrew it stays); its text is never edited after publication — a correction is a new notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from ..complaints.permissions import PUBLISH_NOTICES, can
from ..core.extensions import db
from ..core.forms import STRIPPED, Length, PostForm, required
from ..core.i18n import english
from ..core.time import UTCDateTime, utcnow
from ..core.users import User


@dataclass(frozen=True)
class Version:
    """A notice as one reader sees it: the version in their language, or (`only`) the one it has."""

    language: str
    title: str
    body: str
    only: bool  # not in the reader's language: the page says it is available in this one only

    @property
    def lang(self) -> str:
        return "zh-CN" if self.language == "zh" else "en"


class PublicNotice(db.Model):
    __tablename__ = "public_notices"
    # A version is a title and a body together; a notice has at least one (Chinese for every new one; an
    # English-only notice is one published before notices had two versions).
    __table_args__ = (CheckConstraint(
        "(title_zh IS NULL) = (body_zh IS NULL) AND (title_en IS NULL) = (body_en IS NULL) "
        "AND (title_zh IS NOT NULL OR title_en IS NOT NULL)", name="notice_versions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_zh: Mapped[str | None] = mapped_column(String(200))
    body_zh: Mapped[str | None] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(String(200))
    body_en: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    def shown(self) -> Version:
        """The version for the reader's language (the request's), or the one the notice has."""
        wanted, other = ("en", "zh") if english() else ("zh", "en")
        for language in (wanted, other):
            title, body = getattr(self, f"title_{language}"), getattr(self, f"body_{language}")
            if title is not None:
                return Version(language, title, body, only=language != wanted)
        raise ValueError(f"notice {self.id} has no version")  # the CHECK constraint forbids it


def _both_or_neither(other_name: str, message):
    """The English version is optional, but a title without a body (or the reverse) is half of one."""

    def check(form, field):
        if not field.data and form[other_name].data:
            raise ValidationError(str(message))

    return check


class NoticeForm(PostForm):
    title_zh = StringField(_l("Title in Chinese"), filters=STRIPPED, validators=[required(), Length(max=200)])
    body_zh = TextAreaField(_l("The measures taken, in Chinese"), filters=STRIPPED,
                            validators=[required(), Length(max=10000)])
    title_en = StringField(_l("Title in English (optional)"), filters=STRIPPED, validators=[
        _both_or_neither("body_en", _l("Give the English version a title too, or leave both English fields empty.")),
        Length(max=200)])
    body_en = TextAreaField(_l("The measures taken, in English (optional)"), filters=STRIPPED, validators=[
        _both_or_neither("title_en", _l("Give the English version its text too, or leave both English fields "
                                        "empty.")),
        Length(max=10000)])


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
    if form.validate_on_submit():
        notice = PublicNotice(title_zh=form.title_zh.data, body_zh=form.body_zh.data,
                              title_en=form.title_en.data or None, body_en=form.body_en.data or None,
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
