"""The search index: every complaint's words as character bigrams, kept in step with every write.

Chinese has no spaces between words, so the index stores each run of Chinese characters as overlapping
pairs (护士态度 → 护士 士态 态度) and everything else as lowercased words and digit strings. A query is cut
the same way and each of its words must appear as a phrase: 2 characters or more find through the index
on both databases (SQLite FTS5 `unicode61` over the pre-cut text; PostgreSQL `to_tsvector('simple', …)`
with a GIN index per column), a single character or a word of punctuation only by a scan of the stored
text. Nothing the person typed is ever passed on as query syntax: every token is quoted or escaped.

The content of a complaint (what happened, the findings, the answer, the notes) is one column; each
identifying field is a column of its own, so that a search by name or phone is made only where
`confidentiality.searchable_identity()` lets the searcher search by that field. One more column holds what
the complaint's own department may search — the content and the identifying fields
`confidentiality.hidden_from_department()` leaves open — each word marked with the department (`d12x态度`): a
head's word is then one index lookup that reads only their department's matches, rather than every match
in the hospital narrowed by department afterwards, and each identifying field's matches joined to the
complaints to apply the confidentiality rule row by row.

The table is not in the models' metadata (FTS5 is a virtual table SQLite makes itself); the migration
creates it, `reindex()` writes it from `registration.create()` and `perform()` in their own transaction,
and `flask --app wsgi search rebuild` writes it again from the complaints.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import click
from sqlalchemy import and_, bindparam, column, func, literal_column, or_, select, table, text, true, union_all
from sqlalchemy.sql.elements import True_

from ..core.extensions import db
from ..core.progress import progress_bar
from ..core.time import hospital_tz, today
from .confidentiality import hidden_from_department, searchable_identity, searches_as_department
from .models import Complaint, ComplaintEvent, ReferenceCounter
from .permissions import department_scope, visible
from .rows import is_open, rows, status_in
from .states import State

TABLE = "complaint_search"
CONTENT = "content"
IDENTITY = ("complainant_name", "complainant_phone", "complainant_email", "patient_name", "patient_record_number")
TOKEN_COLUMNS = (CONTENT, *IDENTITY)
# What the complaint's own department may search (content and open identity), each word marked with it.
DEPARTMENT_WORDS = "department_words"
# The content as typed (normalised, lowercased), for the scan that finds a single character.
CONTENT_TEXT = "content_text"
# The complaint's department, beside its words: PostgreSQL narrows a head's scan (no words) by it.
DEPARTMENT = "department_id"
COLUMNS = (*TOKEN_COLUMNS, DEPARTMENT_WORDS, CONTENT_TEXT, DEPARTMENT)

# What of the complaint decides which identifying fields its department may search.
CONFIDENTIALITY_FIELDS = ("confidential", "complainant_relation", "disclosed_name", "disclosed_contact",
                          "disclosed_patient")
CONTENT_FIELDS = ("what_happened", "desired_outcome", "subject_ward", "findings", "cause", "remedy",
                  "corrective_actions", "response_text", "told_text", "decline_reason", "follow_up_comment")


def owns_table(name: str) -> bool:
    """The index table and, on SQLite, the shadow tables FTS5 keeps beside it."""
    return name == TABLE or name.startswith(TABLE + "_")


# --- cutting text into tokens -------------------------------------------------------------------------------


def _is_han(ch: str) -> bool:
    code = ord(ch)
    return (0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x3FFFF)


def normalise(value: str) -> str:
    """Full-width letters and digits as ordinary ones, lowercased: what is stored and what is looked for."""
    return unicodedata.normalize("NFKC", value).lower()


def runs(value: str) -> list[tuple[str, str]]:
    """("han", 护士态度) and ("word", ct) pieces of `value`, in order; punctuation and spaces separate them."""
    pieces: list[tuple[str, str]] = []
    kind, current = None, []
    for ch in normalise(value):
        this = "han" if _is_han(ch) else "word" if ch.isalnum() else None
        if this != kind and current:
            pieces.append((kind, "".join(current)))
            current = []
        kind = this
        if this is not None:
            current.append(ch)
    if current:
        pieces.append((kind, "".join(current)))
    return pieces


def tokens(value: str) -> list[str]:
    """The tokens stored for `value`: overlapping character pairs of Chinese, whole words otherwise."""
    out: list[str] = []
    for kind, piece in runs(value):
        if kind == "han" and len(piece) > 1:
            out.extend(piece[i:i + 2] for i in range(len(piece) - 1))
        else:
            out.append(piece)
    return out


def phone_digits(value: str | None) -> list[str]:
    """A phone number's digits, and again without the country code (+86 / 0086 / 86)."""
    digits = re.sub(r"\D", "", value or "")
    if not digits:
        return []
    found = [digits]
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 7:
            found.append(digits[len(prefix):])
            break
    return found


