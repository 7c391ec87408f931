"""Long commands show their progress on a terminal (click's progress bar, on stderr) and print nothing of it
when their output goes to a log or CI: backup, restore, rebuilding the search index, and moving the evidence
files between their stores."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import pytest

from intranet.core.extensions import db
from tests import factories
from tests.test_backup import backed_up

COMMANDS = {
    "backup create": (["backup", "create", "{tmp}/again.backup"], "Copying the evidence files  [####",
                      "Backed up the database and "),
    "backup restore": (["backup", "restore", "{tmp}/redress.backup", "--yes"], "Restoring the evidence files  [####",
                       "Restored the database and "),
    "search rebuild": (["search", "rebuild"], "Indexing complaints  [####", "5 complaints indexed"),
    "evidence migrate": (["evidence", "migrate", "--to", "database"],
                         "Copying the evidence files to the database  [####", "Evidence files moved to the database: "),
}


def run(app, arguments: list[str], stderr) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    environment.update(REDRESS_ENV="testing", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                       REDRESS_EVIDENCE_FOLDER=app.config["EVIDENCE_FOLDER"], COLUMNS="100")
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "wsgi", *arguments],
                          env=environment, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=120,
                          check=True)


def on_a_terminal(app, arguments: list[str]) -> tuple[str, str]:
    """What the command printed (stdout) and what its terminal showed (stderr, a pseudo-terminal)."""
    main, terminal = os.openpty()
    try:
        done = run(app, arguments, terminal)
        os.close(terminal)
        seen = b""
        with contextlib.suppress(OSError):  # the terminal's other end closed: all of it read
            while chunk := os.read(main, 4096):
                seen += chunk
    finally:
        os.close(main)
    return done.stdout, seen.decode()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_long_command_shows_a_progress_bar_on_a_terminal_only(app, world, tmp_path, command):
    arguments, bar, said = COMMANDS[command]
    arguments = [a.format(tmp=tmp_path) for a in arguments]
    backed_up(app, world, tmp_path)
    factories.make_complaint(world)  # one more, after the backup
    db.session.commit()
    db.session.remove()
    db.engine.dispose()  # the command may replace the database: nothing of the test's left open on it
    quiet = run(app, arguments, subprocess.PIPE)
    assert quiet.stderr == "" and quiet.stdout.startswith(said)
    printed, shown = on_a_terminal(app, arguments)
    assert printed.startswith(said)
    assert bar in shown
