"""SPEC §3's lifecycle table, written out by hand, is the table the action specs declare.

"Who may do what" changes only on purpose, in two places: the spec of the action and this table. The
authorization matrix (test_lifecycle_matrix.py) takes its expected answers from BRIEF too, never from the
code under test.
"""

from intranet.complaints import lifecycle

OPEN = frozenset({"submitted", "registered", "assigned", "investigating", "awaiting_approval", "signed_off",
                  "responded"})
ANY = OPEN | {"closed", "not_accepted", "withdrawn", "duplicate"}
STAFF = frozenset({"reception", "head", "leadership"})
SAME = frozenset({"same"})  # the state does not change


def f(*values: str) -> frozenset[str]:
    return frozenset(values)


# action: (roles, from (None: creates the complaint), to)
BRIEF = {
    "submit": (f("public"), None, f("submitted")),
    "log": (f("reception"), None, f("registered")),
    "triage": (f("reception"), f("submitted", "registered"), f("registered")),
    "acknowledge": (f("reception"), OPEN, SAME),
    "resolve_on_the_spot": (f("reception"), f("submitted", "registered"), f("responded")),
    "decline": (f("reception", "leadership"), f("submitted", "registered"), f("not_accepted")),
    # Linked to an earlier open complaint about the same matter, and not accepted on its own.
    "mark_duplicate": (f("reception"), f("submitted", "registered"), f("duplicate")),
    "assign": (f("reception", "leadership"), f("registered", "assigned", "investigating"), f("assigned")),
    "accept": (f("head"), f("assigned"), f("investigating")),
    "send_back": (f("head"), f("assigned"), f("registered")),
    # The member of the department's staff the head handed it to (科室经办人) does the investigation's work;
    # the head still signs off.
    "record_findings": (f("head", "staff"), f("investigating"), SAME),
    "sign_off": (f("head"), f("investigating"), f("signed_off", "awaiting_approval")),
    # The people it is about (被投诉人): named or removed by reception or the handling head; their side and
    # the finding for each, by the head.
    "name_people": (f("reception", "head", "staff"), OPEN, SAME),
    "remove_person": (f("reception", "head", "staff"), OPEN, SAME),
    "record_statement": (f("head", "staff"), f("investigating"), SAME),
    "record_person_finding": (f("head", "staff"), f("investigating"), SAME),
    # The head hands the investigation to a member of the department's staff (or to another), and takes it
    # back; never an integrity complaint, which the discipline office handles.
    "hand_to_handler": (f("head"), f("investigating"), SAME),
    "take_back": (f("head"), f("investigating", "awaiting_approval", "signed_off", "responded"), SAME),
    # The handler's account deactivated, given another role or moved to another department: the system gives
    # every open complaint handed to them back to its head at once.
    "handler_left": (f("system"), f("assigned", "investigating", "awaiting_approval", "signed_off", "responded"),
                     SAME),
    # Co-handling (协同处理): the office asks other departments for their part while the lead works on it;
    # the head of a contributing department (not the lead's: CONTRIBUTORS_ONLY) records it; leadership may
    # let the lead sign off without one. Sign-off waits for every part.
    "ask_contribution": (f("reception", "leadership"), f("assigned", "investigating"), SAME),
    "remove_contribution": (f("reception", "leadership"), f("assigned", "investigating"), SAME),
    "contribute": (f("head"), f("assigned", "investigating"), SAME),
    "waive_contribution": (f("leadership"), f("assigned", "investigating"), SAME),
    # 赔偿/补偿/退费/减免: proposed or withdrawn while the department investigates; above the hospital's
    # threshold, leadership approves or refuses it (a response waiting for it alone goes out once approved,
    # back to the department if refused); its payment recorded once, paid first and settled after.
    "propose_remedy": (f("reception", "head"), f("investigating"), SAME),
    "withdraw_remedy": (f("reception", "head"), f("investigating"), SAME),
    "approve_remedy": (f("leadership"), f("investigating", "awaiting_approval"), SAME | {"signed_off"}),
    "refuse_remedy": (f("leadership"), f("investigating", "awaiting_approval"), SAME | {"investigating"}),
    "record_remedy_payment": (f("reception"), f("investigating", "awaiting_approval", "signed_off", "responded",
                                                "closed"), SAME),
    "approve": (f("leadership"), f("awaiting_approval"), f("signed_off")),
    "return_for_rework": (f("leadership"), f("awaiting_approval"), f("investigating")),
    # A head's finding that the complaint is malicious stands only once leadership confirms it.
    "confirm_malicious": (f("leadership"), f("investigating"), SAME),
    "reject_malicious": (f("leadership"), f("investigating"), SAME),
    "respond": (f("reception", "head"), f("signed_off"), f("responded")),
    # Closed if satisfied; if not, reopened: investigating, or registered if it never had a department.
    "follow_up": (f("reception", "public"), f("responded"), f("closed", "investigating", "registered")),
    # An anonymous complaint: nobody to answer or follow up, so the office's conclusion closes it.
    "conclude": (f("reception"), f("signed_off", "responded"), f("closed")),
    # A referral (转办件): its details recorded or corrected, with why; once the complainant is answered, the
    # report back to the body that referred it (办结反馈), once.
    "record_referral": (f("reception"), OPEN, SAME),
    "report_back": (f("reception"), f("responded", "closed"), SAME),
    "extend": (f("head", "leadership"), OPEN, SAME),
    # Anyone on the staff, or the system on its own when a deadline is missed (the SLA sweep).
    "escalate": (STAFF | {"system"}, OPEN, SAME),
    "disclose_identity": (f("reception"), OPEN, SAME),
    # 医德医风: from then on the discipline office's, hidden from the department it accuses.
    "mark_integrity": (f("reception", "leadership"), OPEN, SAME),
    # 补充材料: the office asks, the complainant answers on the tracking page; the clocks run on.
    "request_information": (f("reception"), OPEN, SAME),
    "provide_information": (f("public"), OPEN, SAME),
    # 重新分级: once triaged; a response signed off without approval goes to leadership once it is major.
    "retriage": (f("reception", "leadership"), OPEN - {"submitted"}, SAME | {"awaiting_approval"}),
    # The department's head proposes; reception or leadership accept (the same turn) or reject it.
    "propose_retriage": (f("head"), OPEN - {"submitted", "registered"}, SAME),
    "accept_retriage": (f("reception", "leadership"), OPEN - {"submitted", "registered"},
                        SAME | {"awaiting_approval"}),
    "reject_retriage": (f("reception", "leadership"), OPEN - {"submitted", "registered"}, SAME),
    # Whether an evidence file may identify the complainant (withheld from the department while it is hidden).
    "mark_file": (f("reception", "leadership"), ANY, SAME),
    # Mail in: a complainant's reply to the office's email, attached by the poller whatever the state.
    "email_received": (f("system"), ANY, SAME),
    # 医疗纠纷: the complainant takes it further (mediation, appraisal, court), after an answer too; the
    # complaint stays where it is, off the office's clocks.
    "record_dispute": (f("reception", "leadership"), OPEN | {"closed"}, SAME),
    "record_dispute_outcome": (f("reception", "leadership"), OPEN | {"closed"}, SAME),
    "note": (STAFF | {"staff"}, ANY, SAME),
    "withdraw": (f("reception"), OPEN, f("withdrawn")),
}

