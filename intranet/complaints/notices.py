"""Who hears what about a complaint: each notification kind declared once, and the notices the action specs
send (a notice is a kind and the condition under which an action sends it).

Staff kinds reach the bell (and are what the notifications page filters by); the complainant's go by email
or SMS, in plain words, never with a staff name or a finding.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.roles import Role
from ..core.time import show_date
from ..deadlines.models import BreachClock
from ..notifications.kinds import (
    STATE_LABELS,
    TO_ASSIGNEE,
    TO_COMPLAINANT,
    TO_HANDLER,
    TO_HEADS,
    TO_LEADERSHIP,
    TO_RECEPTION,
    About,
    Kind,
    clause,
)
from .disputes import DisputeOutcome, DisputeRoute
from .remedies import RemedyKind
from .spec import Notice
from .states import State


def _date(value) -> date | None:
    # Event data holds dates as ISO strings (JSON); the sweep passes dates.
    return date.fromisoformat(value) if isinstance(value, str) else value


def _clock_label(value) -> str:
    try:
        return BreachClock(value).label
    except ValueError:
        return str(value)


def _missed(data: dict) -> str:
    """The sweep escalates with the deadlines missed ({"clock", "due_on"} each) instead of a typed reason."""
    missed = data.get("missed") or []
    parts = [
        _("%(clock)s, due %(date)s", clock=_clock_label(m.get("clock")), date=show_date(_date(m["due_on"])))
        if isinstance(m, dict) and m.get("due_on") else str(m)
        for m in (missed if isinstance(missed, list) else [missed])
    ]
    return _("overdue (%(missed)s)", missed="; ".join(parts)) if parts else _("overdue")


def _escalation_reason(data: dict) -> str:
    """Why a complaint was escalated: the cause an action names (the complainant not satisfied), the reason
    staff typed, or the deadlines the sweep found missed. Only the sweep's escalations say "overdue"."""
    if data.get("cause") == "not_satisfied":
        return _("the complainant is not satisfied with the response")
    if data.get("reason"):
        return data["reason"]
    if data.get("missed"):
        return _missed(data)
    return _("no reason was given")


# A stored staff notification names its complaint's state in the language it is read in.
STATE_LABELS.update({state.value: state.spec.label for state in State})

# --- to staff -----------------------------------------------------------------------------------------------

ASSIGNED = Kind(
    "assigned", TO_HEADS, label=_l("New for the department"),
    subject=_l("New complaint for your department: %(reference)s"),
    body=_l("Complaint %(reference)s was assigned to %(department)s. The response is due by %(date)s. Accept it, "
            "or send it back if it is not yours."),
    office_subject=_l("New integrity complaint for the office: %(reference)s"),
    office_body=_l("Integrity complaint %(reference)s, about %(department)s, is the discipline office's to "
                   "investigate. The response is due by %(date)s. Accept it, or send it back if it is not an "
                   "integrity matter."))

# The head handed the investigation to a member of the department's staff: they hear it is theirs now.
HANDED_TO_YOU = Kind(
    "handed_to_you", TO_HANDLER, label=_l("Handed to me"),
    subject=_l("Complaint %(reference)s is handed to you"),
    body=_l("The head of %(department)s handed the investigation of complaint %(reference)s to you. The response "
            "is due by %(date)s; record the findings for the head to sign off."))

# The head took it back, or handed it to another member of staff: the one taken off hears it is no longer
# theirs (they no longer see it, so the message is all they have), in their language.
def _why_taken_back(about: About, data: dict) -> dict:
    reason = clause(data.get("reason") or "")
    return {"why": _(" Why: %(reason)s.", reason=reason) if reason else ""}


TAKEN_BACK_FROM_YOU = Kind(
    "taken_back_from_you", TO_HANDLER, label=_l("Taken back from me"),
    subject=_l("Complaint %(reference)s is no longer handed to you"),
    body=_l("The head of %(department)s took the investigation of complaint %(reference)s back from you, so you "
            "no longer see it.%(why)s"), values=_why_taken_back)

# The handler can no longer handle it (their account deactivated, given another role or moved to another
# department): it is back with the head at once, who hears why.
HANDLER_LEFT_REASONS = {
    "deactivated": _l("their account was deactivated"),
    "role": _l("their account was given another role"),
    "department": _l("their account was moved to another department"),
}


