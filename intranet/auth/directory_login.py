"""Staff who log in with the hospital's directory (LDAP or Active Directory, REDRESS_LDAP_*), through ldap3.

The password is checked by binding to the directory as the person: with a DN pattern
("uid={username},ou=people,dc=hospital,dc=test"), or with the DN a search finds (under LDAP_SEARCH_BASE,
bound as a service account or anonymously). Their groups are the cn of every group under LDAP_GROUP_BASE
that has them as member (groupOfNames, AD's group), and those their entry's memberOf names. The first
matching mapping of directory_groups.py gives the role and department.

At each login the account is created or brought up to date from the directory (name, role, department),
audited as an administrator's change is (by nobody: the directory). When the directory says the person is
no longer there, or in no mapped group, the account is deactivated and its sessions end. Nothing here keeps
a password: a directory account's hash is NO_PASSWORD, which nothing matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core.admin_events import AdminEvent, record
from ..core.extensions import db
from ..core.users import DIRECTORY, NO_PASSWORD, User, account_changed
from .directory_groups import DirectoryGroup

# What may be put into a DN or a filter at all; anything else is refused before the directory hears of it.
USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The directory's answers to a bind that mean "not this password" (rather than "cannot answer now").
REFUSED = {49, 50, 53}  # invalidCredentials, insufficientAccessRights, unwillingToPerform
NO_SUCH_OBJECT = 32


class Unreachable(Exception):
    """The directory did not answer (refused, timed out, TLS failed, busy): nobody can be checked now."""


# The two answers besides a person: the password is not right, or the directory has no such person.
WRONG, GONE = "wrong", "gone"


@dataclass
class Person:
    dn: str
    username: str
    name: str
    groups: list[str] = field(default_factory=list)


def enabled() -> bool:
    return bool(current_app.config["LDAP_URL"])


def applies_to(user: User | None) -> bool:
    """Whether this login is the directory's to check: a username Redress does not know, or a directory
    account, when a directory is configured. Local accounts (the break-glass administrators) never are."""
    return enabled() and (user is None or user.source == DIRECTORY)


# --- talking to the directory ------------------------------------------------------------------------------


def check(username: str, password: str) -> Person | str:
    """The person, if the directory takes this password for them; WRONG or GONE otherwise. Raises
    Unreachable when the directory cannot be asked."""
    # An empty password would be an anonymous bind, which a directory accepts.
    if not USERNAME.fullmatch(username) or not password:
        return WRONG
    # ldap3 (5 MiB a worker) is loaded at the first login the directory checks, not in every worker of a
    # hospital that has no directory.
    from . import directory_ldap

    return directory_ldap.check(current_app.config, username, password)


# --- the account in Redress --------------------------------------------------------------------------------


def deactivated_by_directory(user: User) -> bool:
    """Whether the account's last deactivation was the directory's (a directory login may undo it), not an
    administrator's (which only an administrator undoes)."""
    last = db.session.scalar(select(AdminEvent).where(
        AdminEvent.subject == "user", AdminEvent.subject_id == user.id,
        AdminEvent.action.in_(("deactivate", "reactivate"))).order_by(AdminEvent.id.desc()).limit(1))
    return last is not None and last.action == "deactivate" and last.actor_id is None \
        and (last.data or {}).get("by") == "directory"


def deactivate(user: User, reason: str) -> None:
    """The directory no longer has the person (`gone`), or gives them no mapped group (`no_group`): the
    account can no longer log in, and its open sessions end, as when an administrator deactivates it."""
    if not user.active:
        return
    user.active = False
    user.end_all_sessions()
    user.version += 1
    record(None, user, "deactivate", by="directory", reason=reason)
    account_changed(user, None, directory=True)


def bring_up_to_date(user: User | None, person: Person, mapping: DirectoryGroup) -> User:
    """The account as the directory and the mapping say now: created at the first login, changed (and the
    change logged) when the name, role or department differ, reactivated if the directory had deactivated it."""
    department_id = mapping.department_id
    if user is None:
        user = User(username=person.username, display_name=person.name[:120], role=mapping.role,
                    department_id=department_id, password_hash=NO_PASSWORD, source=DIRECTORY)
        try:
            with db.session.begin_nested():
                db.session.add(user)
        except IntegrityError:
            # The same person's first login on another device, a moment earlier: theirs made the account.
            made = db.session.scalar(select(User).where(User.username == person.username))
            if made is None or made.source != DIRECTORY:
                raise
            return bring_up_to_date(made, person, mapping)
        record(None, user, "create", by="directory", group=mapping.name, role=mapping.role,
               department=mapping.department.code if mapping.department else None)
        return user
    before = {"display_name": user.display_name, "role": user.role,
              "department": user.department.code if user.department else None}
    after = {"display_name": person.name[:120], "role": mapping.role,
             "department": mapping.department.code if mapping.department else None}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        user.display_name, user.role, user.department_id = after["display_name"], mapping.role, department_id
        db.session.flush()
        db.session.expire(user, ["department"])
        user.version += 1
        record(None, user, "change", by="directory", group=mapping.name, **changed)
        if "role" in changed or "department" in changed:
            account_changed(user, None, directory=True)
    if not user.active:
        user.active = True
        user.version += 1
        record(None, user, "reactivate", by="directory")
    return user
