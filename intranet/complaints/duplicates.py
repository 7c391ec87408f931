"""Likely duplicates at intake, and repeat complainants (SPEC: the same matter often arrives twice).

Earlier complaints of the last 90 days from the same phone, about the same patient (record number or
name), or with very similar words (most of their character pairs shared) are shown to reception when a
complaint is logged or a public submission triaged. Everything goes through the search index and through
`permissions`: only complaints the user may see, found by fields the user may search.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import joinedload

from ..core.extensions import db
from ..core.roles import Role, role_of
from ..core.time import utcnow
from . import search
from .models import Complaint, Responsibility
from .permissions import identity_fields, visible

WINDOW = timedelta(days=90)
# Share of character pairs two texts must have in common (of all the pairs either has) to be "very similar".
SIMILAR = 0.5
# How many recent complaints the words are compared with: the 90 days of a large hospital.
COMPARED = 5000
SHOWN = 8

REASONS = {
    "phone": _l("same phone"),
    "patient_record_number": _l("same medical record number"),
    "patient_name": _l("same patient name"),
    "text": _l("very similar words"),
}


@dataclass(frozen=True)
class Candidate:
    complaint: Complaint
    reasons: tuple[str, ...]  # keys of REASONS

    @property
    def why(self) -> list[str]:
        return [str(REASONS[r]) for r in self.reasons]


def likely_duplicates(user, *, phone: str | None = None, patient_record_number: str | None = None,
                      patient_name: str | None = None, what_happened: str | None = None,
                      exclude_id: int | None = None) -> list[Candidate]:
    """Recent complaints `user` may see that look like the same matter, the most reasons first."""
    search.plain_plans()
    recent = and_(visible(user), Complaint.received_at >= utcnow() - WINDOW,
                  Complaint.id != exclude_id if exclude_id is not None else true())
    reasons: dict[int, list[str]] = {}
    for reason, field, value in (("phone", "complainant_phone", phone),
                                 ("patient_record_number", "patient_record_number", patient_record_number),
                                 ("patient_name", "patient_name", patient_name)):
        clause = search.in_field(user, field, value)
        if clause is None:
            continue
        for complaint_id in db.session.scalars(select(Complaint.id).where(recent, clause)
                                               .order_by(Complaint.id.desc()).limit(SHOWN)):
            reasons.setdefault(complaint_id, []).append(reason)
    mine = set(search.tokens(what_happened or ""))
    # Found by their words alone, a complaint ranks by its id among the others found so (one reason each,
    # the newest first), after those found by a field too: only the SHOWN newest of them can be shown, and
    # only they are kept (a min-heap of ids), however many a wave of complaints about one matter makes.
    by_words: list[int] = []
    if len(mine) >= 4:
        for complaint_id, words in search.contents(recent, COMPARED):
            # Most complaints share few words with this one: with fewer than SIMILAR of its words shared,
            # no union (never smaller than its words) can make them similar, and they are set aside
            # without making a set of theirs, which is what comparing thousands of complaints cost.
            shared = len(mine.intersection(words))
            if shared / len(mine) < SIMILAR:
                continue
            theirs = set(words)
            if shared / (len(mine) + len(theirs) - shared) < SIMILAR:
                continue
            if complaint_id in reasons:
                reasons[complaint_id].append("text")
            elif len(by_words) < SHOWN:
                heapq.heappush(by_words, complaint_id)
            elif complaint_id > by_words[0]:
                heapq.heapreplace(by_words, complaint_id)
    for complaint_id in by_words:
        reasons[complaint_id] = ["text"]
    if not reasons:
        return []
    # Ranked by their ids before anything is loaded: a wave of complaints about one matter can make
    # thousands of candidates, and only the first few are shown.
    ranked = sorted(reasons, key=lambda i: (-len(reasons[i]), -i))[:SHOWN]
    found = {c.id: c for c in db.session.scalars(
        select(Complaint).where(Complaint.id.in_(ranked), visible(user))
        .options(joinedload(Complaint.department), joinedload(Complaint.category)))}
    return [Candidate(found[i], tuple(reasons[i])) for i in ranked if i in found]


def for_complaint(user, complaint: Complaint) -> list[Candidate]:
    return likely_duplicates(user, phone=complaint.complainant_phone,
                             patient_record_number=complaint.patient_record_number,
                             patient_name=complaint.patient_name, what_happened=complaint.what_happened,
                             exclude_id=complaint.id)


def earlier_from_same_phone(user, complaint: Complaint) -> tuple[int, str] | None:
    """(how many earlier complaints came from this complaint's phone, its digits to search by), for a user
    who may see the phone; None otherwise or when there are none."""
    if "complainant_phone" not in identity_fields(user, complaint) or not complaint.complainant_phone:
        return None
    clause = search.in_field(user, "complainant_phone", complaint.complainant_phone)
    if clause is None:
        return None
    count = db.session.scalar(select(func.count()).select_from(Complaint)
                              .where(visible(user), clause, Complaint.id < complaint.id))
    return (count, search.phone_digits(complaint.complainant_phone)[-1]) if count else None


# A complainant whose complaints leadership confirmed malicious this many times is a caution to reception.
MALICIOUS_CAUTION = 2


def malicious_caution(user, phone: str | None, exclude_id: int | None = None) -> int | None:
    """How many earlier complaints from `phone` stand as malicious (confirmed by leadership: a proposal is
    not counted), when they are MALICIOUS_CAUTION or more, for reception at intake and triage. A caution,
    never a refusal: the complaint is registered and handled like any other."""
    if role_of(user) != Role.reception or not phone:
        return None
    clause = search.in_field(user, "complainant_phone", phone)
    if clause is None:
        return None
    count = db.session.scalar(select(func.count()).select_from(Complaint).where(
        visible(user), clause, Complaint.responsibility == Responsibility.malicious.value,
        Complaint.id != exclude_id if exclude_id is not None else true()))
    return count if count >= MALICIOUS_CAUTION else None