def _handler_left(about: About, data: dict) -> dict:
    why = data.get("why")
    return {"handler": data.get("handler_taken_off") or "",
            "why": str(HANDLER_LEFT_REASONS[why]) if why in HANDLER_LEFT_REASONS else str(why or "")}


HANDLER_LEFT = Kind(
    "handler_left", TO_HEADS, label=_l("Back from a handler who left"),
    subject=_l("Complaint %(reference)s is back with you: its handler left"),
    body=_l("Complaint %(reference)s was handed to %(handler)s, but %(why)s, so it is back with you. Handle it "
            "yourself or hand it to another member of %(department)s's staff; the response is due by %(date)s."),
    values=_handler_left)

SENT_BACK = Kind(
    "sent_back", TO_RECEPTION, label=_l("Sent back"),
    subject=_l("Complaint %(reference)s was sent back"),
    body=_l("The department sent complaint %(reference)s back: %(reason)s. Assign it again."))

SIGNED_OFF = Kind(
    "signed_off", TO_RECEPTION, label=_l("Signed off, to tell the complainant"),
    subject=_l("Complaint %(reference)s is signed off: tell the complainant"),
    body=_l("The response to complaint %(reference)s is signed off. Tell the complainant and record the "
            "response; it is due by %(date)s."))

MAJOR = Kind(
    "major", TO_LEADERSHIP, label=_l("Major"),
    subject=_l("Major complaint %(reference)s"),
    body=_l("Complaint %(reference)s is major: leadership approves its response, which is due by %(date)s."))

ESCALATED_KIND = Kind(
    "escalated", TO_LEADERSHIP, label=_l("Escalated"),
    subject=_l("Complaint %(reference)s escalated to level %(level)s"),
    body=_l("Complaint %(reference)s was escalated: %(reason)s"),
    values=lambda about, data: {"reason": _escalation_reason(data)})


def _due(about: About, data: dict) -> dict:
    return {"date": show_date(_date(data.get("due_on")) or about.due_on, "long")}


# Co-handling: each of these goes to the heads of the department the event names (Notice.to_department),
# or of the lead department (TO_HEADS).
CONTRIBUTION_ASKED = Kind(
    "contribution_asked", TO_HEADS, label=_l("Contribution due"),
    subject=_l("Complaint %(reference)s: your department's part is asked for"),
    body=_l("Your department (%(department)s) is asked to contribute its part to complaint %(reference)s: its "
            "findings, the people of yours involved and a remedy proposal, by %(date)s."), values=_due)

CONTRIBUTION_WITHDRAWN = Kind(
    "contribution_withdrawn", TO_HEADS, label=_l("Contribution no longer asked for"),
    subject=_l("Complaint %(reference)s: your department's part is no longer asked for"),
    body=_l("Your department (%(department)s) is no longer asked to contribute to complaint %(reference)s: "
            "%(reason)s."))

CONTRIBUTION_RECORDED = Kind(
    "contribution_recorded", TO_HEADS, label=_l("Contribution recorded"),
    subject=_l("Complaint %(reference)s: a contributing department recorded its part"),
    body=_l("A contributing department recorded its part of complaint %(reference)s. Read it on the complaint's "
            "page; you sign off once every part is in."))

CONTRIBUTION_WAIVED = Kind(
    "contribution_waived", TO_HEADS, label=_l("Contribution waived"),
    subject=_l("Complaint %(reference)s: leadership waived a department's part"),
    body=_l("Leadership decided complaint %(reference)s may be signed off without the part of one contributing "
            "department: %(reason)s."))


# Sent by the SLA sweep the day before a due date, not by an action.
DUE_TOMORROW = Kind(
    "due_tomorrow", TO_ASSIGNEE, label=_l("Due tomorrow"),
    subject=_l("Complaint %(reference)s is due tomorrow"),
    body=_l("Complaint %(reference)s (%(state)s) is due on %(date)s."), values=_due)

# The complainant answered a request for more information: whoever holds the complaint reads it on the
# timeline (the answer itself is not copied into the message: it may name the complainant).
INFORMATION_RECEIVED = Kind(
    "information_received", TO_ASSIGNEE, label=_l("More information from the complainant"),
    subject=_l("The complainant of %(reference)s sent more information"),
    body=_l("The complainant answered the request for more information on complaint %(reference)s. Read it "
            "on the complaint's timeline."))

# Mail in: the complainant answered one of the office's emails; it is on the complaint's timeline.
COMPLAINANT_EMAILED = Kind(
    "complainant_emailed", TO_RECEPTION, label=_l("An email from the complainant"),
    subject=_l("The complainant of %(reference)s wrote again"),
    body=_l("An email from the complainant of complaint %(reference)s was added to its timeline. Read it there."))

