"""What an administrator does to staff accounts, departments and categories, for the admin pages and the
`flask --app wsgi users …` commands alike: every change checked here, versioned, and logged (AdminEvent).

A change names the version of the record the administrator saw; if someone changed it since, nothing is
saved and `Stale` says what happened first. The last active administrator can be neither deactivated nor
given another role: nobody could manage accounts any more.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..auth import second_factor
from ..core.admin_events import history, record
from ..core.departments import Category, Department, ReferringBody
from ..core.extensions import db
from ..core.forms import forget_offered_departments
from ..core.hospital import FIELDS as HOSPITAL_FIELDS
from ..core.hospital import HospitalRecord, forget
from ..core.passwords import password_problem
from ..core.roles import DEPARTMENT_ROLES, USER_ROLES, Role
from ..core.users import DIRECTORY, User, account_changed
from ..core.versioned import Refused, Stale, claim
from ..directory.models import StaffMember

# --- accounts ---------------------------------------------------------------------------------------------


def _department_for(role: str, department: Department | None, errors: dict) -> Department | None:
    if role in DEPARTMENT_ROLES:
        if department is None:
            errors["department"] = (_l("A department head needs a department.") if role == Role.head
                                    else _l("Department staff need a department."))
        elif not department.active and department.id is not None:
            errors["department"] = _l("This department is no longer in use: choose another.")
        return department
    return None  # only heads and department staff belong to a department


def _check_password(password: str, username: str, name: str, errors: dict, field: str = "password") -> None:
    problem = password_problem(password, username, name)
    if problem:
        errors[field] = problem


def _other_active_admins(user: User) -> int:
    # FOR UPDATE on PostgreSQL: two administrators removing each other at once cannot leave none.
    rows = db.session.scalars(select(User.id).where(User.role == Role.admin.value, User.active.is_(True),
                                                    User.id != user.id).with_for_update()).all()
    return len(rows)


def _keeps_an_admin(user: User, errors: dict, field: str, message) -> None:
    if user.role == Role.admin and user.active and _other_active_admins(user) == 0:
        errors[field] = message


def create_account(actor: User | None, *, username: str, display_name: str, role: str,
                   department: Department | None, language: str | None, password: str,
                   must_change_password: bool) -> User:
    errors: dict = {}
    if role not in {r.value for r in USER_ROLES}:
        errors["role"] = _l("Choose a role.")
    if db.session.scalar(select(func.count()).select_from(User).where(func.lower(User.username) == username.lower())):
        errors["username"] = _l("This username is taken: choose another.")
    department = _department_for(role, department, errors)
    _check_password(password, username, display_name, errors)
    if errors:
        raise Refused(errors)
    user = User(username=username, display_name=display_name or username, role=role, department=department,
                language=language or None, must_change_password=must_change_password)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, user, "create", role=role, department=department.code if department else None,
           must_change_password=must_change_password)
    return user


# change_account(staff_number=KEEP): the link to the directory is left as it is (the command line).
KEEP = object()


def _staff_member_for(user: User, staff_number: str | None, errors: dict) -> StaffMember | None:
    """The directory's person with this staff number, for the account; none for an empty one."""
    if not staff_number:
        return None
    member = db.session.scalar(select(StaffMember).where(StaffMember.staff_number == staff_number))
    if member is None:
        errors["staff_number"] = _l("Nobody in the staff directory has this staff number.")
    elif member.account is not None and member.account.id != user.id:
        errors["staff_number"] = _l("This person is already linked to the account %(username)s.",
                                    username=member.account.username)
    return member


def change_account(actor: User | None, user: User, seen_version: int | None, *, display_name: str, role: str,
                   department: Department | None, language: str | None, staff_number=KEEP) -> list[str]:
    """Name, role, department, language and the person in the directory (by staff number, empty for none);
    returns the names of what changed (nothing changed: nothing logged)."""
    errors: dict = {}
    current = db.session.get(StaffMember, user.staff_member_id) if user.staff_member_id else None
    member = current if staff_number is KEEP else _staff_member_for(user, staff_number, errors)
    if role not in {r.value for r in USER_ROLES}:
        errors["role"] = _l("Choose a role.")
    department = _department_for(role, department, errors)
    if role != user.role:
        _keeps_an_admin(user, errors, "role", _l("This is the last active administrator: make someone else "
                                                 "an administrator first."))
    if errors:
        raise Refused(errors)
    before = {"display_name": user.display_name, "role": user.role,
              "department": user.department.code if user.department else None, "language": user.language,
              "staff_number": current.staff_number if current else None}
    after = {"display_name": display_name, "role": role, "department": department.code if department else None,
             "language": language or None, "staff_number": member.staff_number if member else None}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changed:
        if seen_version is not None and seen_version != user.version:
            raise Stale(user, next(iter(history(user, limit=1)), None))
        return []
    claim(user, seen_version)
    user.display_name, user.role, user.department, user.language = (
        display_name, role, department, language or None)
    user.staff_member_id = member.id if member else None
    record(actor, user, "change", **changed)
    if "role" in changed or "department" in changed:
        account_changed(user, actor)  # a handler moved: what was handed to them goes back to the head
    return list(changed)


def deactivate(actor: User | None, user: User, seen_version: int | None) -> None:
    """The account can no longer log in, and every session it has open ends with its next request."""
    errors: dict = {}
    if not user.active:
        errors[""] = _l("This account is already deactivated.")
    _keeps_an_admin(user, errors, "", _l("This is the last active administrator: it cannot be deactivated."))
    if errors:
        raise Refused(errors)
    claim(user, seen_version)
    user.active = False
    user.end_all_sessions()
    record(actor, user, "deactivate")
    account_changed(user, actor)


