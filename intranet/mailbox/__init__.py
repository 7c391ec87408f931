"""Mail in: complaints sent to the complaints office's mailbox, taken over IMAP (docs/mailbox.md).

- `models.py`: the mail taken (`TakenMail`), one row a message, unique by its mailbox position
  (UIDVALIDITY + UID) and by its Message-ID: what makes taking a message happen once.
- `reading.py`: a message read into what a complaint needs (sender, subject, text, files), or why it is set
  aside (an auto-reply, a bounce, a mailing list).
- `taking.py`: one message into a complaint (registration.create(), as the public form) or the set-aside
  list, in one transaction; `poll()` reads the mailbox and moves (or flags) a message only once committed.
- `cli.py` (`mailbox poll`), `routes.py`: the set-aside list for reception.
"""