# Where an extension begins: "0571 8765 4321 转 802", "ext. 802", "x802", "#802".
EXTENSION = re.compile(r"转|分机|ext\.?|x|#", re.IGNORECASE)
# The local number of a Chinese landline: seven or eight digits after an area code (010 and 02x have three
# digits with the trunk 0, the others four).
LOCAL_NUMBER = re.compile(r"^0(?:(?:10|2\d)|[3-9]\d{2})([2-9]\d{6,7})$")


def phone_words(value: str | None) -> list[str]:
    """What the index holds of a phone: its digits, again without the country code, and for a landline its
    local number (found without the area code) and its area code without the trunk 0 (+86 571 …)."""
    main = EXTENSION.split(normalise(value or ""), maxsplit=1)[0]
    found = phone_digits(main)
    if not found:
        return []
    national = found[-1]
    if not national.startswith("0") and len(found) > 1:
        national = "0" + national  # +86 571 8765 4321: the area code written without its trunk 0
    local = LOCAL_NUMBER.match(national)
    if local:
        found += [national, national[1:], local.group(1)]
    return list(dict.fromkeys(found))


def _joined(values: Iterable[str | None]) -> str:
    return "\n".join(v for v in values if v)


def document(complaint: Complaint, notes: Iterable[str] = ()) -> dict[str, str]:
    """What the index holds for `complaint`: tokens per column, and the content as typed for the scan."""
    content = _joined([*(getattr(complaint, f) for f in CONTENT_FIELDS), *notes])
    doc = {CONTENT: " ".join(tokens(content)), CONTENT_TEXT: normalise(content), DEPARTMENT: complaint.department_id}
    for field in IDENTITY:
        value = getattr(complaint, field)
        doc[field] = " ".join(phone_words(value) if field == "complainant_phone" else tokens(value or ""))
    hidden = hidden_from_department(complaint)
    open_words = [doc[CONTENT], *(doc[f] for f in IDENTITY if f not in hidden)]
    doc[DEPARTMENT_WORDS] = (" ".join(marked([t for words in open_words for t in words.split()],
                                             complaint.department_id))
                             if complaint.department_id is not None else "")
    return doc


def marked(toks, department_id: int) -> tuple[str, ...]:
    """Words as the department's column holds them: `d12x` and the word (a letter after the number, so
    that department 1's `2ct` and department 12's `ct` differ). One word to the index on both databases."""
    return tuple(f"d{department_id}x{t}" for t in toks)


# --- writing the index ----------------------------------------------------------------------------------


