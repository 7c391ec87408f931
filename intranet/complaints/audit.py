"""The timeline is tamper-evident: each event carries a hash of itself and of the event before it on the
same complaint, so an event changed, removed or slipped in afterwards breaks the chain from there on.

The database triggers already refuse UPDATE and DELETE; this catches what they cannot, someone with the
database owner's rights who disables them. `flask --app wsgi audit verify` names the first broken link;
`--record FILE` appends each complaint's latest hash to a file kept elsewhere (append-only, or printed),
and `--against FILE` checks that every hash recorded there is still in its chain, so that even a rewrite
that recomputes every hash is found.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

import click
from sqlalchemy import func, select

from ..core.extensions import db
from ..core.time import utcnow
from .models import Complaint, ComplaintEvent

GENESIS = "0" * 64  # what the first event of a complaint chains to


def event_hash(previous: str, reference: str, event: ComplaintEvent) -> str:
    fields = [previous, reference, event.actor_id, event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
              event.action, event.from_state, event.to_state, event.data or {}]
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
    reference: str
    event_id: int
    action: str
    at: str

    def __str__(self) -> str:
        return (f"{self.reference}: event {self.event_id} ({self.action}, {self.at}) does not match its hash: "
                f"the timeline was changed after it was written, from this event on")


def chains():
    """(reference, [(event, its stored hash, the hash it should have)]) for every complaint, in order."""
    events = db.session.execute(  # streamed: the whole log never sits in memory at once
        select(Complaint.reference, ComplaintEvent).join(ComplaintEvent, ComplaintEvent.complaint_id == Complaint.id)
        .order_by(Complaint.id, ComplaintEvent.id).execution_options(yield_per=1000))
    current, previous, chain = None, GENESIS, []
    for reference, event in events:
        if reference != current:
            if current is not None:
                yield current, chain
            current, previous, chain = reference, GENESIS, []
        expected = event_hash(previous, reference, event)
        chain.append((event, event.hash, expected))
        previous = event.hash or expected
    if current is not None:
        yield current, chain


def verify() -> tuple[list[Break], dict[str, set[str]], dict[str, str]]:
    """The first broken link of each complaint, every complaint's hashes, and each one's latest."""
    breaks, hashes, heads = [], {}, {}
    for reference, chain in chains():
        hashes[reference] = {stored for _event, stored, _expected in chain}
        heads[reference] = chain[-1][1]
        for event, stored, expected in chain:
            if stored != expected:
                breaks.append(Break(reference, event.id, event.action, event.at.isoformat()))
                break
    return breaks, hashes, heads


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


def register_cli(app) -> None:
    @app.cli.group()
    def audit():
        """The timeline's hash chain."""

    @audit.command("seal")
    @click.option("--upto", type=int, help="The last event the seal covers (printed beside it); default: all.")
    def seal_command(upto):
        """Print the digest of every complaint's chain head, to compare with a printed one."""
        found = seal(upto)
        click.echo(f"events up to {found.upto}, {found.complaints} complaints: {found.digest}")

    @audit.command("verify")
    @click.option("--record", "record", type=click.Path(dir_okay=False),
                  help="Append each complaint's latest hash to this file (keep it where the database owner cannot).")
    @click.option("--against", "against", type=click.Path(exists=True, dir_okay=False),
                  help="Check that every hash recorded in this file is still in its complaint's chain.")
    def verify_command(record, against):
        """Check every complaint's chain; exit 1 naming the first broken link."""
        breaks, hashes, heads = verify()
        if against:
            with open(against, encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 3 and parts[2] not in hashes.get(parts[1], set()):
                        breaks.append(f"{parts[1]}: the hash recorded at {parts[0]} is no longer in its chain: "
                                      "its timeline was rewritten")
        for problem in breaks:
            click.echo(str(problem), err=True)
        if record and not breaks:
            stamp = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
            with open(record, "a", encoding="utf-8") as f:
                f.writelines(f"{stamp} {reference} {head}\n" for reference, head in heads.items())
        click.echo(f"{len(heads)} complaints checked, {len(breaks)} broken")
        if breaks:
            raise SystemExit(1)
