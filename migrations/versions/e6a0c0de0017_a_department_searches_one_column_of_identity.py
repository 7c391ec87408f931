"""a department searches one column of identity

Revision ID: e6a0c0de0017
Revises: e5a0c0de0016
Create Date: 2026-12-01 13:40:00

The search index gains `open_to_department`: the words of the identifying fields a complaint's own
department may search (all of them, unless the complainant asked for confidentiality and has not disclosed
them). A head's search then reads the content and this column of their department's rows in one lookup,
where it had joined each identifying field's matches against the complaints to apply the confidentiality
rule row by row. Filled here from the index's own identity columns and the complaints' flags.
"""
from alembic import op

revision = "e6a0c0de0017"
down_revision = "e5a0c0de0016"
branch_labels = None
depends_on = None

TABLE = "complaint_search"
TOKEN_COLUMNS = ("content", "complainant_name", "complainant_phone", "complainant_email", "patient_name",
                 "patient_record_number")
# Which identifying columns the department may search, as of this revision (identity.hidden_from_department).
OPEN = {
    "complainant_name": "NOT c.confidential OR c.disclosed_name",
    "complainant_phone": "NOT c.confidential OR c.disclosed_contact",
    "complainant_email": "NOT c.confidential OR c.disclosed_contact",
    "patient_name": "NOT c.confidential OR c.complainant_relation IS NULL OR c.complainant_relation <> 'patient' "
                    "OR c.disclosed_patient",
    "patient_record_number": "NOT c.confidential OR c.complainant_relation IS NULL "
                             "OR c.complainant_relation <> 'patient' OR c.disclosed_patient",
}


def _open_words() -> str:
    parts = [f"CASE WHEN {rule} THEN s.{column} ELSE '' END" for column, rule in OPEN.items()]
    return "trim(" + " || ' ' || ".join(parts) + ")"


def _fts5(columns) -> str:
    return (f"fts5({', '.join(columns)}, content_text UNINDEXED, department_id UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # An FTS5 table takes no new column: a new table with it, filled from the old one.
        op.execute(f"CREATE VIRTUAL TABLE {TABLE}_next USING {_fts5((*TOKEN_COLUMNS, 'open_to_department'))}")
        names = ", ".join(TOKEN_COLUMNS)
        op.execute(f"INSERT INTO {TABLE}_next (rowid, {names}, open_to_department, content_text, department_id) "
                   f"SELECT s.rowid, {', '.join('s.' + n for n in TOKEN_COLUMNS)}, {_open_words()}, "
                   f"s.content_text, s.department_id FROM {TABLE} s JOIN complaints c ON c.id = s.rowid")
        op.execute(f"DROP TABLE {TABLE}")
        op.execute(f"ALTER TABLE {TABLE}_next RENAME TO {TABLE}")
        return
    op.execute(f"ALTER TABLE {TABLE} ADD COLUMN open_to_department text NOT NULL DEFAULT ''")
    op.execute(f"UPDATE {TABLE} s SET open_to_department = {_open_words()} FROM complaints c "
               "WHERE c.id = s.complaint_id")
    op.execute(f"ALTER TABLE {TABLE} ADD COLUMN open_to_department_tsv tsvector "
               "GENERATED ALWAYS AS (to_tsvector('simple', open_to_department)) STORED")
    op.execute(f"CREATE INDEX ix_{TABLE}_open_to_department ON {TABLE} USING gin (open_to_department_tsv) "
               "WITH (fastupdate = off)")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE {TABLE}_next USING {_fts5(TOKEN_COLUMNS)}")
        names = ", ".join((*TOKEN_COLUMNS, "content_text", "department_id"))
        op.execute(f"INSERT INTO {TABLE}_next (rowid, {names}) SELECT rowid, {names} FROM {TABLE}")
        op.execute(f"DROP TABLE {TABLE}")
        op.execute(f"ALTER TABLE {TABLE}_next RENAME TO {TABLE}")
        return
    op.execute(f"DROP INDEX ix_{TABLE}_open_to_department")
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN open_to_department_tsv")
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN open_to_department")
