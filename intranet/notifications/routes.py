"""The bell in the staff header and the /notifications page (list, mark as read)."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload

from ..core.database import reads_only
from ..core.extensions import db, htmx
from ..core.pages import render_page
from ..core.time import utcnow
from ..core.users import read_with_the_user
from .kinds import render_notification, staff_kind_labels
from .models import StaffNotification

bp = Blueprint("notifications", __name__)

# Tells the bell to refresh after something was marked read.
CHANGED = "notifications-changed"
PAGE_SIZE = 50
MAX_PAGE = 100_000  # a larger page would overflow the database's OFFSET
# The bell counts up to this many unread and shows "99+" beyond: it never grows wider than three figures,
# and nobody's thousand unread are counted on every page.
BELL_CAP = 99


@cache
def _unread():
    # On every staff page (the bell): a Core statement on the table, which skips the ORM's compilation, built
    # once per worker (a statement keeps its cache key, so it is not worked out again at each page either).
    # It counts no further than one past the cap.
    table = StaffNotification.__table__
    unread = (select(table.c.id).where(table.c.user_id == bindparam("user_id"), table.c.read_at.is_(None))
              .limit(BELL_CAP + 1).subquery())
    return select(func.count()).select_from(unread)


def _unread_with_the_user():
    return _unread().scalar_subquery()


# A page that only reads counts the bell in the statement that loads the logged-in user.
read_with_the_user("unread_notifications", _unread_with_the_user)


def unread_count(user) -> int:
    """The unread notifications of `user`, counted up to BELL_CAP + 1 (the bell shows "99+" then)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    ident, values = g.get("read_with_the_user", (None, {}))
    if ident == user.id and "unread_notifications" in values:
        return values["unread_notifications"] or 0
    return db.session.scalar(_unread(), {"user_id": user.id}) or 0


def _page() -> int:
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


def _filters() -> dict:
    """What the list shows: unread only or all, and one kind or every kind (from the query string)."""
    kind = request.args.get("kind")
    return {"show": "unread" if request.args.get("show") == "unread" else "all",
            "kind": kind if kind in staff_kind_labels() else None}


def _context() -> dict:
    filters = _filters()
    query = select(StaffNotification).where(StaffNotification.user_id == current_user.id)
    if filters["show"] == "unread":
        query = query.where(StaffNotification.read_at.is_(None))
    if filters["kind"]:
        query = query.where(StaffNotification.kind == filters["kind"])
    page = _page()
    items = db.session.scalars(
        query.options(joinedload(StaffNotification.complaint))
        .order_by(StaffNotification.read_at.is_not(None), StaffNotification.created_at.desc(),
                  StaffNotification.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    kinds = db.session.scalars(select(StaffNotification.kind).where(StaffNotification.user_id == current_user.id)
                               .distinct()).all()
    has_next, items = len(items) > PAGE_SIZE, items[:PAGE_SIZE]
    # In the reader's language now, from what each kept (no query: the facts are on the row).
    written = {n.id: render_notification(n.kind, n.facts, n.subject, n.body) for n in items}
    return dict(items=items, written=written, page=page, has_next=has_next,
                unread=unread_count(current_user), filters=filters,
                kinds=[(k, label) for k, label in staff_kind_labels().items() if k in kinds],
                filter_args=_filter_args(), query=_query())


def _filter_args() -> dict:
    """The filters as query arguments, for the pages' links."""
    return {k: v for k, v in _filters().items() if v and v != "all"}


def _query() -> dict:
    """The filters and the page as query arguments, to keep them across marking read."""
    page = _page()
    return {**_filter_args(), **({"page": page} if page > 1 else {})}


@bp.get("/notifications/bell")
@reads_only
def bell():
    if not current_user.is_authenticated:
        # Polling from a page whose session ended: the whole window goes to the login page.
        return current_app.login_manager.unauthorized()
    return render_block("base.html", "bell")


@bp.get("/notifications")
@reads_only
@login_required
def index():
    return render_template("notifications/index.html", **_context())


def _done():
    if htmx:
        return render_page("notifications/index.html", **_context()), 200, {"HX-Trigger": CHANGED}
    return redirect(url_for(".index", **_query()))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    item = db.session.get(StaffNotification, notification_id)
    if item is None or item.user_id != current_user.id:
        abort(404)
    if item.read_at is None:
        item.read_at = utcnow()
        db.session.commit()
    return _done()


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    # All those shown: of the kind chosen, if one is.
    kind = _filters()["kind"]
    db.session.execute(update(StaffNotification).where(
        StaffNotification.user_id == current_user.id, StaffNotification.read_at.is_(None),
        *([StaffNotification.kind == kind] if kind else [])).values(read_at=utcnow()))
    db.session.commit()
    return _done()