# The actions whose "to" the complaint or the data decides.
DECIDED = {"sign_off", "follow_up", "retriage", "accept_retriage", "approve_remedy", "refuse_remedy"}

def _retriage_proposed(complaint) -> bool:
    deciding = [e.action for e in complaint.events if e.action in (
        "propose_retriage", "accept_retriage", "reject_retriage", "retriage", "assign", "send_back")]
    return deciding[-1:] == ["propose_retriage"]


# The actions a head takes on a complaint their department contributes to, and only there (not the lead's).
CONTRIBUTORS_ONLY = {"contribute"}


def contributing(complaint, department_id) -> bool:
    """Whether the department is asked for its part of the complaint and has not given it yet."""
    return any(r.department_id == department_id and r.removed_at is None and r.contributed_at is None
               and r.waived_at is None for r in complaint.contributions)


def _still_of_the_staff(complaint) -> bool:
    """Whether the complaint's handler is an active member of its department's staff (no account: not)."""
    handler = complaint.handler
    return (handler is not None and handler.active and handler.role == "staff"
            and handler.department_id == complaint.department_id)


# Beyond the state, what must be true of the complaint ("any open, not anonymous"; once recorded, the
# acknowledgement is not recorded again). The matrix checks these on the complaints it builds.
ONLY_WHEN = {
    # Only while a request for more information waits for its answer.
    "provide_information": lambda complaint: any(e.action == "request_information" for e in complaint.events) and (
        [e.action for e in complaint.events if e.action in ("request_information", "provide_information")][-1]
        == "request_information"),
    # Only while a head's finding of malicious waits for leadership's decision.
    "confirm_malicious": lambda complaint: complaint.responsibility == "malicious_proposed",
    "reject_malicious": lambda complaint: complaint.responsibility == "malicious_proposed",
    # A head proposes one re-triage at a time; it waits until decided, superseded by a re-triage, or the
    # complaint goes to another department.
    "propose_retriage": lambda complaint: _retriage_proposed(complaint) is False,
    "accept_retriage": lambda complaint: _retriage_proposed(complaint),
    "reject_retriage": lambda complaint: _retriage_proposed(complaint),
    "hand_to_handler": lambda complaint: not complaint.integrity,
    # Only while a member of the department's staff handles it.
    "take_back": lambda complaint: complaint.handler_id is not None,
    # Only once the handler is no longer an active member of the department's staff.
    "handler_left": lambda complaint: complaint.handler_id is not None and not _still_of_the_staff(complaint),
    # Only once someone is named.
    "remove_person": lambda complaint: any(p.removed_at is None for p in complaint.people),
    "record_statement": lambda complaint: any(p.removed_at is None for p in complaint.people),
    "record_person_finding": lambda complaint: any(p.removed_at is None for p in complaint.people),
    # A remedy to withdraw (not yet paid, refused or withdrawn), to decide (above the threshold, undecided),
    # to pay (an amount, approved or not needing approval, not yet paid).
    "withdraw_remedy": lambda complaint: any(r.withdrawn_at is None and r.paid_on is None and r.approved is not False
                                             for r in complaint.remedies),
    "approve_remedy": lambda complaint: any(r.needs_approval and r.approved is None and r.withdrawn_at is None
                                            for r in complaint.remedies),
    "refuse_remedy": lambda complaint: any(r.needs_approval and r.approved is None and r.withdrawn_at is None
                                           for r in complaint.remedies),
    "record_remedy_payment": lambda complaint: any(
        r.amount_fen and r.paid_on is None and r.withdrawn_at is None and (r.approved or not r.needs_approval)
        for r in complaint.remedies),
    "acknowledge": lambda complaint: not complaint.anonymous and complaint.acknowledged_at is None,
    # A major complaint's answer needs leadership's approval: never given at the desk.
    "resolve_on_the_spot": lambda complaint: complaint.severity != "major",
    # One dispute at a time: a new route once the one before has its outcome.
    "record_dispute": lambda complaint: all(d.outcome is not None for d in complaint.disputes),
    "record_dispute_outcome": lambda complaint: any(d.outcome is None for d in complaint.disputes),
    # Once marked, it stays so.
    "mark_integrity": lambda complaint: not complaint.integrity,
    # No department works on an integrity complaint; a part is removed or waived once asked for.
    "ask_contribution": lambda complaint: not complaint.integrity,
    "remove_contribution": lambda complaint: any(r.removed_at is None for r in complaint.contributions),
    "waive_contribution": lambda complaint: any(
        r.removed_at is None and r.contributed_at is None and r.waived_at is None for r in complaint.contributions),
    "respond": lambda complaint: not complaint.anonymous,
    "follow_up": lambda complaint: not complaint.anonymous,
    "conclude": lambda complaint: bool(complaint.anonymous),
    # A complaint that came as a referral; reported back once, and only once the complainant is answered.
    "record_referral": lambda complaint: complaint.channel == "referral",
    "report_back": lambda complaint: complaint.referral_body_id is not None and complaint.reported_back_at is None,
    # "any open, confidential": while something of the complainant is still hidden from the department.
    "disclose_identity": lambda complaint: bool(complaint.confidential) and not (
        complaint.disclosed_name and complaint.disclosed_contact
        and (complaint.complainant_relation != "patient" or complaint.disclosed_patient)),
}


