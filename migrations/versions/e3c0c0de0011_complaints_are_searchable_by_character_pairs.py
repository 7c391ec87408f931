"""complaints are searchable by character pairs

Revision ID: e3c0c0de0011
Revises: e2a0c0de0013
Create Date: 2026-12-01 11:20:00

The search index (complaints/search.py): on SQLite an FTS5 table over text cut into character pairs, on
PostgreSQL a table with a GIN index of `to_tsvector('simple', …)` per column. Complaints already written
are indexed here, with the cutting written out as it was when this migration was made (a migration never
changes with the code; `flask --app wsgi search rebuild` writes the index with today's).
"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "e3c0c0de0011"
down_revision = "e2a0c0de0013"
branch_labels = None
depends_on = None

TABLE = "complaint_search"
IDENTITY = ("complainant_name", "complainant_phone", "complainant_email", "patient_name", "patient_record_number")
TOKEN_COLUMNS = ("content", *IDENTITY)
CONTENT_FIELDS = ("what_happened", "desired_outcome", "subject_ward", "findings", "cause", "remedy",
                  "corrective_actions", "response_text", "told_text", "decline_reason", "follow_up_comment")


def _is_han(ch):
    code = ord(ch)
    return (0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x3FFFF)


def _normalise(value):
    return unicodedata.normalize("NFKC", value).lower()


def _tokens(value):
    out, kind, current = [], None, []

    def flush():
        piece = "".join(current)
        if kind == "han" and len(piece) > 1:
            out.extend(piece[i:i + 2] for i in range(len(piece) - 1))
        elif piece:
            out.append(piece)

    for ch in _normalise(value or ""):
        this = "han" if _is_han(ch) else "word" if ch.isalnum() else None
        if this != kind:
            flush()
            current = []
        kind = this
        if this is not None:
            current.append(ch)
    flush()
    return out


def _phone(value):
    digits = re.sub(r"\D", "", value or "")
    if not digits:
        return []
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 7:
            return [digits, digits[len(prefix):]]
    return [digits]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE {TABLE} USING fts5({', '.join(TOKEN_COLUMNS)}, content_text UNINDEXED, "
                   "department_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')")
        key = "rowid"
    else:
        # The tokens as text, and beside each its tsvector, stored (a GIN index's matches are rechecked
        # against the row: a stored vector is read, an expression would be computed again for every row).
        # `everything` is the content and every identifying field, for those who may search them all.
        columns = [f"{c} text NOT NULL DEFAULT ''" for c in (*TOKEN_COLUMNS, "content_text")]
        # The department too: a head's lookups read only their department's matches.
        columns.append("department_id integer")
        columns += [f"{c}_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', {c})) STORED"
                    for c in TOKEN_COLUMNS]
        everything = " || ' ' || ".join(TOKEN_COLUMNS)
        columns.append(f"everything_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', {everything})) STORED")
        op.execute(f"CREATE TABLE {TABLE} (complaint_id integer PRIMARY KEY REFERENCES complaints (id) "
                   f"ON DELETE CASCADE, {', '.join(columns)})")
        # fastupdate off: one row is written per action, and a search never scans a pending list.
        for column in (*TOKEN_COLUMNS, "everything"):
            op.execute(f"CREATE INDEX ix_{TABLE}_{column} ON {TABLE} USING gin ({column}_tsv) WITH (fastupdate = off)")
        op.execute(f"CREATE INDEX ix_{TABLE}_department_id ON {TABLE} (department_id)")
        key = "complaint_id"

    complaints = sa.table("complaints", sa.column("id"), sa.column("department_id"),
                          *(sa.column(f) for f in (*CONTENT_FIELDS, *IDENTITY)))
    events = sa.table("complaint_events", sa.column("complaint_id"), sa.column("action"),
                      sa.column("data", sa.JSON))
    notes = {}
    for complaint_id, data in bind.execute(sa.select(events.c.complaint_id, events.c.data)
                                           .where(events.c.action == "note")):
        if data and data.get("text"):
            notes.setdefault(complaint_id, []).append(data["text"])
    rows = []
    for row in bind.execute(sa.select(complaints)).mappings():
        content = "\n".join(v for v in [*(row[f] for f in CONTENT_FIELDS), *notes.get(row["id"], [])] if v)
        doc = {"id": row["id"], "content": " ".join(_tokens(content)), "content_text": _normalise(content),
               "department_id": row["department_id"]}
        for field in IDENTITY:
            doc[field] = " ".join(_phone(row[field]) if field == "complainant_phone" else _tokens(row[field]))
        rows.append(doc)
    if rows:
        names = (*TOKEN_COLUMNS, "content_text", "department_id")
        bind.execute(sa.text(f"INSERT INTO {TABLE} ({key}, {', '.join(names)}) "
                             f"VALUES (:id, {', '.join(':' + n for n in names)})"), rows)


def downgrade():
    op.execute(f"DROP TABLE {TABLE}")