def _notes(complaint_id: int) -> list[str]:
    data = db.session.scalars(select(ComplaintEvent.data).where(ComplaintEvent.complaint_id == complaint_id,
                                                                ComplaintEvent.action == "note"))
    return [d["text"] for d in data if d and d.get("text")]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _write(connection_or_session, dialect: str, rows: list[dict]) -> None:
    """Replace the index rows of these complaints (each row: id and the document's columns)."""
    if not rows:
        return
    names = ", ".join(COLUMNS)
    values = ", ".join(f":{c}" for c in COLUMNS)
    if dialect == "sqlite":
        connection_or_session.execute(text(f"DELETE FROM {TABLE} WHERE rowid = :id"), [{"id": r["id"]} for r in rows])
        connection_or_session.execute(text(f"INSERT INTO {TABLE} (rowid, {names}) VALUES (:id, {values})"), rows)
    else:
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS)
        connection_or_session.execute(text(
            f"INSERT INTO {TABLE} (complaint_id, {names}) VALUES (:id, {values}) "
            f"ON CONFLICT (complaint_id) DO UPDATE SET {updates}"), rows)


def reindex(complaint: Complaint, new: bool = False) -> None:
    """Write the complaint's index row in the current transaction (after the complaint is flushed). A `new`
    complaint has no notes yet: nothing to read back for them."""
    notes = [] if new else _notes(complaint.id)
    _write(db.session, _dialect(), [{"id": complaint.id, **document(complaint, notes)}])


def rebuild(batch: int = 5000, done_so_far=None) -> int:
    """The whole index again, from the complaints and their notes. Returns how many were indexed;
    `done_so_far(n)` is told after each batch (the command's progress bar).

    Reads plain rows, not ORM objects: it must be quick on a few hundred thousand complaints."""
    dialect = _dialect()
    db.session.execute(text(f"DELETE FROM {TABLE}"))
    notes: dict[int, list[str]] = {}
    for complaint_id, data in db.session.execute(
            select(ComplaintEvent.complaint_id, ComplaintEvent.data).where(ComplaintEvent.action == "note")):
        if data and data.get("text"):
            notes.setdefault(complaint_id, []).append(data["text"])
    columns = [getattr(Complaint, f)
               for f in ("id", "department_id", *CONTENT_FIELDS, *IDENTITY, *CONFIDENTIALITY_FIELDS)]
    done, last = 0, 0
    while True:
        found = db.session.execute(select(*columns).where(Complaint.id > last).order_by(Complaint.id)
                                   .limit(batch)).all()
        if not found:
            break
        _write(db.session, dialect, [{"id": row.id, **document(row, notes.get(row.id, ()))} for row in found])
        done += len(found)
        last = found[-1].id
        if done_so_far:
            done_so_far(len(found))
    if dialect == "sqlite":
        _restate_index_statistics()
    return done


def _restate_index_statistics() -> None:
    """On SQLite, the statistics (ANALYZE) of the index's tables taken again for the index as written.

    FTS5 finds its segments by rowid ranges in its own tables; with sqlite_stat1 saying a table of them holds
    a few rows, SQLite's planner scans the whole table instead, and every merge FTS5 does after a write (one
    submission in about fifteen, at 100,000 complaints) read the whole index: 600 ms each. Without
    statistics the planner assumes large tables and looks them up, so only a database that has them (someone
    ran ANALYZE) needs them taken again."""
    if db.session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")) == 0:
        return
    tables = db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'table'")).all()
    for name in tables:
        if owns_table(name) and name != TABLE:  # its shadow tables (the virtual table itself has no rows)
            db.session.execute(text(f'ANALYZE "{name}"'))


def register_cli(app) -> None:
    @app.cli.group()
    def search():
        """The search index."""

    @search.command("rebuild")
    def rebuild_command():
        """Write the search index again from every complaint."""
        total = db.session.scalar(select(func.count()).select_from(Complaint))
        with progress_bar("Indexing complaints", length=total) as bar:
            count = rebuild(done_so_far=bar.update)
        db.session.commit()
        click.echo(f"{count} complaints indexed")


# --- reading it ------------------------------------------------------------------------------------------