# What leadership and the complainant did to a department's complaint: its heads hear of it in their bell,
# not only when they next open the complaint.
REOPENED_FOR_THE_DEPARTMENT = Kind(
    "reopened", TO_HEADS, label=_l("Reopened"),
    subject=_l("Complaint %(reference)s is reopened"),
    body=_l("The complainant of %(reference)s is not satisfied with the response, so the complaint is back with "
            "%(department)s. A new response is due by %(date)s."),
    office_body=_l("The complainant of %(reference)s is not satisfied with the response, so the integrity complaint "
                   "is back with the discipline office. A new response is due by %(date)s."))

RETURNED_FOR_REWORK = Kind(
    "returned_for_rework", TO_HEADS, label=_l("Returned by leadership"),
    subject=_l("Leadership returned complaint %(reference)s"),
    body=_l("Leadership did not approve the response to complaint %(reference)s: %(comment)s. Change it and sign "
            "it off again; it is due by %(date)s."),
    values=lambda about, data: {"comment": data.get("comment") or ""})

APPROVED = Kind(
    "approved", TO_HEADS, label=_l("Approved by leadership"),
    subject=_l("Leadership approved the response to %(reference)s"),
    body=_l("Leadership approved the response to complaint %(reference)s. Reception now tells the complainant."))

ESCALATED_FOR_THE_DEPARTMENT = Kind(
    "escalated_department", TO_HEADS, label=_l("Escalated to leadership"),
    subject=_l("Complaint %(reference)s of your department was escalated"),
    body=_l("Complaint %(reference)s was escalated to leadership (level %(level)s): %(reason)s"),
    values=lambda about, data: ESCALATED_KIND.values(about, data),
    office_subject=_l("Integrity complaint %(reference)s was escalated"))

def _who_answers(about: About, data: dict) -> dict:
    """Who signed off or found: the department, or for an integrity complaint the discipline office."""
    return {"department": str(Role.supervision.label)} if about.integrity else {}


AWAITING_APPROVAL = Kind(
    "awaiting_approval", TO_LEADERSHIP, label=_l("Awaiting approval"),
    subject=_l("Major complaint %(reference)s awaits your approval"),
    body=_l("%(department)s signed off the response to major complaint %(reference)s. Approve it or return it; "
            "the response is due by %(date)s."), values=_who_answers)

# A remedy above the hospital's threshold (a refund, a fee waiver, compensation) waits for leadership, and
# the response with it; the department hears the decision.
def _remedy(about: About, data: dict) -> dict:
    """The remedy an event is about, or the remedies a sign-off found waiting, in the reader's words."""
    kinds = data.get("remedies_waiting") or ([data["kind"]] if data.get("kind") else [])
    amounts = data.get("remedies_waiting_amounts") or [data.get("amount")]
    words = [" ".join(w for w in (_kind_label(k), a) if w) for k, a in zip(kinds, amounts, strict=False)]
    return {"remedy": "; ".join(words), "comment": data.get("comment") or ""}


def _kind_label(value) -> str:
    try:
        return RemedyKind(value).label
    except ValueError:
        return str(value)


REMEDY_TO_APPROVE = Kind(
    "remedy_to_approve", TO_LEADERSHIP, label=_l("Remedy to approve"),
    subject=_l("A remedy on complaint %(reference)s awaits your approval"),
    body=_l("A remedy above the amount leadership approves is proposed for complaint %(reference)s: %(remedy)s. "
            "Approve or refuse it on the complaint's page: the response does not go out before."),
    values=_remedy)

REMEDY_APPROVED = Kind(
    "remedy_approved", TO_HEADS, label=_l("Remedy approved"),
    subject=_l("Leadership approved a remedy on %(reference)s"),
    body=_l("Leadership approved the remedy %(remedy)s on complaint %(reference)s."), values=_remedy)

REMEDY_REFUSED = Kind(
    "remedy_refused", TO_HEADS, label=_l("Remedy refused"),
    subject=_l("Leadership refused a remedy on %(reference)s"),
    body=_l("Leadership refused the remedy %(remedy)s on complaint %(reference)s: %(comment)s. The response is "
            "due by %(date)s."), values=_remedy)

