"""Reference data maintained by the administrator: departments and complaint categories."""

from sqlalchemy import Boolean, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .i18n import english


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    # clinical, nursing, medical technology, administrative…: for the monthly analysis
    kind: Mapped[str] = mapped_column(String(32), default="clinical")
    # Deactivated, a department is offered for no new assignment but still shows on the complaints it has.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped by every administrator's change: two admins renaming it at once, the second is told.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @property
    def name(self) -> str:
        return self.name_en if english() else self.name_zh

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # An integrity category (医德医风: 红包, 回扣, misconduct): its complaints go to the discipline office,
    # never to the department they accuse.
    integrity: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    name = Department.name


def name_column(model):
    """The column of a department's or category's name in the reader's language, for a statement that reads
    names as plain columns rather than as rows."""
    columns = model.__table__.c
    return columns.name_en if english() else columns.name_zh


class ReferringBody(db.Model):
    """Who referred a complaint to the hospital (转办单位): the 12320 health hotline, the 12345 citizens'
    hotline, the health commission, another agency. Kept by the administrator like the categories."""

    __tablename__ = "referring_bodies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    name = Department.name