# A reference however it is typed: ts-2026-210, TS-2026-000210, 2026-000210, ts2026-210.
# Without its prefix, only in a year of this century: "8765-4321" is a phone number.
REFERENCE = re.compile(r"^(?:([a-z]{2})-?(\d{4})|(20\d{2}))-(\d{1,6})$")
TYPED_REFERENCE = re.compile(r"(?<![\w-])(?:[a-z]{2}-?\d{4}|20\d{2})-\d{1,6}(?![\w-])", re.IGNORECASE)
# A phone number however it is written: +86 138 0013 8000, 138-0013-8000, (0571) 8888 6666.
PHONE = re.compile(r"(?:\+|(?<![\w-]))[\d(][\d\s\-()]{5,}\d(?![\w-])")
MAX_TERMS = 8  # words beyond these are ignored: a pasted paragraph must not become a query of 500 subqueries
# A single character (or punctuation only), which the index cannot look up, is looked for among this many
# complaints, those logged last: the search page says so, and two characters search them all.
SCAN_WINDOW = 20_000

# A word looked for is cut to this many characters (PostgreSQL refuses a tsquery word over 2,047 bytes).
MAX_TOKEN = 200


def _bounded(toks) -> tuple[str, ...]:
    return tuple(t[:MAX_TOKEN] for t in toks)


@dataclass(frozen=True)
class Term:
    """One word of the query: its tokens (phrase) and what it is as typed (for the scan)."""

    typed: str
    tokens: tuple[str, ...]
    # A single Chinese character or punctuation only: the index cannot find it, a scan of the text does.
    scan: bool
    phone: tuple[str, ...] = ()  # digits, when the word is a phone number


