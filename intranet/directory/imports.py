"""Importing the staff directory from the hospital's export (CSV or XLSX), in two steps.

1. The administrator uploads the file. It is kept on the server under a random token (`keep`), read, and
   planned (`plan`): each row as it will be (new, updated, unchanged) or what is wrong with it, and the
   active people the file does not list. Nothing is written.
2. They confirm what they saw. The file is read and planned again, and written (`apply`) only if the plan is
   the one they saw (its digest) and has no error: all of it in one transaction, or none.

A re-import matches people by staff number, so the same file again changes nothing and never duplicates.
People the file does not list are left as they are, unless the administrator asks for them to be marked
inactive. The file is kept rather than sent twice because the second step must write exactly what the
first showed; it lives in the instance folder, named by a token nobody can guess, readable only by the
administrator who uploaded it, and is removed once written or after a day.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import secrets
import time
import zipfile
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.admin_events import record
from ..core.departments import Department
from ..core.extensions import db
from ..core.time import utcnow
from ..core.users import User
from ..core.versioned import Refused, claim
from .models import NAME_LENGTH, STAFF_NUMBER_LENGTH, TITLE_LENGTH, DirectoryImport, StaffMember

MAX_BYTES = 2 * 1024 * 1024  # a hospital of 5,000 people exports about 300 KiB
MAX_ROWS = 20_000
KEEP_FOR_SECONDS = 24 * 3600
KINDS = ("csv", "xlsx")

# The columns, by the headers the hospital's export (or a person) may give them, compared without case,
# spaces or punctuation. Staff number, name and department are needed; title and active are optional.
HEADERS = {
    "staff_number": ("工号", "职工号", "员工号", "员工编号", "人员编号", "staffnumber", "staffno", "employeenumber",
                     "employeeid", "employeeno"),
    "name": ("姓名", "name", "fullname"),
    "department": ("科室", "部门", "所在科室", "department", "dept"),
    "title": ("职称", "职务", "职称职务", "title", "jobtitle"),
    "active": ("在职", "在职状态", "状态", "active", "status"),
}
REQUIRED = ("staff_number", "name", "department")
COLUMN_LABELS = {
    "staff_number": _l("staff number (工号)"), "name": _l("name (姓名)"), "department": _l("department (科室)"),
    "title": _l("title (职称)"), "active": _l("active (在职)"),
}
YES = {"是", "在职", "在岗", "y", "yes", "true", "1", "active"}
NO = {"否", "离职", "退休", "不在职", "n", "no", "false", "0", "inactive"}


class Unreadable(Exception):
    """The file as a whole cannot be used: the wrong kind, too big, not readable, no column for a need."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _compact(header: str) -> str:
    return re.sub(r"[\s_\-/()（）:：.]+", "", header).lower()


_FIELD_OF_HEADER = {_compact(h): name for name, headers in HEADERS.items() for h in headers}


