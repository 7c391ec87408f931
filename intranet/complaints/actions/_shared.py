"""Pieces several action specs share: role shorthands and timeline fields that read the same everywhere."""

from flask_babel import lazy_gettext as _l

from ...core.roles import Role
from ..models import ContactMethod
from ..spec import Shown

RECEPTION, HEAD, LEADERSHIP = Role.reception, Role.head, Role.leadership
# The member of the department's staff a head handed the investigation to (permissions: only theirs).
HANDLER = Role.staff

ACKNOWLEDGED_VIA = Shown(_l("Acknowledged via"), ContactMethod)
METHOD = Shown(_l("Method"), ContactMethod)
REASON = Shown(_l("Reason"))
COMMENT = Shown(_l("Comment"))
COMPLAINANT_TOLD_VIA = Shown(_l("Complainant told via"), ContactMethod)
RESPONSE = Shown(_l("Response"))
# Marked an integrity complaint (医德医风): from then on the discipline office's, and hidden from the department.
INTEGRITY = Shown(_l("Integrity complaint"), "bool")
# About the head of the department itself (a conflict of interest): the integrity route too.
ABOUT_HEAD = Shown(_l("About the head of the department"), "bool")
# The member of the department's staff handling the investigation, by name.
HANDLER_SHOWN = Shown(_l("Handler"))
HANDLER_TAKEN_OFF = Shown(_l("Handler taken off"))