def parse(query: str) -> list[Term]:
    """The words of a query. A phone number written with spaces or dashes is one word of its digits."""
    query = query.replace("\x00", "")
    terms: list[Term] = []

    def phone(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        return f" {digits} " if len(digits) >= 7 else match.group()

    # A reference first, before its digits and dash are taken for a phone number (2026-000210).
    references = []

    def reference(match: re.Match) -> str:
        references.append(match.group())
        return f" \x00{len(references) - 1} "

    query = PHONE.sub(phone, TYPED_REFERENCE.sub(reference, query))
    query = re.sub(r"\x00(\d+)", lambda m: references[int(m.group(1))], query)
    for word in query.split():
        pieces = runs(word)
        toks = tuple(tokens(word))
        lonely = any(kind == "han" and len(piece) == 1 for kind, piece in pieces)
        # A reference without its prefix may be a phone number too (2012-3456 in Shanghai).
        number = word.replace("-", "") if re.fullmatch(r"\d[\d-]*", word) else ""
        digits = tuple(phone_digits(number)) if len(number) >= 7 else ()
        # Phone digits with the country code are looked up without it (the index holds both forms).
        if lonely:
            # Only what the index holds narrows the scan: the words and pairs around the lone character.
            toks = tuple(t for kind, piece in pieces if not (kind == "han" and len(piece) == 1)
                         for t in tokens(piece))
        terms.append(Term(word, _bounded(toks), scan=lonely or not toks, phone=_bounded(digits[-1:])))
    return terms[:MAX_TERMS]


def scans_only_the_newest(query: str) -> bool:
    """Whether some word of `query` (a lone character, in a name or the text) is looked for only among the
    SCAN_WINDOW complaints logged last."""
    return any(term.scan for term in parse(query))


def plain_plans() -> None:
    """On PostgreSQL, no parallel workers and no JIT compilation for the rest of this transaction: the
    index lookups take a millisecond or two, and both (which the planner's guess at a word's frequency
    invites: it costs a text search's matches high) take tens of milliseconds to start — JIT compiled a
    head's phone search for 60 ms of its 160.

    And every statement planned for its own words (plan_cache_mode): psycopg prepares a statement run five
    times, and PostgreSQL may then keep one generic plan for every word. Not knowing the word, that plan
    walks the whole index table newest first, testing each row's words, rather than looking the word up:
    750 ms for reception's 护士站 at 100,000 complaints, where the word's own plan takes 40."""
    if _dialect() == "postgresql":
        db.session.execute(text("SELECT set_config('max_parallel_workers_per_gather', '0', true), "
                                "set_config('jit', 'off', true), "
                                "set_config('plan_cache_mode', 'force_custom_plan', true)"))


def _fts5_phrase(toks: tuple[str, ...], prefix: bool = True) -> str:
    # Tokens hold only letters and digits, so quoting them is all FTS5 needs; the last may be a prefix.
    phrase = '"' + " ".join(toks) + '"'
    return phrase + " *" if prefix and toks and not _is_han(toks[-1][-1]) else phrase


def _pg_phrase(toks: tuple[str, ...], prefix: bool = True) -> str:
    parts = [f"'{t}'" for t in toks]
    if prefix and parts and not _is_han(toks[-1][-1]):
        parts[-1] += ":*"
    return " <-> ".join(parts)


def _pg_all(toks: tuple[str, ...], prefix: bool = True) -> str:
    """Every token of a phrase, anywhere in the text: what the GIN index answers without reading the row."""
    return _pg_phrase(toks, prefix).replace(" <-> ", " & ")


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _ids(dialect: str, columns: list[str], toks: tuple[str, ...], scan: str | None, prefix: bool = True,
         department: int | None = None, newest: bool = False):
    """Complaint ids whose index row has the phrase in one of `columns`; for a scan, the typed text, among
    the rows that hold each of its tokens. `prefix`: the last word may be the start of a longer one.
    `department`: a scan with no word to look up reads only that department's rows (on PostgreSQL).
    `newest`: only the last logged of them are wanted (the caller orders and cuts them)."""
    phrases = [(t,) for t in toks] if scan is not None else [toks] if toks else []
    if dialect == "postgresql" and newest and scan is None and len(toks) > 1:
        return _newest_with_phrase(columns, toks, prefix)
    if dialect == "sqlite":
        ids = select(literal_column("rowid")).select_from(text(TABLE))
        if phrases:
            match = " OR ".join(f"{c} : ({' AND '.join(_fts5_phrase(p, prefix) for p in phrases)})" for c in columns)
            ids = ids.where(literal_column(TABLE).op("MATCH")(bindparam(None, match)))
    else:
        ids = select(literal_column("complaint_id")).select_from(text(TABLE))
        if phrases:
            query = func.to_tsquery(literal_column("'simple'"),
                                    bindparam(None, " & ".join(f"({_pg_phrase(p, prefix)})" for p in phrases)))
            vectors = _vectors(columns)
            ids = ids.where(or_(*(literal_column(f"{c}_tsv").op("@@")(query) for c in vectors)))
        if department is not None and not phrases:
            ids = ids.where(literal_column(DEPARTMENT) == bindparam(None, department))
    if scan is not None:
        ids = ids.where(literal_column(CONTENT_TEXT).like(bindparam(None, _like(scan)), escape="\\"))
        if not phrases:
            # Nothing the index holds narrows it: read only the complaints logged last, by their ids (the
            # index row's key is the complaint's id), so that a lone character never reads the whole history.
            key = "rowid" if dialect == "sqlite" else "complaint_id"
            ids = ids.where(literal_column(key) > _newest_id() - SCAN_WINDOW)
    return ids


def _vectors(columns: list[str]) -> list[str]:
    # One index for the content and every identifying field, when all of them are searched.
    return ["everything"] if set(columns) == set(TOKEN_COLUMNS) else columns


def _newest_with_phrase(columns: list[str], toks: tuple[str, ...], prefix: bool):
    """On PostgreSQL, the ids of a phrase of several pairs (护士 <-> 士站) for a caller who wants only the
    last logged: the rows holding every pair, from the GIN index alone, newest first; then each one's words
    read to check the pairs follow each other, until the caller has enough.

    The GIN index cannot tell a phrase from its pairs apart: the phrase is checked on each row's stored
    words, about 30 KB a row out of line (TOAST). Looked up whole, every candidate was checked (the 6,925
    rows holding 个多, 多小 and 小时 at 100,000 complaints, 36,000 pages read, 200–400 ms when they were not
    in memory); checked newest first, reading stops at the 1,001 the page and its count need (13,000 pages)."""
    every = func.to_tsquery(literal_column("'simple'"), bindparam(None, f"({_pg_all(toks, prefix)})"))
    phrase = func.to_tsquery(literal_column("'simple'"), bindparam(None, f"({_pg_phrase(toks, prefix)})"))
    vectors = _vectors(columns)
    indexed = table(TABLE, column("complaint_id"), *(column(f"{c}_tsv") for c in vectors))
    holding = indexed.alias("holding")
    # OFFSET 0: the candidates stay a step of their own (the phrase is not pushed into their lookup), sorted.
    candidates = (select(holding.c.complaint_id).where(or_(*(holding.c[f"{c}_tsv"].op("@@")(every) for c in vectors)))
                  .order_by(holding.c.complaint_id.desc()).offset(0).subquery("candidates"))
    checked = indexed.alias("checked")
    return (select(candidates.c.complaint_id)
            .join(checked, checked.c.complaint_id == candidates.c.complaint_id)
            .where(or_(*(checked.c[f"{c}_tsv"].op("@@")(phrase) for c in vectors))))


def _newest_id():
    """The id of the complaint logged last, on its own (never correlated with a query it sits in)."""
    # The table's column, not the mapped attribute: the index's own statements are Core ones, from text.
    return select(func.max(Complaint.__table__.c.id)).correlate(None).scalar_subquery()


def _complaints(*where):
    """Ids of the complaints where all of `where` holds: a subquery of its own, not tied to the outer one."""
    return select(Complaint.id).where(*where).correlate(None)


def _reference(term: Term):
    """`TS-2026-000123` however it is typed (lower case, without the prefix or the zeros), or `123`
    (`000123`) in any year that has complaints."""
    typed = normalise(term.typed)
    match = REFERENCE.match(typed)
    if match:
        prefix, year, bare_year, number = match.groups()
        return Complaint.reference == f"{(prefix or 'ts').upper()}-{year or bare_year}-{int(number):06d}"
    if typed.isdigit() and len(typed) <= 6:
        years = db.session.scalars(select(ReferenceCounter.year)).all()
        return Complaint.reference.in_([f"TS-{year}-{int(typed):06d}" for year in years])
    return None


def matches(user, query: str, newest: int | None = None):
    """The SQL clause of the complaints whose index matches every word of `query`, searching the identifying
    fields only where `user` may search them; None when there is nothing to look for.

    `newest`: the caller wants only that many, the last logged, and nothing else narrows them (no filter,
    a user who sees everything). A one-word query then reads just those from the index, newest first,
    instead of every match of a common word."""
    terms = parse(query)
    if not terms:
        return None
    if len(terms) > 1:
        newest = None
    dialect = _dialect()
    department = department_scope(user)
    # Someone who searches as the complaint's own department does (a head) reads their department's column:
    # its words are marked with the department, and hold only the identity the department may search.
    as_department = searches_as_department(user) and department is not None
    # Anyone else searches, with the content in one lookup, the identifying fields permissions opens to them
    # everywhere. A field open only under a condition (a head's: the complainant did not ask for
    # confidentiality) is searched through the department column, the one place the index writes that
    # condition per complaint; without a department, such a searcher sees nothing anyway.
    always = [CONTENT, *(field for field, allowed in searchable_identity(user)
                         if getattr(allowed, "value", None) is True)]
    clauses = []
    for term in terms:
        # One IN over a union: the database reads the matches from the index and looks each complaint up,
        # where an OR of several INs would make it read every complaint the user may see.
        scan = normalise(term.typed) if term.scan else None
        found = []
        if as_department:
            if term.phone:
                found.append(_ids(dialect, [DEPARTMENT_WORDS], marked(term.phone, department), None, prefix=False))
            found.append(_ids(dialect, [DEPARTMENT_WORDS], marked(term.tokens, department), scan,
                              department=department))
        else:
            if term.phone and "complainant_phone" in always:
                found.append(_ids(dialect, ["complainant_phone"], term.phone, None, prefix=False))
            # A scan looks at the content as typed; identity fields are searched by their tokens only.
            found.append(_ids(dialect, [CONTENT] if scan else always, term.tokens, scan, newest=newest is not None))
        if scan:
            # The identifying fields as typed, on the complaint itself (a one-character surname): one pass
            # over the window's complaints for all of them (one statement each read the window four times).
            typed = [and_(allowed, getattr(Complaint, field).like(_like(term.typed), escape="\\"))
                     for field, allowed in searchable_identity(user) if field != "complainant_phone"]
            if typed:
                found.append(_complaints(or_(*typed), Complaint.id > _newest_id() - SCAN_WINDOW))
        reference = _reference(term)
        if reference is not None:
            found.append(_complaints(reference))
        if newest is not None:
            # Each in a subquery of its own: SQLite takes no LIMIT on a member of a UNION.
            newest_first = [f.order_by(f.selected_columns[0].desc()).limit(newest).subquery() for f in found]
            found = [select(*sub.c) for sub in newest_first]
        clauses.append(Complaint.id.in_(union_all(*found)) if len(found) > 1 else Complaint.id.in_(found[0]))
    return and_(*clauses)


# --- lookups by one field (duplicates at intake, repeat complainants) ------------------------------------


def in_field(user, field: str, value: str | None):
    """The SQL clause of the complaints whose identifying `field` holds `value` exactly (a phone by its
    digits), where `user` may search that field; None if they may not, or there is nothing to look for."""
    allowed = dict(searchable_identity(user)).get(field)
    toks = _bounded(phone_digits(value)[-1:] if field == "complainant_phone" else tokens(value or ""))
    if allowed is None or not toks:
        return None
    return and_(allowed, Complaint.id.in_(_ids(_dialect(), [field], toks, None, prefix=False)))


# How many complaints' words are read from the database at a time when they are compared.
CONTENTS_BATCH = 500


def contents(where, limit: int) -> Iterator[tuple[int, list[str]]]:
    """(id, content tokens) of the `limit` complaints received last of those matching `where` (a window of
    received_at), from the index, one complaint at a time.

    Read from the complaints, newest received first, each one's words looked up by its id: then
    ix_complaints_received (received_at, id) gives the window backwards and the reading stops at `limit`.
    A join ordered by id let the planners start from the other end (SQLite scanned the whole index table,
    PostgreSQL the complaints' primary key): every complaint ever received was read whenever the window
    held fewer than `limit` (most hospitals' 90 days), and the triage page grew with the whole history.

    Read CONTENTS_BATCH rows at a time (a server-side cursor on PostgreSQL) and split one complaint's words
    at a time: the word lists of them all at once were hundreds of thousands of small strings on every page
    to triage (10 MiB with 760 complaints in the window, about 100 MiB with 4,380), and the worker kept
    most of it resident afterwards (freed, but scattered over the allocator's arenas)."""
    key = "rowid" if _dialect() == "sqlite" else "complaint_id"
    index = table(TABLE, column(key), column(CONTENT)).alias("indexed")
    words = select(index.c[CONTENT]).where(index.c[key] == Complaint.id).scalar_subquery()
    rows = db.session.execute(select(Complaint.id, words).where(where)
                              .order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(limit)
                              .execution_options(yield_per=CONTENTS_BATCH))
    try:
        for complaint_id, content in rows:
            yield complaint_id, (content or "").split()
    finally:
        rows.close()  # a comparison left early frees its cursor at once


# --- the search page: the words and the filters, of what the searcher may see -------------------------------


def start_of(day: date) -> datetime:
    """Midnight at the hospital: a received date range is in the hospital's days."""
    return datetime.combine(day, time(0), tzinfo=hospital_tz())


def _filtered(filters: dict):
    """The SQL clause of the search filters (SearchForm.filters()), each one that is set."""
    now = today()
    clauses = []
    for name in ("state", "department_id", "category_id", "channel", "severity"):
        if name in filters:
            clauses.append(getattr(Complaint, "status" if name == "state" else name) == filters[name])
    if "received_from" in filters:
        clauses.append(Complaint.received_at >= start_of(filters["received_from"]))
    if "received_to" in filters:
        clauses.append(Complaint.received_at < start_of(filters["received_to"] + timedelta(days=1)))
    acknowledging = and_(is_open(), Complaint.acknowledged_at.is_(None), Complaint.acknowledge_due_on.is_not(None))
    clocks = {
        "acknowledge": (acknowledging, "acknowledge"),
        "response": (and_(is_open(), ~status_in(State.responded)), "response"),
        "follow_up": (status_in(State.responded), "follow_up"),
    }
    if "clock" in filters:
        running, clock = clocks[filters["clock"]]
        clauses.append(and_(running, Complaint.on_the_clocks(), Complaint.clock_late(clock, now))
                       if filters.get("overdue") else running)
    elif filters.get("overdue"):
        clauses.append(Complaint.overdue_clause(now))
    if filters.get("escalated"):
        clauses.append(Complaint.escalation_level > 0)
    return and_(true(), *clauses)


def _searched(user, text: str, filters: dict, newest: int | None = None):
    """What the searcher may see (permissions.visible), matching the words and the filters. `newest`: only
    that many of the last logged are wanted (see search.matches)."""
    sees = visible(user)
    narrowed = bool(filters) or not isinstance(sees, True_)
    where = [sees, _filtered(filters)]
    words = matches(user, text, newest=None if narrowed else newest)
    if words is not None:
        where.append(words)
    return and_(*where)


# Beyond this many, search says "more than": counting every match of a common word would cost more than
# the page itself, and nobody reads past a thousand results (they add a word or a filter).
COUNT_UP_TO = 1000


def search_count(user, text: str, filters: dict | None = None) -> int:
    """How many match, up to COUNT_UP_TO + 1 (more than COUNT_UP_TO: "more than a thousand")."""
    plain_plans()
    found = select(Complaint.id).where(_searched(user, text, filters or {})).limit(COUNT_UP_TO + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(found))


def search(user, text: str, limit: int, offset: int = 0, filters: dict | None = None) -> list[Complaint]:
    """The words (search.matches) and the filters, of what the user may see; the last logged first.

    By id, not by date received: the index hands back its matches in id order, so the newest page of a
    common word is read without sorting all its matches (a letter logged late comes with its logging)."""
    plain_plans()
    stmt = (rows().where(_searched(user, text, filters or {}))
            .order_by(Complaint.id.desc()).limit(limit).offset(offset))
    return list(db.session.scalars(stmt))


def search_page(user, text: str, filters: dict, page_size: int, page: int) -> tuple[list[Complaint], int, bool]:
    """One page of search results, how many match (up to COUNT_UP_TO + 1), and whether a next page exists.

    The matching ids are read once, in order, up to what the count and this page need; then the page's
    complaints by id: a common word costs one pass over its matches, not one for the rows and one more
    for the count."""
    plain_plans()
    offset = (page - 1) * page_size
    wanted = max(COUNT_UP_TO + 1, offset + page_size + 1)
    ids = db.session.scalars(select(Complaint.id).where(_searched(user, text, filters, newest=wanted))
                             .order_by(Complaint.id.desc()).limit(wanted)).all()
    wanted = ids[offset:offset + page_size]
    loaded = {c.id: c for c in db.session.scalars(
        rows().where(Complaint.id.in_(wanted)))} if wanted else {}
    return [loaded[i] for i in wanted], min(len(ids), COUNT_UP_TO + 1), len(ids) > offset + page_size
