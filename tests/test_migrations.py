"""The migrations and the models describe the same schema, and every migration can be undone and redone."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from intranet.complaints import search
from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from tests import factories
from tests.conftest import POSTGRES


def outside_the_models(name, type_, *_args) -> bool:
    """The search index is the migrations' alone (an FTS5 virtual table on SQLite): not in the models."""
    return not (type_ == "table" and search.owns_table(name))


def differences() -> list:
    """What autogenerate would write into a new migration now (it must be nothing)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                "compare_server_default": True,
                                                                "include_name": outside_the_models})
        diff = compare_metadata(context, db.metadata)
        connection.rollback()
    return diff


SEARCH = "complaint_search"


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
        connection.rollback()
    return revision


def tables() -> set[str]:
    """The models' tables in the database (and the search index, which only the migrations create)."""
    db.engine.dispose()  # drop pooled connections that cached the old schema
    names = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    return {n for n in names if not search.owns_table(n)} | ({SEARCH} if search.TABLE in names else set())


def test_one_head(app_ctx):
    assert len(script_directory().get_heads()) == 1


def test_models_and_migrations_agree(app_ctx):
    assert current_revision() == script_directory().get_current_head()
    assert differences() == []
    assert tables() == set(db.metadata.tables) | {SEARCH}


def test_downgrade_to_base_and_upgrade_again(app_ctx):
    # Some data in place, as on a real server.
    world = factories.make_world()
    factories.make_complaint(world, State.investigating)
    factories.make_complaint(world, State.closed)
    db.session.remove()  # nothing may hold a lock on the tables while they are dropped

    downgrade(revision="base")
    assert current_revision() is None
    assert tables() == set()

    upgrade()
    assert current_revision() == script_directory().get_current_head()
    assert tables() == set(db.metadata.tables) | {SEARCH}
    assert differences() == []
    # And the schema works: the whole lifecycle runs on it.
    world = factories.make_world()
    assert factories.make_complaint(world, State.closed).state == State.closed


def test_each_migration_steps_down_and_up(app_ctx):
    """One revision at a time, so that a downgrade that only works from the head is caught too."""
    script = script_directory()
    revisions = [r.revision for r in script.walk_revisions()]  # head first
    db.session.remove()
    for expected in [*revisions[1:], None]:
        downgrade(revision="-1")
        assert current_revision() == expected
    for expected in reversed(revisions):
        upgrade(revision="+1")
        assert current_revision() == expected
        downgrade(revision="-1")  # and back once more from each step
        upgrade(revision="+1")
        assert current_revision() == expected
    assert differences() == []


def test_upgrade_is_a_no_op_at_head(app_ctx):
    upgrade()
    assert current_revision() == script_directory().get_current_head()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        connection.rollback()


@pytest.mark.skipif(POSTGRES, reason="SQLite's foreign-key pragma")
def test_after_migrating_every_connection_enforces_foreign_keys(app_ctx):
    """SQLite migrates with enforcement off: the connection that did it must not go back to the pool so (a
    process that migrates and then writes, as the benchmark's seed does, would write unchecked)."""
    upgrade()
    enforced = []
    for _ in range(5):  # one after the other, through whichever connections the pool holds
        with db.engine.connect() as connection:
            enforced.append(connection.execute(text("PRAGMA foreign_keys")).scalar())
            connection.rollback()
    assert enforced == [1, 1, 1, 1, 1]


@pytest.mark.skipif(not POSTGRES, reason="INCLUDE columns are PostgreSQL's")
def test_indexes_include_what_the_models_say(app_ctx):
    """Autogenerate does not compare an index's INCLUDE columns, so they are compared here: the open-work
    index holds the ids a work list's page is read by."""
    db.engine.dispose()
    stored = {(table, index["name"]): index.get("dialect_options", {}).get("postgresql_include", [])
              for table in db.metadata.tables for index in inspect(db.engine).get_indexes(table)}
    declared = {(table.name, index.name): list(index.dialect_options["postgresql"]["include"] or [])
                for table in db.metadata.tables.values() for index in table.indexes}
    assert {key: stored[key] for key in declared} == declared
    assert declared["complaints", "ix_complaints_open_work"] == ["id"]


def test_notices_written_in_one_language_become_that_version_and_back(app_ctx):
    db.session.remove()
    downgrade(revision="e8b0c0de0020")  # notices had one language then
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO public_notices (title, body, language, published_at) VALUES "
                                "('候诊广播', '每三十分钟播报一次。', 'zh', '2026-11-01 02:00:00+00:00'), "
                                "('Visiting hours', 'From 16:00.', 'en', '2026-11-02 02:00:00+00:00')"))
    upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT title_zh, body_zh, title_en, body_en FROM public_notices "
                                       "ORDER BY id")).all()
        connection.rollback()
    assert [tuple(r) for r in rows] == [("候诊广播", "每三十分钟播报一次。", None, None),
                                        (None, None, "Visiting hours", "From 16:00.")]

    downgrade(revision="e8b0c0de0020")
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT title, body, language FROM public_notices ORDER BY id")).all()
        connection.rollback()
    assert [tuple(r) for r in rows] == [("候诊广播", "每三十分钟播报一次。", "zh"),
                                        ("Visiting hours", "From 16:00.", "en")]
    upgrade()
