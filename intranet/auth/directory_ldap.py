"""Talking to the hospital's directory through ldap3, for directory_login: a bind as the person, the search
that finds their DN, their name and groups. A module of its own so that ldap3 is loaded only by a worker
that checks a directory login (directory_login.check imports it then).
"""

from __future__ import annotations

import logging
import math
import ssl

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from .directory_login import GONE, NO_SUCH_OBJECT, REFUSED, WRONG, Person, Unreachable

log = logging.getLogger("intranet.auth.directory_login")


def _server(config) -> Server:
    mode, timeout = config["LDAP_TLS"], config["LDAP_TIMEOUT"]
    tls = None
    if mode in ("start_tls", "ldaps"):
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=config["LDAP_CA_FILE"] or None)
    return Server(config["LDAP_URL"], use_ssl=mode == "ldaps", tls=tls, connect_timeout=timeout, get_info=NONE)


def _bind(server: Server, config, user: str | None, password: str | None) -> tuple[Connection, bool]:
    """A connection bound as `user` (anonymous when None), and whether the directory took the password.
    Raises Unreachable when it could not say."""
    # ldap3 packs the receive timeout as whole seconds.
    connection = Connection(server, user=user, password=password, receive_timeout=math.ceil(config["LDAP_TIMEOUT"]),
                            read_only=True, raise_exceptions=False)
    connection.open()
    if config["LDAP_TLS"] == "start_tls" and not connection.start_tls():
        raise Unreachable(f"StartTLS refused: {connection.result}")
    if user is None:
        return connection, True
    if connection.bind():
        return connection, True
    if connection.result.get("result") in REFUSED:
        return connection, False
    raise Unreachable(f"bind: {connection.result}")


def _service(server: Server, config) -> Connection:
    """Bound as the service account (or anonymously) to look people up."""
    connection, ok = _bind(server, config, config["LDAP_BIND_USER"] or None, config["LDAP_BIND_PASSWORD"] or None)
    if not ok:
        raise Unreachable("the service account's password is refused: check REDRESS_LDAP_BIND_PASSWORD")
    return connection


def _first_value(attributes: dict, *names: str) -> str:
    for name in names:
        value = attributes.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            return str(value)
    return ""


def _rdn_value(dn: str) -> str:
    try:
        return parse_dn(dn)[0][1]
    except (LDAPException, IndexError, ValueError):
        return ""


def _person(connection: Connection, config, dn: str, username: str) -> Person:
    """The person's name and groups, read as the person (who may read their own entry and the groups)."""
    if not connection.search(dn, "(objectClass=*)", BASE, attributes=["cn", "displayName", "memberOf"]):
        if connection.result.get("result") == NO_SUCH_OBJECT:
            raise Unreachable(f"{dn} was bound but cannot be read")
        raise Unreachable(f"reading {dn}: {connection.result}")
    attributes = connection.response[0].get("attributes", {})
    groups = [_rdn_value(g) for g in attributes.get("memberOf") or []]
    if config["LDAP_GROUP_BASE"]:
        who = escape_filter_chars(dn)
        if not connection.search(config["LDAP_GROUP_BASE"], f"(|(member={who})(uniqueMember={who}))", SUBTREE,
                                 attributes=["cn"]) and connection.result.get("result") not in (0, NO_SUCH_OBJECT):
            raise Unreachable(f"group search: {connection.result}")
        groups += [_first_value(entry.get("attributes", {}), "cn") for entry in connection.response or []
                   if entry.get("type") == "searchResEntry"]
    return Person(dn=dn, username=username, name=_first_value(attributes, "displayName", "cn") or username,
                  groups=sorted({g.lower() for g in groups if g}))


def _gone(server: Server, config, dn: str) -> bool:
    """After a refused bind with a DN pattern: whether the entry is missing altogether (rather than the
    password wrong). A directory that lets nobody look says nothing: the password was wrong, then."""
    connection = _service(server, config)
    try:
        connection.search(dn, "(objectClass=*)", BASE, attributes=["1.1"])
        return connection.result.get("result") == NO_SUCH_OBJECT
    finally:
        connection.unbind()


def check(config, username: str, password: str) -> Person | str:
    """directory_login.check's work, once the username and password may be sent at all."""
    server = _server(config)
    try:
        if config["LDAP_BIND_DN"]:
            dn = config["LDAP_BIND_DN"].format(username=escape_rdn(username))
        else:
            service = _service(server, config)
            try:
                found = service.search(config["LDAP_SEARCH_BASE"],
                                       config["LDAP_USER_FILTER"].format(username=escape_filter_chars(username)),
                                       SUBTREE, attributes=["1.1"])
                if not found and service.result.get("result") not in (0, NO_SUCH_OBJECT):
                    raise Unreachable(f"user search: {service.result}")
                entries = [e for e in service.response or [] if e.get("type") == "searchResEntry"]
            finally:
                service.unbind()
            if not entries:
                return GONE
            if len(entries) > 1:
                log.warning("directory: %d entries for %r, none logs in", len(entries), username)
                return WRONG
            dn = entries[0]["dn"]
        connection, right = _bind(server, config, dn, password)
        try:
            if not right:
                return GONE if config["LDAP_BIND_DN"] and _gone(server, config, dn) else WRONG
            return _person(connection, config, dn, username)
        finally:
            connection.unbind()
    except LDAPException as error:
        raise Unreachable(str(error)) from error