# --- reading the file -------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """The file's header (field -> the header as written) and its rows: (the row's number in the file, its
    values by field), blank rows left out."""

    headers: dict[str, str]
    ignored: list[str]
    rows: list[tuple[int, dict[str, str]]]


def kind_of(file_name: str) -> str:
    extension = os.path.splitext(file_name or "")[1].lower().lstrip(".")
    if extension not in KINDS:
        raise Unreadable(_l("“%(name)s” is not a CSV or XLSX file: export the staff list from the hospital's "
                            "system as CSV or as an Excel workbook (.xlsx).", name=file_name or "?"))
    return extension


def read(data: bytes, file_name: str) -> Sheet:
    kind = kind_of(file_name)
    if len(data) > MAX_BYTES:
        raise Unreadable(_l("The file is larger than %(size)s MiB: that is not a staff list.",
                            size=MAX_BYTES // (1024 * 1024)))
    if not data:
        raise Unreadable(_l("The file is empty."))
    lines = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    return _sheet(lines)


def _csv_rows(data: bytes) -> list[list[str]]:
    if data.startswith(b"PK\x03\x04") or b"\x00" in data:
        raise Unreadable(_l("This file is not CSV text (is it a workbook saved with the wrong name?)."))
    text = None
    # UTF-8 (with or without the BOM Excel writes for "CSV UTF-8"), then GB18030, what Excel in China saves a
    # plain "CSV" as. Strict decoding: a file that is neither is refused, not read as mojibake.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise Unreadable(_l("The file could not be read as text: save it as “CSV UTF-8” and try again."))
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as error:
        raise Unreadable(_l("The file could not be read as CSV (%(error)s).", error=str(error))) from error


def _xlsx_rows(data: bytes) -> list[list[str]]:
    # openpyxl is needed only here: loaded when a workbook is imported, not in every worker.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not data.startswith(b"PK\x03\x04"):
        raise Unreadable(_l("This file is not an Excel workbook (.xlsx), whatever its name says."))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows = []
            for values in sheet.iter_rows(values_only=True):
                rows.append([_cell_text(v) for v in values])
                if len(rows) > MAX_ROWS + 1:
                    break
            return rows
        finally:
            book.close()
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as error:
        raise Unreadable(_l("This Excel workbook could not be read: save it again as .xlsx and try "
                            "again.")) from error


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a staff number typed as a number: 1001, not 1001.0
    return str(value)


def _sheet(lines: list[list[str]]) -> Sheet:
    numbered = [(n, [cell.strip() for cell in line]) for n, line in enumerate(lines, start=1)]
    numbered = [(n, cells) for n, cells in numbered if any(cells)]
    if not numbered:
        raise Unreadable(_l("The file has no rows."))
    (_header_number, header), body = numbered[0], numbered[1:]
    if len(body) > MAX_ROWS:
        raise Unreadable(_l("The file has more than %(count)s rows.", count=MAX_ROWS))
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored = []
    for position, text in enumerate(header):
        name = _FIELD_OF_HEADER.get(_compact(text))
        if name is None:
            if text:
                ignored.append(text)
        elif name in positions:
            raise Unreadable(_l("Two columns are both the %(column)s: “%(first)s” and “%(second)s”.",
                                column=COLUMN_LABELS[name], first=headers[name], second=text))
        else:
            positions[name], headers[name] = position, text
    missing = [str(COLUMN_LABELS[name]) for name in REQUIRED if name not in positions]
    if missing:
        raise Unreadable(_l("The first row must name the columns, and there is none for the %(columns)s.",
                            columns=", ".join(missing)))
    rows = [(n, {name: cells[p] if p < len(cells) else "" for name, p in positions.items()}) for n, cells in body]
    return Sheet(headers=headers, ignored=ignored, rows=rows)


# --- the plan: each row as it will be ---------------------------------------------------------------------

NEW, UPDATED, UNCHANGED, ERROR = "new", "updated", "unchanged", "error"


@dataclass
class Row:
    number: int  # the row's number in the file, as the spreadsheet shows it (the header is row 1)
    staff_number: str
    name: str
    department_text: str
    title: str | None
    active: bool | None  # None: the file has no active column
    department: Department | None = None
    member: StaffMember | None = None
    outcome: str = ERROR
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Plan:
    file_name: str
    headers: dict[str, str]
    ignored: list[str]
    rows: list[Row]
    absent: list[StaffMember]  # active people the file does not list

    @property
    def errors(self) -> list[tuple[int, str]]:
        return [(row.number, str(error)) for row in self.rows for error in row.errors]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def digest(self) -> str:
        """What the administrator was shown, as a short fingerprint: confirming writes only this plan."""
        seen = [[r.number, r.staff_number, r.name, r.department.id if r.department else None, r.title, r.active,
                 r.outcome, r.member.id if r.member else None, r.member.version if r.member else None]
                for r in self.rows]
        seen.append(sorted([m.id, m.version] for m in self.absent))
        return hashlib.sha256(json.dumps(seen, ensure_ascii=False).encode()).hexdigest()[:32]


def _departments() -> dict[str, Department]:
    """Every department by code (in capitals), Chinese name and English name (in lower case)."""
    found: dict[str, Department] = {}
    for department in db.session.scalars(select(Department).order_by(Department.id)):
        for key in (department.name_en.lower(), department.name_zh, department.code.upper()):
            found[key] = department
    return found


def _active_value(text: str, header: str, errors: list) -> bool | None:
    value = text.strip().lower()
    if not value or value in YES:
        return True  # an export lists the people in post; an empty cell is one of them
    if value in NO:
        return False
    errors.append(_l("“%(header)s” must be yes or no (是 or 否), not “%(value)s”.", header=header, value=text))
    return None


def plan(sheet: Sheet, file_name: str) -> Plan:
    departments = _departments()
    numbers = [values["staff_number"] for _n, values in sheet.rows if values["staff_number"]]
    members = {m.staff_number: m for m in db.session.scalars(
        select(StaffMember).where(StaffMember.staff_number.in_(numbers)))} if numbers else {}
    first_row_of: dict[str, int] = {}
    rows = []
    for number, values in sheet.rows:
        errors: list = []
        title = values.get("title") or None
        row = Row(number=number, staff_number=values["staff_number"], name=values["name"],
                  department_text=values["department"], title=title, active=None, errors=errors)
        if not row.staff_number:
            errors.append(_l("No staff number."))
        elif len(row.staff_number) > STAFF_NUMBER_LENGTH:
            errors.append(_l("The staff number is longer than %(n)s characters.", n=STAFF_NUMBER_LENGTH))
        elif row.staff_number in first_row_of:
            errors.append(_l("Staff number %(number)s is also on row %(row)s.", number=row.staff_number,
                             row=first_row_of[row.staff_number]))
        else:
            first_row_of[row.staff_number] = number
        if not row.name:
            errors.append(_l("No name."))
        elif len(row.name) > NAME_LENGTH:
            errors.append(_l("The name is longer than %(n)s characters.", n=NAME_LENGTH))
        if not row.department_text:
            errors.append(_l("No department."))
        else:
            text = row.department_text
            row.department = departments.get(text.upper()) or departments.get(text) or departments.get(text.lower())
            if row.department is None:
                errors.append(_l("Unknown department “%(department)s”: give its code or its name as on the "
                                 "Departments page.", department=text))
            elif not row.department.active:
                errors.append(_l("The department “%(department)s” is no longer in use.", department=text))
        if title and len(title) > TITLE_LENGTH:
            errors.append(_l("The title is longer than %(n)s characters.", n=TITLE_LENGTH))
        if "active" in values:
            row.active = _active_value(values["active"], sheet.headers["active"], errors)
        if not errors:
            row.member = members.get(row.staff_number)
            row.changes = _changes(row, "title" in sheet.headers)
            row.outcome = NEW if row.member is None else UPDATED if row.changes else UNCHANGED
        rows.append(row)
    absent = []
    if not any(row.errors for row in rows):
        listed = set(first_row_of)
        absent = [m for m in db.session.scalars(select(StaffMember).where(StaffMember.active.is_(True))
                                                .order_by(StaffMember.staff_number))
                  if m.staff_number not in listed]
    return Plan(file_name=file_name, headers=sheet.headers, ignored=sheet.ignored, rows=rows, absent=absent)


def _changes(row: Row, has_title: bool) -> list[str]:
    """What the row changes of the person it names (a new person: nothing to compare)."""
    member = row.member
    if member is None:
        return []
    changes = []
    if member.name != row.name:
        changes.append("name")
    if member.department_id != row.department.id:
        changes.append("department")
    if has_title and (member.title or None) != row.title:
        changes.append("title")
    if row.active is not None and member.active != row.active:
        changes.append("active")
    return changes


def preview(data: bytes, file_name: str) -> Plan:
    return plan(read(data, file_name), file_name)


# --- writing it -------------------------------------------------------------------------------------------


class Changed(Exception):
    """The plan is no longer the one the administrator confirmed (someone changed the directory since)."""

    def __init__(self, plan: Plan):
        super().__init__(plan.digest)
        self.plan = plan


def _values(member: StaffMember) -> dict:
    return {"name": member.name, "department": member.department.code if member.department else None,
            "title": member.title, "active": member.active}


def apply(actor: User, plan: Plan, seen_digest: str, mark_absent_inactive: bool) -> DirectoryImport:
    """Write the plan, all of it, in the caller's transaction; refused if it has errors, Changed if it is not
    the one the administrator saw. Every person created or changed is logged, and the import too."""
    if plan.errors:
        raise Refused({"": _l("The file has errors: correct them in the file and upload it again. Nothing was "
                              "written.")})
    if plan.digest != seen_digest:
        raise Changed(plan)
    now = utcnow()
    for row in plan.rows:
        if row.outcome == NEW:
            member = StaffMember(staff_number=row.staff_number, name=row.name, department=row.department,
                                 title=row.title, active=True if row.active is None else row.active,
                                 created_at=now, updated_at=now)
            db.session.add(member)
            db.session.flush()
            record(actor, member, "import_create", **{k: v for k, v in _values(member).items() if v is not None})
        elif row.outcome == UPDATED:
            member = row.member
            before = _values(member)
            claim(member, member.version)
            member.name, member.department = row.name, row.department
            if "title" in row.changes:
                member.title = row.title
            if "active" in row.changes:
                member.active = row.active
            member.updated_at = now
            after = _values(member)
            record(actor, member, "import_change", **{k: [before[k], after[k]] for k in before
                                                      if before[k] != after[k]})
    deactivated = 0
    if mark_absent_inactive:
        for member in plan.absent:
            claim(member, member.version)
            member.active, member.updated_at = False, now
            record(actor, member, "import_deactivate")
            deactivated += 1
    done = DirectoryImport(at=now, by_id=actor.id, file_name=plan.file_name[:255], rows=len(plan.rows),
                           created=plan.count(NEW), updated=plan.count(UPDATED), unchanged=plan.count(UNCHANGED),
                           deactivated=deactivated)
    db.session.add(done)
    db.session.flush()
    record(actor, done, "import", file_name=done.file_name, rows=done.rows, created=done.created,
           updated=done.updated, unchanged=done.unchanged, deactivated=deactivated)
    return done


def recent_imports(limit: int = 20) -> list[DirectoryImport]:
    return list(db.session.scalars(select(DirectoryImport).order_by(DirectoryImport.id.desc()).limit(limit)))


# --- the uploaded file, between the two steps -------------------------------------------------------------

TOKEN = re.compile(r"^[0-9a-f]{32}$")


def folder() -> str:
    path = current_app.config.get("DIRECTORY_IMPORT_FOLDER") or os.path.join(current_app.instance_path,
                                                                            "directory-imports")
    os.makedirs(path, exist_ok=True)
    return path


def keep(data: bytes, file_name: str, user: User) -> str:
    """Store the upload for its confirmation; returns its token. Uploads older than a day are removed."""
    _forget_old()
    token = secrets.token_hex(16)
    base = os.path.join(folder(), token)
    with open(base + ".upload", "wb") as file:
        file.write(data)
    with open(base + ".json", "w", encoding="utf-8") as file:
        json.dump({"by": user.id, "file_name": file_name}, file, ensure_ascii=False)
    return token


def kept(token: str, user: User) -> tuple[bytes, str] | None:
    """The upload's bytes and file name, if `token` is one of `user`'s uploads still kept."""
    if not TOKEN.match(token or ""):
        return None
    base = os.path.join(folder(), token)
    try:
        with open(base + ".json", encoding="utf-8") as file:
            meta = json.load(file)
        if meta.get("by") != user.id:
            return None
        with open(base + ".upload", "rb") as file:
            return file.read(), meta["file_name"]
    except (OSError, ValueError, KeyError):
        return None


def forget(token: str) -> None:
    if TOKEN.match(token or ""):
        for suffix in (".upload", ".json"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(folder(), token + suffix))


def _forget_old() -> None:
    limit = time.time() - KEEP_FOR_SECONDS
    with os.scandir(folder()) as entries:
        for entry in entries:
            try:
                if entry.is_file() and entry.stat().st_mtime < limit:
                    os.remove(entry.path)
            except FileNotFoundError:
                pass