# A head's finding that a complaint is malicious stands only once leadership confirms it.
MALICIOUS_PROPOSED = Kind(
    "malicious_proposed", TO_LEADERSHIP, label=_l("Malicious finding to confirm"),
    subject=_l("Confirm or reject: complaint %(reference)s found malicious"),
    body=_l("%(department)s found complaint %(reference)s malicious: %(reason)s. It stands only once you confirm "
            "it; confirm or reject it on the complaint's page."),
    values=lambda about, data: {"reason": data.get("cause") or "", **_who_answers(about, data)})

MALICIOUS_CONFIRMED = Kind(
    "malicious_confirmed", TO_HEADS, label=_l("Malicious finding confirmed"),
    subject=_l("Leadership confirmed complaint %(reference)s is malicious"),
    body=_l("Leadership confirmed the finding that complaint %(reference)s is malicious. Sign off the response; "
            "it is due by %(date)s."))

MALICIOUS_REJECTED = Kind(
    "malicious_rejected", TO_HEADS, label=_l("Malicious finding rejected"),
    subject=_l("Leadership rejected the malicious finding on %(reference)s"),
    body=_l("Leadership did not confirm that complaint %(reference)s is malicious: %(comment)s. Record the "
            "responsibility again; the response is due by %(date)s."),
    values=lambda about, data: {"comment": data.get("comment") or ""})

# A re-triage: leadership hears at once of a complaint found major, whose response it now approves; the
# department hears what reception or leadership changed; reception decides a head's proposal.
RAISED_TO_MAJOR = Kind(
    "raised_to_major", TO_LEADERSHIP, label=_l("Raised to major"),
    subject=_l("Complaint %(reference)s is now major"),
    body=_l("Complaint %(reference)s was re-triaged as major: %(reason)s. Leadership approves its response before "
            "the complainant is told; it is due by %(date)s."),
    values=lambda about, data: {"reason": data.get("reason") or ""})

RETRIAGED = Kind(
    "retriaged", TO_HEADS, label=_l("Re-triaged"),
    subject=_l("Complaint %(reference)s was re-triaged"),
    body=_l("Complaint %(reference)s was re-triaged: %(reason)s. The response is due by %(date)s."),
    values=lambda about, data: {"reason": data.get("reason") or ""})

RETRIAGE_PROPOSED = Kind(
    "retriage_proposed", TO_RECEPTION, label=_l("Re-triage to decide"),
    subject=_l("%(department)s proposes to re-triage complaint %(reference)s"),
    body=_l("%(department)s proposes to re-triage complaint %(reference)s: %(reason)s. Accept or reject it on the "
            "complaint's page."),
    values=lambda about, data: {"reason": data.get("reason") or ""})

RETRIAGE_ACCEPTED = Kind(
    "retriage_accepted", TO_HEADS, label=_l("Re-triage accepted"),
    subject=_l("Your re-triage of complaint %(reference)s was accepted"),
    body=_l("The re-triage of complaint %(reference)s your department proposed now stands. The response is due by "
            "%(date)s."),
    office_body=_l("The re-triage of complaint %(reference)s the office proposed now stands. The response is due by "
                   "%(date)s."))

RETRIAGE_REJECTED = Kind(
    "retriage_rejected", TO_HEADS, label=_l("Re-triage rejected"),
    subject=_l("Your re-triage of complaint %(reference)s was rejected"),
    body=_l("The re-triage of complaint %(reference)s your department proposed was rejected: %(comment)s. The "
            "triage stays as it was."),
    values=lambda about, data: {"comment": data.get("comment") or ""},
    office_body=_l("The re-triage of complaint %(reference)s the office proposed was rejected: %(comment)s. The "
                   "triage stays as it was."))

# A person found against again and again: leadership hears when a finding brings them to the hospital's
# repeat alert (an administrator's setting), and at every such finding after.
REPEAT_FOUND_AGAINST = Kind(
    "repeat_found_against", TO_LEADERSHIP, label=_l("Found against again"),
    subject=_l("%(person)s: %(count)s complaints found against them within twelve months"),
    body=_l("The finding on complaint %(reference)s makes %(count)s complaints within twelve months found, in "
            "whole or in part, against %(person)s. The accountability report lists them."),
    values=lambda about, data: {"person": data.get("person") or "", "count": data.get("found_against") or 0})

