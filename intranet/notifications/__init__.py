"""Notifications: who hears what, written to an outbox in the action's transaction.

- `kinds.py`: what can be announced (`Kind`, each declared once with its audience, subject and body) and
  the plain values a message is about (`About`): this layer knows users and departments, never the
  complaint model.
- `outbox.py`: `notify(kind, about, key=…)`, the one entry point the rest of the app calls.
- `relay.py` (`outbox send`) delivers the outbox; `routes.py` is the bell and the notifications page.
"""
