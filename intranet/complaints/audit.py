"""The record is tamper-evident: each event carries a hash of itself and of the event before it on the
same complaint, so an event changed, removed or slipped in afterwards breaks the chain from there on; and
each event carries, inside what is hashed, a digest of every fact of the complaint that it changed (the
complaint's columns: finding, severity, department, the signed answer…). The facts the page, the reports
and the archive record show are then checked against their chain: a column changed in the database without
an event disagrees with the last digest the chain holds for it.

The database triggers already refuse UPDATE and DELETE; this catches what they cannot, someone with the
database owner's rights who disables them. `flask --app wsgi audit verify` names the first broken link;
`--record FILE` appends each complaint's latest hash to a file kept elsewhere (append-only, or printed),
and `--against FILE` checks that every hash recorded there is still in its chain, so that even a rewrite
that recomputes every hash is found.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import click
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select

from ..core.extensions import db
from ..core.time import utcnow
from .contributions import Contribution
from .disputes import ComplaintDispute
from .models import Complaint, ComplaintAnswer, ComplaintEvent, ComplaintFollowUp, ComplaintLetter
from .people import ComplaintPerson
from .remedies import ComplaintRemedy

GENESIS = "0" * 64  # what the first event of a complaint chains to

# The facts of a complaint its chain vouches for: every column of the complaint (a new column is covered
# without anyone remembering to) but the lock's bookkeeping and the tracking code's keyed hash (a credential,
# not a fact; a receipt that replaces it leaves a note). Only an event writes them, through perform().
UNCHAINED = frozenset({"id", "version", "updated_at", "tracking_code_hash"})
# Its history of answers, follow-ups and letters is a fact too, one digest of all the rounds: a round edited, removed
# or slipped in behind the app's back disagrees with what the last answering event recorded.
HISTORIES = {"answers": (ComplaintAnswer, ("round", "response_text", "signed_off_by_id", "told_text", "method",
                                           "responded_on", "sent_at", "due_on", "on_time")),
             "follow_ups": (ComplaintFollowUp, ("round", "method", "satisfied", "comment", "at", "due_on",
                                                "on_time")),
             # The reply letters as sent: a letter's text edited in the database fails `audit verify`.
             "letters": (ComplaintLetter, ("round", "language", "addressed_to", "text", "template_version",
                                           "template_digest", "created_at", "created_by_id"))}
FACTS = (*(column.name for column in Complaint.__table__.columns if column.name not in UNCHAINED), *HISTORIES)
# The people the complaint is about, their statements and findings (people.py), and its medical disputes
# (disputes.py): rows of their own, each kind vouched for as one fact of the complaint, a digest of them all.
PEOPLE = "people"
# The departments asked to contribute (co-handling, contributions.py) and their parts: one fact the same way.
CONTRIBUTIONS = "contributions"
# The remedies offered (remedies.py): their kinds and amounts, approvals and payments, one digest of them all.
REMEDIES = "remedies"
DISPUTES = "disputes"
# Not the row's id: an event is written before the rows it adds are (perform() flushes once, after it).
PERSON_COLUMNS = ("staff_member_id", "described", "removed_at", "told_on", "told_via", "statement", "finding")
CONTRIBUTION_COLUMNS = ("department_id", "lead_department_id", "due_on", "removed_at", "findings", "people",
                        "responsibility", "remedy_proposal", "contributed_by_id", "contributed_at", "waived_by_id",
                        "waived_at", "waived_reason")
REMEDY_COLUMNS = ("number", "kind", "amount_fen", "description", "needs_approval", "threshold_fen", "proposed_by_id",
                  "withdrawn_at", "approved", "decided_by_id", "decided_at", "paid_on", "paid_by_id",
                  "payment_reference")
DISPUTE_COLUMNS = ("route", "route_other", "began_on", "case_number", "note", "outcome", "outcome_text",
                   "outcome_on")
ROW_FACTS = {PEOPLE: (ComplaintPerson, PERSON_COLUMNS), CONTRIBUTIONS: (Contribution, CONTRIBUTION_COLUMNS),
             REMEDIES: (ComplaintRemedy, REMEDY_COLUMNS), DISPUTES: (ComplaintDispute, DISPUTE_COLUMNS)}
CHAINED = (*FACTS, *ROW_FACTS)


# How the page names the facts a reader relies on; any other column is named as a recorded detail.
FACT_LABELS = {
    "status": _l("State"), "severity": _l("Severity"), "complexity": _l("Complexity"), "category_id": _l("Category"),
    "department_id": _l("Department"), "what_happened": _l("What happened"), "findings": _l("Findings"),
    "cause": _l("Cause"), "responsibility": _l("Responsibility"), "remedy": _l("Remedy"),
    "corrective_actions": _l("Corrective actions"), "response_text": _l("Signed-off response"),
    "signed_off_by_id": _l("Signed off"), "approved_by_id": _l("Approved"),
    "told_text": _l("What the complainant was told"), "satisfied": _l("Satisfied"),
    "follow_up_comment": _l("Follow-up"), "decline_reason": _l("Not accepted because"),
    "response_due_on": _l("Respond by"), "escalation_level": _l("Escalation level"),
    PEOPLE: _l("The people it is about"),
    CONTRIBUTIONS: _l("The contributing departments and their parts"),
    REMEDIES: _l("Remedies"),
    DISPUTES: _l("Medical disputes"),
    "integrity": _l("Integrity complaint"), "about_head": _l("About the head of the department"),
    "handler_id": _l("Handler"),
    "answers": _l("The answers given"), "follow_ups": _l("The follow-ups"), "letters": _l("The reply letters"),
    # A referral and its report back to the body that referred it: evidence the hospital answered them.
    "referral_body_id": _l("Referred by"), "referral_case_number": _l("Their case number"),
    "referral_reply_by": _l("Their reply-by date"), "report_back_due_on": _l("Report back by"),
    "report_back_text": _l("What the referring body was told"), "reported_back_on": _l("Date reported back"),
    "report_back_method": _l("How the referring body was told"),
}


def _canonical(value) -> str:
    """A fact's value as the same text whether it was just assigned or read back from either database, its
    kind first so that no two values read alike (a page checks some sixty facts: no JSON encoder here)."""
    if value is None:
        return "-"
    if isinstance(value, bool):  # before int: a bool is an int
        return "b1" if value else "b0"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        return "s" + value
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, datetime):
        return "t" + value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return "d" + value.isoformat()
    raise TypeError(f"a fact of type {type(value).__name__} has no canonical form")


def fact_digest(name: str, value) -> str:
    if name in HISTORIES:  # the rounds, as loaded or as table rows, each field in its canonical form
        fields = HISTORIES[name][1]
        value = "h" + json.dumps([[_canonical(getattr(row, f)) for f in fields]
                                  for row in sorted(value, key=lambda row: row.round)], separators=(",", ":"))
    return hashlib.sha256(f"{name}\n{_canonical(value)}".encode()).hexdigest()[:32]


def rows_text(name: str, rows: Iterable) -> str:
    """One kind of the complaint's rows (its people, contributions, remedies, disputes) as one text, as
    loaded or as read by verify(), in one order whatever order they were read in (each row's columns tell it
    apart: a person's directory entry or words, a department, a remedy's number, a dispute's route and day)."""
    columns = ROW_FACTS[name][1]
    lines = sorted("|".join(_canonical(row[c] if isinstance(row, Mapping) else getattr(row, c))
                            for c in columns) for row in rows)
    return "\n".join(lines)


def _rows_changed(complaint: Complaint, model) -> bool:
    session = db.session
    return any(isinstance(row, model) and (row.complaint is complaint or row.complaint_id == complaint.id)
               for row in (*session.new, *session.dirty))


def _rows_of(complaint: Complaint) -> dict[str, str]:
    return {name: rows_text(name, getattr(complaint, name)) for name in ROW_FACTS}


def changed_facts(complaint: Complaint, every: bool = False) -> dict[str, str] | None:
    """The digests an event about to be written records: of the facts this transaction changed on the
    complaint (every fact for the event that creates it), the people it is about among them. What was changed
    in the database behind the app's back is not changed here, so no later event makes it look recorded."""
    state = inspect(complaint)
    names = FACTS if every else [name for name in FACTS if state.attrs[name].history.has_changes()]
    facts = {name: fact_digest(name, getattr(complaint, name)) for name in names}
    for name, (model, _columns) in ROW_FACTS.items():
        if every or _rows_changed(complaint, model):
            with db.session.no_autoflush:  # perform() writes the complaint once, after this
                facts[name] = fact_digest(name, rows_text(name, getattr(complaint, name)))
    return facts or None


def event_hash(previous: str, reference: str, event: ComplaintEvent) -> str:
    fields = [previous, reference, event.actor_id, event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
              event.action, event.from_state, event.to_state, event.data or {}]
    facts = getattr(event, "facts", None)
    if facts is not None:  # events written before facts were chained keep the hash they were given
        fields.append(facts)
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def previous_hash(complaint: Complaint) -> str:
    if complaint.id is None:
        return GENESIS
    with db.session.no_autoflush:
        last = db.session.scalar(select(ComplaintEvent.hash).where(ComplaintEvent.complaint_id == complaint.id)
                                 .order_by(ComplaintEvent.id.desc()).limit(1))
    return last or GENESIS


@dataclass
class Break:
    kind = "break"
    reference: str
    event_id: int
    action: str
    at: str

    def __str__(self) -> str:
        return (f"{self.reference}: event {self.event_id} ({self.action}, {self.at}) does not match its hash: "
                f"the timeline was changed after it was written, from this event on")


@dataclass
class Disagrees:
    """A fact of the complaint that is not what its timeline last recorded."""

    kind = "fact"
    reference: str
    fact: str  # the column's name

    @property
    def label(self) -> str:
        label = FACT_LABELS.get(self.fact)
        return str(label) if label else str(_l("A recorded detail (%(name)s)", name=self.fact))

    def __str__(self) -> str:
        return (f"{self.reference}: {self.fact} is not what its timeline recorded: it was changed in the "
                f"database without an event")


@dataclass
class NoTimeline:
    kind = "gone"
    reference: str

    def __str__(self) -> str:
        return f"{self.reference}: the complaint has no timeline: its events were removed"


@dataclass
class Rewritten:
    kind = "rewritten"
    reference: str
    recorded_at: str

    def __str__(self) -> str:
        return (f"{self.reference}: the hash recorded at {self.recorded_at} is no longer in its chain: its "
                f"timeline was rewritten")


def check_record(reference: str, events: Iterable, facts: Mapping) -> list[Break | Disagrees | NoTimeline]:
    """What is wrong with one complaint's record: its first broken link, and each of its facts (`facts`: the
    complaint's columns as stored) that disagrees with the digest its timeline last recorded for it. Reads
    nothing: the complaint page checks the events it shows."""
    problems, previous, recorded, last = [], GENESIS, {}, None
    for event in events:
        if previous is not None and event_hash(previous, reference, event) != event.hash:
            problems.append(Break(reference, event.id, event.action, event.at.isoformat()))
            previous = None  # the first broken link is named; the facts are still checked
        elif previous is not None:
            previous = event.hash
        recorded.update(event.facts or {})
        last = event
    if last is None:
        return [NoTimeline(reference)]
    if "status" not in recorded:  # recorded before facts were chained: each event still says the state
        recorded["status"] = fact_digest("status", last.to_state)
    problems += [Disagrees(reference, name) for name in CHAINED
                 if name in recorded and fact_digest(name, facts[name]) != recorded[name]]
    return problems


def record_problems(complaint: Complaint) -> list[Break | Disagrees | NoTimeline]:
    """check_record() of a complaint as loaded, with its events (the complaint page's)."""
    return check_record(complaint.reference, complaint.events, {**{name: getattr(complaint, name) for name in FACTS},
                                                                **_rows_of(complaint)})


class _Stream:
    """Rows of one table ordered by complaint, taken complaint by complaint."""

    def __init__(self, table, *order):
        self.rows = db.session.execute(select(table).order_by(table.c.complaint_id, *order)
                                       .execution_options(yield_per=1000))
        self.pending = next(self.rows, None)

    def of(self, complaint_id: int) -> list:
        while self.pending is not None and self.pending.complaint_id < complaint_id:  # of no complaint
            self.pending = next(self.rows, None)
        taken = []
        while self.pending is not None and self.pending.complaint_id == complaint_id:
            taken.append(self.pending)
            self.pending = next(self.rows, None)
        return taken


def _records():
    """(complaint's facts, [its event rows]) for every complaint, in order: streams read side by side, so the
    whole log never sits in memory at once."""
    complaints = db.session.execute(select(Complaint.__table__).order_by(Complaint.id)
                                    .execution_options(yield_per=500))
    events = _Stream(ComplaintEvent.__table__, ComplaintEvent.id)
    histories = {name: _Stream(model.__table__, model.round) for name, (model, _fields) in HISTORIES.items()}
    rows = {name: _Stream(model.__table__, model.id) for name, (model, _columns) in ROW_FACTS.items()}
    for complaint in complaints:
        facts = dict(complaint._mapping)
        facts.update({name: stream.of(complaint.id) for name, stream in histories.items()})
        facts.update({name: rows_text(name, stream.of(complaint.id)) for name, stream in rows.items()})
        yield facts, events.of(complaint.id)


def verify() -> tuple[list, dict[str, set[str]], dict[str, str]]:
    """Every complaint's problems (check_record()), every complaint's hashes, and each one's latest."""
    problems, hashes, heads = [], {}, {}
    for facts, chain in _records():
        reference = facts["reference"]
        problems += check_record(reference, chain, facts)
        if chain:
            hashes[reference] = {event.hash for event in chain}
            heads[reference] = chain[-1].hash
    return problems, hashes, heads


@dataclass
class Seal:
    """A digest of every complaint's chain head as of one event: printed on the monthly analysis (and so
    kept on paper, out of the database owner's reach). `flask audit seal --upto N` recomputes it later: any
    event up to N changed, removed or slipped in, even with every hash recomputed, gives another digest."""

    upto: int  # the last event it covers
    complaints: int
    digest: str

    @property
    def short(self) -> str:
        return " ".join(self.digest[i:i + 8] for i in range(0, 32, 8))


def seal(upto: int | None = None) -> Seal:
    if upto is None:
        upto = db.session.scalar(select(func.max(ComplaintEvent.id))) or 0
    heads = (select(func.max(ComplaintEvent.id).label("id")).where(ComplaintEvent.id <= upto)
             .group_by(ComplaintEvent.complaint_id).subquery())
    rows = db.session.execute(
        select(Complaint.reference, ComplaintEvent.hash)
        .join(ComplaintEvent, ComplaintEvent.complaint_id == Complaint.id)
        .join(heads, heads.c.id == ComplaintEvent.id).order_by(Complaint.reference)
        .execution_options(yield_per=5000))
    digest, count = hashlib.sha256(f"upto:{upto}\n".encode()), 0
    for reference, head in rows:
        digest.update(f"{reference}:{head}\n".encode())
        count += 1
    return Seal(upto, count, digest.hexdigest())


def _report(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _checked(problems, hashes) -> str:
    complaints = len(hashes) + sum(isinstance(problem, NoTimeline) for problem in problems)
    broken = len({problem.reference for problem in problems})
    return f"{complaints} complaints checked, {broken} broken"


def register_cli(app) -> None:
    @app.cli.group()
    def audit():
        """The timeline's hash chain and the facts it vouches for."""

    @audit.command("seal")
    @click.option("--upto", type=int, help="The last event the seal covers (printed beside it); default: all.")
    def seal_command(upto):
        """Verify every record, then print the digest of every complaint's chain head, to compare with a
        printed one. Refuses (exit 1) when any record does not verify: a seal of a broken record would look
        like the paper's."""
        problems, hashes, _heads = verify()
        if problems:
            _report(problems)
            click.echo(_checked(problems, hashes), err=True)
            click.echo("No seal: the record does not verify (see above). Find out what changed before sealing; "
                       "`audit verify` names each broken record.", err=True)
            raise SystemExit(1)
        found = seal(upto)
        click.echo(f"events up to {found.upto}, {found.complaints} complaints: {found.digest}")

    @audit.command("verify")
    @click.option("--record", "record", type=click.Path(dir_okay=False),
                  help="Append each complaint's latest hash to this file (keep it where the database owner cannot).")
    @click.option("--against", "against", type=click.Path(exists=True, dir_okay=False),
                  help="Check that every hash recorded in this file is still in its complaint's chain.")
    def verify_command(record, against):
        """Check every complaint's chain and its facts; exit 1 naming each broken record."""
        problems, hashes, heads = verify()
        if against:
            with open(against, encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 3 and parts[2] not in hashes.get(parts[1], set()):
                        problems.append(Rewritten(parts[1], parts[0]))
        _report(problems)
        if record and not problems:
            stamp = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
            with open(record, "a", encoding="utf-8") as f:
                f.writelines(f"{stamp} {reference} {head}\n" for reference, head in heads.items())
        click.echo(_checked(problems, hashes))
        if problems:
            raise SystemExit(1)