def reactivate(actor: User | None, user: User, seen_version: int | None) -> None:
    if user.active:
        raise Refused({"": _l("This account is already active.")})
    if user.department is not None and not user.department.active:
        raise Refused({"": _l("This head's department is no longer in use: give the account another "
                              "department first.")})
    claim(user, seen_version)
    user.active = True
    record(actor, user, "reactivate")


def reset_password(actor: User | None, user: User, seen_version: int | None, password: str) -> None:
    """A temporary password: the user must choose their own at next login. Open sessions end."""
    errors: dict = {}
    if user.source == DIRECTORY:
        raise Refused({"password": _l("This account logs in with the hospital directory's password: it is reset "
                                      "in the directory.")})
    _check_password(password, user.username, user.display_name, errors)
    if errors:
        raise Refused(errors)
    claim(user, seen_version)
    user.set_password(password)
    user.must_change_password = True
    user.end_all_sessions()
    record(actor, user, "reset_password")


def reset_second_factor(actor: User | None, user: User, seen_version: int | None) -> None:
    """A lost phone: the user sets up the authenticator app again at their next login. Open sessions end."""
    if user.totp_since is None:
        raise Refused({"": _l("This account has no second factor set up.")})
    claim(user, seen_version)
    second_factor.forget(user)
    user.end_all_sessions()
    record(actor, user, "reset_second_factor")


def unlock(actor: User | None, user: User, seen_version: int | None) -> None:
    if not user.locked:
        raise Refused({"": _l("This account is not locked.")})
    claim(user, seen_version)
    user.unlock()
    record(actor, user, "unlock")


# --- departments and categories ---------------------------------------------------------------------------

MODELS = {"departments": Department, "categories": Category, "referrers": ReferringBody}


def create_reference(actor: User | None, model, *, code: str, name_zh: str, name_en: str,
                     kind: str | None = None, integrity: bool = False):
    if db.session.scalar(select(func.count()).select_from(model).where(func.lower(model.code) == code.lower())):
        raise Refused({"code": _l("This code is taken: choose another.")})
    row = model(code=code, name_zh=name_zh, name_en=name_en)
    if kind and model is Department:
        row.kind = kind
    if model is Category:
        row.integrity = bool(integrity)
    db.session.add(row)
    db.session.flush()
    record(actor, row, "create", code=code, name_zh=name_zh, name_en=name_en,
           **({"integrity": True} if model is Category and integrity else {}))
    if model is Department:
        forget_offered_departments()  # the public form offers it from now on in this process
    return row


def rename_reference(actor: User | None, row, seen_version: int | None, *, name_zh: str, name_en: str) -> bool:
    changed = {k: [getattr(row, k), v] for k, v in (("name_zh", name_zh), ("name_en", name_en))
               if getattr(row, k) != v}
    if not changed:
        if seen_version is not None and seen_version != row.version:
            raise Stale(row, next(iter(history(row, limit=1)), None))
        return False
    claim(row, seen_version)
    row.name_zh, row.name_en = name_zh, name_en
    record(actor, row, "rename", **changed)
    if isinstance(row, Department):
        forget_offered_departments()
    return True


def set_reference_active(actor: User | None, row, seen_version: int | None, active: bool) -> None:
    """Deactivated: offered for no new assignment, still shown on the complaints that have it. Never
    deleted: complaints and the timeline refer to it."""
    if row.active == active:
        raise Refused({"": _l("Nothing to change: it is already so.")})
    if not active and isinstance(row, Department):
        heads = db.session.scalar(select(func.count()).select_from(User).where(
            User.department_id == row.id, User.active.is_(True)))
        if heads:
            raise Refused({"": _l("Active accounts (heads or staff) belong to this department: give them "
                                  "another department or deactivate them first.")})
    claim(row, seen_version)
    row.active = active
    record(actor, row, "reactivate" if active else "deactivate")
    if isinstance(row, Department):
        forget_offered_departments()


def set_category_integrity(actor: User | None, row: Category, seen_version: int | None, integrity: bool) -> None:
    """An integrity category (医德医风) or not. Complaints of it from now on go to the discipline office; a
    complaint already marked stays so (complaints.models: once marked, the department has lost sight of it)."""
    if row.integrity == integrity:
        raise Refused({"": _l("Nothing to change: it is already so.")})
    claim(row, seen_version)
    row.integrity = integrity
    record(actor, row, "integrity" if integrity else "not_integrity")


# --- the hospital's own details -------------------------------------------------------------------------


def change_hospital(actor: User | None, seen_version: int | None, values: dict) -> bool:
    """Save the hospital's details; False if nothing changed. Stale if someone saved since."""
    row = db.session.get(HospitalRecord, 1)
    if row is None:  # the migration writes it; only a database emptied by hand lacks it
        row = HospitalRecord(id=1, version=0, **{name: "" for name in values
                                                 if name in HOSPITAL_FIELDS and name != "repeat_alert_upheld"})
        db.session.add(row)
        db.session.flush()
    changed = {name: [getattr(row, name), value] for name, value in values.items() if getattr(row, name) != value}
    if not changed:
        if seen_version is not None and seen_version != row.version:
            raise Stale(row, next(iter(history(row, limit=1)), None))
        return False
    claim(row, seen_version)
    for name, value in values.items():
        setattr(row, name, value)
    record(actor, row, "change", **changed)
    forget()
    return True
