"""A person in the staff directory, and the record of each import from the hospital's export."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.departments import Department
from ..core.extensions import db
from ..core.time import UTCDateTime, utcnow
from ..core.users import User

STAFF_NUMBER_LENGTH, NAME_LENGTH, TITLE_LENGTH = 32, 120, 120


class StaffMember(db.Model):
    """One person. Never deleted: a complaint may name them; someone who left is marked inactive."""

    __tablename__ = "staff_members"
    __table_args__ = (
        CheckConstraint("length(trim(name)) > 0", name="name_not_empty"),
        CheckConstraint("length(trim(staff_number)) > 0", name="staff_number_not_empty"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 工号: the hospital's own number for the person, the key a re-import matches on.
    staff_number: Mapped[str] = mapped_column(String(STAFF_NUMBER_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # 职称/职务 as the export writes it (主治医师, 护士长…): free text, none when the export leaves it empty.
    title: Mapped[str | None] = mapped_column(String(TITLE_LENGTH))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by every change (an administrator's or an import's): two changes at once, the second is told.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    department: Mapped[Department] = relationship()
    # The staff account linked to this person, if any (users.staff_member_id, unique).
    account: Mapped[User | None] = relationship(User, primaryjoin="User.staff_member_id == StaffMember.id",
                                                foreign_keys="User.staff_member_id", viewonly=True, uselist=False)

    def __repr__(self) -> str:
        return f"<StaffMember {self.staff_number}>"


class DirectoryImport(db.Model):
    """An import that was written: who, when, from which file, and what it did."""

    __tablename__ = "directory_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    # Active people the file did not list, marked inactive because the administrator asked for it.
    deactivated: Mapped[int] = mapped_column(Integer)

    by: Mapped[User] = relationship()