# On an integrity complaint the discipline office takes the department head's part: every action the table
# gives "head" (and no other), and the head none (the complaint is hidden from the department it accuses).
SUPERVISION_STANDS_IN_FOR = "head"
HEAD_ACTIONS = {"accept", "send_back", "record_findings", "sign_off", "respond", "extend", "escalate", "note",
                "name_people", "remove_person", "record_statement", "record_person_finding", "propose_retriage",
                "hand_to_handler", "take_back", "propose_remedy", "withdraw_remedy"}


def test_the_discipline_office_stands_in_for_the_head_only():
    from intranet.complaints.permissions import STANDS_IN
    from intranet.core.roles import Role

    assert {role.value: stands_for.value for role, (stands_for, _when) in STANDS_IN.items()} == {
        "supervision": SUPERVISION_STANDS_IN_FOR}
    # A contributing department's part is not the office's: an integrity complaint has none.
    assert {a for a, (roles, _s, _t) in BRIEF.items()
            if SUPERVISION_STANDS_IN_FOR in roles} - CONTRIBUTORS_ONLY == HEAD_ACTIONS
    assert not any(Role.supervision in spec.roles for spec in lifecycle.SPECS.values())


def test_the_specs_declare_the_brief_table():
    declared = {action: (roles, sources, targets) for action, roles, sources, targets in lifecycle.table()}
    assert declared == BRIEF


def test_the_brief_table_names_every_state():
    states = {s.value for s in lifecycle.State}
    assert states == ANY
    reached = set().union(*(targets for _roles, _sources, targets in BRIEF.values())) - SAME
    assert reached == states


def test_the_actions_for_contributing_departments_only_are_the_briefs():
    assert {a.value for a, spec in lifecycle.SPECS.items() if spec.contributors_only} == CONTRIBUTORS_ONLY


def test_the_actions_with_a_condition_beyond_the_state_are_the_briefs():
    assert {a.value for a, spec in lifecycle.SPECS.items() if spec.only_when is not None} == set(ONLY_WHEN)
