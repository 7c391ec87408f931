"""The people a complaint is about (被投诉人/当事人): named from the staff directory, or in the complainant's
own words until someone matches them to a directory entry; what each was told and said (当事人陈述), with
files; and the head's finding for each. Rows change only through the `people` actions (actions/people.py):
every change is an event, and the chain vouches for them (audit.people_digest)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.choices import Labelled
from ..core.database import enum_column
from ..core.extensions import db
from ..core.roles import Role
from ..core.time import UTCDateTime, hospital_tz, utcnow
from ..core.users import User
from ..directory.models import StaffMember
from .models import Complaint, ContactMethod

DESCRIBED_LENGTH = 300


class PersonFinding(Labelled):
    """The head's finding for one person, beside the complaint's own (Responsibility): malicious is a finding
    about the complainant, never about a member of staff."""

    upheld = "upheld"
    partly_upheld = "partly_upheld"
    not_upheld = "not_upheld"

    @staticmethod
    def LABELS():  # noqa: N802
        return {PersonFinding.upheld: _l("Upheld"), PersonFinding.partly_upheld: _l("Partly upheld"),
                PersonFinding.not_upheld: _l("Not upheld")}


class ComplaintPerson(db.Model):
    __tablename__ = "complaint_people"
    __table_args__ = (
        # A directory entry, or the complainant's words for someone not matched yet (or both, once matched).
        CheckConstraint("staff_member_id IS NOT NULL OR described IS NOT NULL", name="person_or_description"),
        CheckConstraint("described IS NULL OR length(trim(described)) > 0", name="described_not_empty"),
        CheckConstraint("(told_on IS NULL) = (told_via IS NULL)", name="told_when_and_how"),
        # A person is named once per complaint: named again after a removal, the same row comes back.
        UniqueConstraint("complaint_id", "staff_member_id", name="person_named_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    described: Mapped[str | None] = mapped_column(String(DESCRIBED_LENGTH))
    # Who named them: None and "public" for the complainant's own words on the public form.
    named_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    named_by_role: Mapped[str] = mapped_column(enum_column(Role, "person_named_by_role"))
    named_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Their side: told of the complaint (when, how) and what they said.
    told_on: Mapped[date | None] = mapped_column(Date)
    told_via: Mapped[str | None] = mapped_column(enum_column(ContactMethod, "person_told_via"))
    statement: Mapped[str | None] = mapped_column(Text)
    statement_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finding: Mapped[str | None] = mapped_column(enum_column(PersonFinding, "person_finding"))

    complaint: Mapped[Complaint] = relationship(
        backref=db.backref("people", order_by="ComplaintPerson.id", lazy="select"))
    staff_member: Mapped[StaffMember | None] = relationship()
    named_by: Mapped[User | None] = relationship()

    @property
    def current(self) -> bool:
        return self.removed_at is None

    def recorded_name(self) -> str:
        """How an event records them, the same in every language: name and staff number, else the words."""
        if self.staff_member is not None:
            return f"{self.staff_member.name} ({self.staff_member.staff_number})"
        return self.described or ""

    def name(self) -> str:
        """How the person reads: their directory entry, else the complainant's words."""
        if self.staff_member is not None:
            member = self.staff_member
            parts = [member.name, member.staff_number, member.department.name, member.title]
            return " · ".join(p for p in parts if p)
        return self.described or ""


class PersonFile(db.Model):
    """A file given with a person's statement: stored like the complaint's evidence (evidence.store)."""

    __tablename__ = "complaint_person_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("complaint_people.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[ComplaintPerson] = relationship(
        backref=db.backref("files", order_by="PersonFile.id", lazy="select"))


def current_people(complaint: Complaint) -> list[ComplaintPerson]:
    return [p for p in complaint.people if p.current]


def person_of(complaint, ref) -> ComplaintPerson | None:
    """The row an event's reference names: [staff member id, or None and the complainant's words]."""
    staff_member_id, described = ref
    # Words matched to the directory later keep the words: the row is found by them still.
    return next((p for p in complaint.people if (p.staff_member_id == staff_member_id if staff_member_id
                                                 else p.described == described)), None)


# --- found against, again and again ------------------------------------------------------------------------

# What the repeat alert counts: a complaint found against the person, in whole or in part.
FOUND_AGAINST = (PersonFinding.upheld.value, PersonFinding.partly_upheld.value)


def twelve_months_to(last_day: date) -> tuple[datetime, datetime]:
    """[start, end) as UTC moments: the year ending with `last_day` (from the day after the same date a year
    before), at the hospital's midnights, so `received_at` is compared on its index."""
    year_before = last_day.replace(year=last_day.year - 1, day=min(last_day.day, 28)
                                   if last_day.month == 2 else last_day.day)
    tz = hospital_tz()
    return tuple(datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
                 for day in (year_before + timedelta(days=1), last_day + timedelta(days=1)))


def found_against(member_ids: list[int], last_day: date, where=(), leaving_out: int | None = None) -> dict[int, int]:
    """For each directory entry, how many complaints received in the twelve months to `last_day` found
    against them (upheld or partly upheld; not removed from the complaint), of the complaints `where`
    allows (a reader's visible()). `leaving_out`: a person row whose finding is being recorded now."""
    if not member_ids:
        return {}
    start, end = twelve_months_to(last_day)
    query = (select(ComplaintPerson.staff_member_id, func.count())
             .join(Complaint, Complaint.id == ComplaintPerson.complaint_id)
             .where(ComplaintPerson.staff_member_id.in_(member_ids), ComplaintPerson.finding.in_(FOUND_AGAINST),
                    ComplaintPerson.removed_at.is_(None), Complaint.received_at >= start,
                    Complaint.received_at < end, *where)
             .group_by(ComplaintPerson.staff_member_id))
    if leaving_out is not None:
        query = query.where(ComplaintPerson.id != leaving_out)
    return dict(db.session.execute(query).all())