# The head who extends a confidential complaint's deadline cannot see how to reach the complainant.
TELL_OF_NEW_DATE = Kind(
    "tell_of_new_date", TO_RECEPTION, label=_l("Tell the complainant of a new date"),
    subject=_l("Tell the complainant of %(reference)s of the new date"),
    body=_l("%(department)s extended complaint %(reference)s to %(new_date)s: %(reason)s. The department cannot "
            "see the complainant's contact details: tell the complainant of the new date."),
    values=lambda about, data: {"new_date": show_date(_date(data.get("to")), "long") if data.get("to") else "",
                                "reason": data.get("reason") or ""})

# A complaint marked an integrity one once its department had it: the discipline office takes it over.
INTEGRITY_MARKED = Kind(
    "integrity_marked", TO_HEADS, label=_l("An integrity complaint for the office"),
    subject=_l("Integrity complaint %(reference)s is the office's"),
    body=_l("Complaint %(reference)s was marked an integrity complaint: %(reason)s. The discipline office handles "
            "it in place of the head of %(department)s, who no longer sees it; it is due by %(date)s."))

# A medical dispute (disputes.py): the complainant took the complaint to the mediation committee, an appraisal or
# a court. Leadership hears it, and so do the heads of the department that handles it (of an integrity
# complaint, the discipline office): the complaint leaves their clocks, and the hospital takes part.
def _labelled(choice, value) -> str:
    try:
        return str(choice(value).label)
    except ValueError:
        return str(value or "")


def _dispute(about: About, data: dict) -> dict:
    """The dispute an event is about, in the reader's words: where it was taken (with their case number),
    the day it began, and its outcome (with the appraisal's finding or what it was) and the day decided."""
    route = data.get("route_other") or _labelled(DisputeRoute, data.get("route"))
    if data.get("case_number"):
        route = _("%(route)s, case number %(number)s", route=route, number=data["case_number"])
    outcome = _labelled(DisputeOutcome, data.get("outcome"))
    if data.get("outcome_text"):  # another outcome is what was written; an appraisal's, its finding
        text = clause(data["outcome_text"])
        outcome = text if data.get("outcome") == DisputeOutcome.other else _(
            "%(outcome)s: %(finding)s", outcome=outcome, finding=text)
    began, decided = _date(data.get("began_on")), _date(data.get("outcome_on"))
    return {"route": route, "began": show_date(began, "long") if began else "", "outcome": outcome,
            "decided": show_date(decided, "long") if decided else ""}


DISPUTE_BEGUN = Kind(
    "dispute_begun", TO_LEADERSHIP, label=_l("Medical dispute"),
    subject=_l("Complaint %(reference)s is now a medical dispute"),
    body=_l("On %(began)s the complainant took complaint %(reference)s further as a medical dispute: %(route)s. "
            "It is off the office's response clocks from that day. The hospital takes part in it and abides by "
            "its outcome."),
    values=_dispute)

DISPUTE_BEGUN_FOR_THE_DEPARTMENT = Kind(
    "dispute_begun_department", TO_HEADS, label=_l("Medical dispute"),
    subject=_l("Complaint %(reference)s of your department is now a medical dispute"),
    body=_l("On %(began)s the complainant took complaint %(reference)s further as a medical dispute: %(route)s. "
            "From that day none of its due dates counts as overdue. The hospital takes part in the dispute and "
            "abides by its outcome."),
    values=_dispute,
    office_subject=_l("Integrity complaint %(reference)s is now a medical dispute"),
    office_body=_l("On %(began)s the complainant took integrity complaint %(reference)s, about %(department)s, "
                   "further as a medical dispute: %(route)s. From that day none of its due dates counts as "
                   "overdue. The hospital takes part in the dispute and abides by its outcome."))

DISPUTE_DECIDED_BODY = _l("The medical dispute over complaint %(reference)s (%(route)s) was decided on %(decided)s: "
                          "%(outcome)s. The complaint stays off the office's response clocks.")

DISPUTE_DECIDED = Kind(
    "dispute_decided", TO_LEADERSHIP, label=_l("Medical dispute decided"),
    subject=_l("The medical dispute over complaint %(reference)s is decided"), body=DISPUTE_DECIDED_BODY,
    values=_dispute)

DISPUTE_DECIDED_FOR_THE_DEPARTMENT = Kind(
    "dispute_decided_department", TO_HEADS, label=_l("Medical dispute decided"),
    subject=_l("The medical dispute over complaint %(reference)s of your department is decided"),
    body=DISPUTE_DECIDED_BODY, values=_dispute,
    office_subject=_l("The medical dispute over integrity complaint %(reference)s is decided"))

