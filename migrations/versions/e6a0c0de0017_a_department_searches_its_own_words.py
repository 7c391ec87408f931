"""a department searches its own words

Revision ID: e6a0c0de0017
Revises: e5a0c0de0016
Create Date: 2026-12-01 13:40:00

The search index gains `department_words`: what a complaint's own department may search (the content, and
the identifying fields unless the complainant asked for confidentiality and has not disclosed them), each
word marked with the department (`d12x态度`). A head's word is then one index lookup of their department's
matches, where it had read every match in the hospital, narrowed it by department, and joined each
identifying field's matches to the complaints to apply the confidentiality rule row by row. Filled here
from the index's own columns and the complaints' flags.
"""
import sqlalchemy as sa
from alembic import op

revision = "e6a0c0de0017"
down_revision = "e5a0c0de0016"
branch_labels = None
depends_on = None

TABLE = "complaint_search"
TOKEN_COLUMNS = ("content", "complainant_name", "complainant_phone", "complainant_email", "patient_name",
                 "patient_record_number")
IDENTITY = TOKEN_COLUMNS[1:]
PATIENT = ("patient_name", "patient_record_number")


def _hidden(row) -> set[str]:
    """The identifying columns the department may not search (identity.hidden_from_department, as of now)."""
    if not row.confidential:
        return set()
    hidden = {"complainant_name", "complainant_phone", "complainant_email"}
    if row.complainant_relation == "patient":
        hidden |= set(PATIENT)
    if row.disclosed_name:
        hidden.discard("complainant_name")
    if row.disclosed_contact:
        hidden -= {"complainant_phone", "complainant_email"}
    if row.disclosed_patient:
        hidden -= set(PATIENT)
    return hidden


def _department_words(row) -> str:
    if row.department_id is None:
        return ""
    hidden = _hidden(row)
    words = [w for column in TOKEN_COLUMNS if column not in hidden for w in (getattr(row, column) or "").split()]
    return " ".join(f"d{row.department_id}x{w}" for w in words)


def _fts5(columns) -> str:
    return (f"fts5({', '.join(columns)}, content_text UNINDEXED, department_id UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')")


def _rows(bind, key: str):
    return bind.execute(sa.text(
        f"SELECT s.{key} AS id, s.department_id, {', '.join('s.' + c for c in TOKEN_COLUMNS)}, c.confidential, "
        "c.complainant_relation, c.disclosed_name, c.disclosed_contact, c.disclosed_patient "
        f"FROM {TABLE} s JOIN complaints c ON c.id = s.{key}")).all()


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # An FTS5 table takes no new column: a new table with it, filled from the old one.
        rows = _rows(bind, "rowid")
        kept = {r[0]: r for r in bind.execute(sa.text(f"SELECT rowid, content_text FROM {TABLE}"))}
        op.execute(f"DROP TABLE {TABLE}")
        op.execute(f"CREATE VIRTUAL TABLE {TABLE} USING {_fts5((*TOKEN_COLUMNS, 'department_words'))}")
        names = (*TOKEN_COLUMNS, "department_words", "content_text", "department_id")
        insert = sa.text(f"INSERT INTO {TABLE} (rowid, {', '.join(names)}) VALUES (:id, {', '.join(':' + n for n in names)})")
        values = [{"id": r.id, **{c: getattr(r, c) for c in TOKEN_COLUMNS}, "department_words": _department_words(r),
                   "content_text": kept[r.id][1], "department_id": r.department_id} for r in rows]
        if values:
            bind.execute(insert, values)
        return
    op.execute(f"ALTER TABLE {TABLE} ADD COLUMN department_words text NOT NULL DEFAULT ''")
    rows = [{"id": r.id, "words": _department_words(r)} for r in _rows(bind, "complaint_id")]
    rows = [r for r in rows if r["words"]]
    if rows:
        bind.execute(sa.text(f"UPDATE {TABLE} SET department_words = :words WHERE complaint_id = :id"), rows)
    op.execute(f"ALTER TABLE {TABLE} ADD COLUMN department_words_tsv tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple', department_words)) STORED")
    op.execute(f"CREATE INDEX ix_{TABLE}_department_words ON {TABLE} USING gin (department_words_tsv) "
               "WITH (fastupdate = off)")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE {TABLE}_before USING {_fts5(TOKEN_COLUMNS)}")
        names = ", ".join((*TOKEN_COLUMNS, "content_text", "department_id"))
        op.execute(f"INSERT INTO {TABLE}_before (rowid, {names}) SELECT rowid, {names} FROM {TABLE}")
        op.execute(f"DROP TABLE {TABLE}")
        op.execute(f"ALTER TABLE {TABLE}_before RENAME TO {TABLE}")
        return
    op.execute(f"DROP INDEX ix_{TABLE}_department_words")
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN department_words_tsv")
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN department_words")
