"""Benchmark the outbox relay: queue N rows, send them, print rows/second.

    .venv/bin/python scripts/bench_outbox.py [--rows 2000] [--channel email|in_app] [--relays 1|2]

Uses DATABASE_URL when set (PostgreSQL: use a scratch database, its tables are emptied), else a throwaway
SQLite file. Email goes to a real SMTP server (aiosmtpd, a dev dependency) on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--channel", choices=("email", "in_app"), default="email")
    parser.add_argument("--relays", type=int, default=1, help="relays at once (threads, own connections)")
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch = tempfile.mkdtemp()
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    os.environ.setdefault("REDRESS_ENV", "testing")

    from flask_migrate import upgrade
    from sqlalchemy import text

    from intranet import create_app
    from intranet.core.extensions import db
    from intranet.core.time import utcnow
    from intranet.core.users import User
    from intranet.notifications import relay
    from intranet.notifications.models import OutboxMessage, StaffNotification
    from tests.smtp import SMTPServer

    server = SMTPServer().start()
    app = create_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                     MAIL_USERNAME=None)
    with app.app_context():
        upgrade()
        db.session.execute(text(f"DELETE FROM {StaffNotification.__tablename__}"))
        db.session.execute(text(f"DELETE FROM {OutboxMessage.__tablename__}"))
        user = db.session.query(User).filter_by(username="bench-relay").one_or_none()
        if user is None:
            user = User(username="bench-relay", display_name="bench", role="reception", password_hash="x")
            db.session.add(user)
            db.session.flush()
        now = utcnow()
        db.session.execute(OutboxMessage.__table__.insert(), [
            dict(key=f"bench:{i}", kind="acknowledged", channel=args.channel,
                 recipient=f"p{i}@example.org" if args.channel == "email" else str(user.id),
                 recipient_user_id=None if args.channel == "email" else user.id, language="en",
                 subject=f"Message {i}", body="Benchmark body.\n" * 10, status="pending", attempts=0,
                 next_attempt_at=now, created_at=now)
            for i in range(args.rows)
        ])
        db.session.commit()

    sent = []

    def run() -> None:
        with app.app_context():
            sent.append(relay.send_pending(args.batch).sent)
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(args.relays)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    server.stop()
    delivered = len(server.messages) if args.channel == "email" else sum(sent)
    print(f"{sum(sent)} rows sent ({delivered} delivered) by {args.relays} relay(s) over {args.channel} "
          f"in {elapsed:.2f} s: {sum(sent) / elapsed:.0f} rows/second")
    if scratch:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