# The administrator opened a complaint to read it (permissions.BREAK_GLASS): leadership judges the reason.
BROKE_THE_GLASS = Kind(
    "break_glass", TO_LEADERSHIP, label=_l("Administrator opened a complaint"),
    subject=_l("The administrator opened complaint %(reference)s"),
    body=_l("%(who)s opened complaint %(reference)s, its complainant's identity included, for %(minutes)s "
            "minutes: %(reason)s"),
    values=lambda about, data: {"who": data.get("who") or "", "minutes": data.get("minutes") or "",
                                "reason": data.get("reason") or ""})

# --- to the complainant -------------------------------------------------------------------------------------

INFORMATION_REQUESTED = Kind(
    "information_requested", TO_COMPLAINANT,
    subject=_l("We need more information about your complaint %(reference)s"),
    body=_l("To look into your complaint %(reference)s we need more from you:\n\n%(asked)s\n\nYou can answer "
            "on the tracking page, with photos or documents if you have them."),
    values=lambda about, data: {"asked": data.get("asked") or ""})

ACKNOWLEDGED = Kind(
    "acknowledged", TO_COMPLAINANT,
    subject=_l("We have received your complaint %(reference)s"),
    body=_l("Your complaint %(reference)s has been accepted and is being looked into. We will answer by "
            "%(date)s."))

EXTENDED = Kind(
    "extended", TO_COMPLAINANT,
    subject=_l("More time is needed for your complaint %(reference)s"),
    body=_l("We need more time to answer your complaint %(reference)s properly: %(reason)s. The new date is "
            "%(date)s."))

RESPONDED = Kind(
    "responded", TO_COMPLAINANT,
    subject=_l("Our response to your complaint %(reference)s"),
    body=_l("Our response to your complaint %(reference)s:\n\n%(response)s\n\nWe will contact you to ask "
            "whether you are satisfied; you can also tell us on the tracking page."),
    values=lambda about, data: {"response": about.response_text or ""})


# --- the notices the specs send -----------------------------------------------------------------------------

BECAME_MAJOR = Notice(MAJOR, lambda b, c: c.is_major and not b.major, once_per_complaint=True)
FIRST_ACKNOWLEDGED = Notice(ACKNOWLEDGED, lambda b, c: c.acknowledged_at is not None and not b.acknowledged)
ESCALATED = Notice(ESCALATED_KIND, lambda b, c: c.escalation_level > b.escalation_level)
# A follow-up escalates because the complainant is not satisfied; it has no reason of its own to quote.
ESCALATED_NOT_SATISFIED = Notice(ESCALATED_KIND, lambda b, c: c.escalation_level > b.escalation_level,
                                 adds=(("cause", "not_satisfied"),))
READY_TO_TELL = Notice(SIGNED_OFF, lambda b, c: c.state == State.signed_off and b.state != State.signed_off)
# The complainant's answer (a response, or a resolution on the spot) also tells them it was received, so
# the actions that answer send this and not "acknowledged".
ANSWERED = Notice(RESPONDED)
# A department's heads hear what happened to their complaint elsewhere (when it has a department).
HEADS_HEAR_OF_REOPENING = Notice(REOPENED_FOR_THE_DEPARTMENT,
                                 lambda b, c: c.state == State.investigating and b.state == State.responded)
HEADS_HEAR_OF_ESCALATION = Notice(ESCALATED_FOR_THE_DEPARTMENT,
                                  lambda b, c: c.escalation_level > b.escalation_level and c.department_id)
HEADS_HEAR_OF_ESCALATION_NOT_SATISFIED = Notice(
    ESCALATED_FOR_THE_DEPARTMENT, lambda b, c: c.escalation_level > b.escalation_level and c.department_id,
    adds=(("cause", "not_satisfied"),))
WAITS_FOR_APPROVAL = Notice(AWAITING_APPROVAL,
                            lambda b, c: c.state == State.awaiting_approval and b.state != State.awaiting_approval
                            and c.is_major)
# Not major, signed off with a remedy above the threshold still to approve: the response waits for that.
WAITS_FOR_REMEDY_APPROVAL = Notice(REMEDY_TO_APPROVE,
                                   lambda b, c: c.state == State.awaiting_approval
                                   and b.state != State.awaiting_approval and not c.is_major)
# Per event, not once per complaint: a complaint lowered from major and raised again is news again.
RAISED_MAJOR = Notice(RAISED_TO_MAJOR, lambda b, c: c.is_major and not b.major)
