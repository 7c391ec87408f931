"""Co-handling (协同处理): a complaint's lead department (`complaints.department_id`) and the departments asked
to contribute their part, each a row of `complaint_contributions` with its own due date, before the lead's.
A contributing head records the department's part (findings, the people of theirs involved, a remedy
proposal) and is done; the lead head signs off once every part is in, unless leadership waived one with a
reason. Rows change only through the co-handling actions (actions/co_handling.py): every change is an event,
and the chain vouches for them (audit.CONTRIBUTIONS)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.database import enum_column
from ..core.departments import Department
from ..core.extensions import db
from ..core.time import UTCDateTime, utcnow
from ..core.users import User
from .models import Complaint, Responsibility

# What a contributing department may find of its own part: a complaint is malicious or not as a whole,
# which is the lead's finding (and leadership's to confirm).
CONTRIBUTION_FINDINGS = (Responsibility.upheld, Responsibility.partly_upheld, Responsibility.not_upheld)


class Contribution(db.Model):
    __tablename__ = "complaint_contributions"
    __table_args__ = (
        # A department is asked once per complaint: removed and asked again, the same row comes back.
        UniqueConstraint("complaint_id", "department_id", name="contribution_once_per_department"),
        # The lead department is not one of its own contributors (the lead as it stands, kept on the row by
        # every step that changes it: assign refuses a contributing department until it is removed).
        CheckConstraint("lead_department_id IS NULL OR department_id <> lead_department_id",
                        name="contributor_not_the_lead"),
        CheckConstraint("(contributed_at IS NULL) = (contributed_by_id IS NULL)", name="contributed_by_whom"),
        CheckConstraint("contributed_at IS NULL OR findings IS NOT NULL", name="contribution_has_findings"),
        CheckConstraint("(waived_at IS NULL) = (waived_reason IS NULL)", name="waived_with_reason"),
        CheckConstraint("contributed_at IS NULL OR waived_at IS NULL", name="contributed_or_waived"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    due_on: Mapped[date] = mapped_column(Date)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The department's part.
    findings: Mapped[str | None] = mapped_column(Text)
    people: Mapped[str | None] = mapped_column(Text)  # the members of staff of theirs involved
    responsibility: Mapped[str | None] = mapped_column(enum_column(CONTRIBUTION_FINDINGS, "contribution_finding"))
    remedy_proposal: Mapped[str | None] = mapped_column(Text)
    contributed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contributed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Leadership let the lead sign off without this part.
    waived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waived_reason: Mapped[str | None] = mapped_column(String(2000))

    complaint: Mapped[Complaint] = relationship(
        backref=db.backref("contributions", order_by="Contribution.id", lazy="select"))
    department: Mapped[Department] = relationship(foreign_keys=[department_id])
    contributed_by: Mapped[User | None] = relationship(foreign_keys=[contributed_by_id])
    waived_by: Mapped[User | None] = relationship(foreign_keys=[waived_by_id])

    @property
    def current(self) -> bool:
        return self.removed_at is None

    @property
    def outstanding(self) -> bool:
        """Still to come: asked for, neither recorded nor waived."""
        return self.current and self.contributed_at is None and self.waived_at is None

    def late(self, on: date) -> bool:
        return self.outstanding and self.due_on < on


def current_contributions(complaint: Complaint) -> list[Contribution]:
    return [c for c in complaint.contributions if c.current]


def outstanding(complaint: Complaint) -> list[Contribution]:
    return [c for c in complaint.contributions if c.outstanding]


def contribution_of(complaint: Complaint, department_id: int | None) -> Contribution | None:
    """The department's current contribution to the complaint, if it is asked for one."""
    return next((c for c in complaint.contributions if c.current and c.department_id == department_id), None)
