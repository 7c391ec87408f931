"""Pieces several action specs share: role shorthands, timeline fields that read the same everywhere, and
the files a step's form takes."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField

from ...core.roles import Role
from .. import evidence
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


# --- a step's files (a statement's, a report back's) ---------------------------------------------------


def evidence_field(label):
    """The files of a step whose form has StepEvidence. A field of that form, not of the mixin, so that it
    stands where the form declares it (fields render in the order they are made)."""
    return MultipleFileField(label, description=_l("Up to 5 files: photos (JPG, PNG) or PDF, each smaller than 5MB."),
                             render_kw={"accept": evidence.ACCEPTED})


class StepEvidence:
    """For an ActionForm with `evidence = evidence_field(...)`: the files are checked by content as the form
    validates and given to the step's apply, which stores them with store_files()."""

    def validate_evidence(self, field):
        self.cleaned_evidence = evidence.checked_uploads(field.data)

    def action_data(self) -> dict:
        data = super().action_data()
        data["evidence"] = getattr(self, "cleaned_evidence", [])
        data["stored"] = []  # what apply writes to the evidence folder, for the page to remove if refused
        return data


def store_files(data: dict) -> list[dict]:
    """Write a StepEvidence form's files to the evidence folder; the rows' data, also listed in `stored`."""
    stored = evidence.store(data.get("evidence") or [])
    data.setdefault("stored", []).extend(stored)
    return stored
