"""The complaint's clocks as the actions meet them: whether a clock was met on time, acknowledgement, and the
rounds of answers and follow-ups each kept with the clock it met."""

from __future__ import annotations

from datetime import date, datetime

from ..core.extensions import db
from ..core.time import local, today, utcnow
from ..deadlines import policy
from ..deadlines.models import Clock
from .models import Complaint, ComplaintAnswer, ComplaintFollowUp


def on_time(met: datetime | date, due_on: date | None, due_at: datetime | None = None) -> bool | None:
    """Whether a clock was met by its stored due date (None: it had none): by its moment when it is counted
    in hours (`due_at`), else by the day, both read as hospital dates. A clock met on a date only (recorded
    late) is judged by the day, as the moment of that day is not known: on time if met on the due day;
    a date that is today is read as now."""
    if due_on is None:
        return None
    if due_at is not None and not isinstance(met, datetime) and met == today():
        met = utcnow()
    if due_at is not None and isinstance(met, datetime):
        return met <= due_at
    return (local(met).date() if isinstance(met, datetime) else met) <= due_on


def set_follow_up(complaint: Complaint, responded_on: date) -> None:
    """The follow-up clock starts with the response (now, when told today); an anonymous complaint has none
    (nobody to ask)."""
    if complaint.anonymous:
        complaint.set_due("follow_up", None)
        return
    start = utcnow() if responded_on == today() else responded_on
    complaint.set_due("follow_up", policy.due(Clock.follow_up, complaint.severity, complaint.complexity, start))


def acknowledge(complaint: Complaint, via: str | None) -> None:
    """Record that the complainant was told the complaint was accepted, the first time only."""
    if via and complaint.acknowledged_at is None:
        complaint.acknowledged_at = utcnow()
        complaint.acknowledged_via = via
        complaint.acknowledged_on_time = on_time(complaint.acknowledged_at, complaint.acknowledge_due_on,
                                                 complaint.acknowledge_due_at)


def within_reply_by(complaint: Complaint, due):
    """A response due date (a policy.Due) no later than a referral's reply-by date: the referring body's
    date governs when it falls first."""
    reply_by = complaint.referral_reply_by
    if reply_by is None or due is None or due.on <= reply_by:  # by that day's end, or at a moment within it
        return due
    return policy.Due(reply_by)


def set_report_back(complaint: Complaint) -> None:
    """A referral answered: the report back to the body that referred it is due by their reply-by date, or
    without one by the policy's report-back clock from the day the complainant was answered."""
    if complaint.referral_body_id is None or complaint.reported_back_at is not None:
        return
    if complaint.referral_reply_by is not None:
        complaint.report_back_due_on = complaint.referral_reply_by
        return
    answered = complaint.responded_on or today()
    complaint.report_back_due_on = policy.due(Clock.report_back, complaint.severity, complaint.complexity,
                                              answered).on


def record_answer(c: Complaint, method: str | None, told_text: str | None) -> ComplaintAnswer:
    """The answer's round, kept as it is now (what was signed, by whom, when told, by which due date): a
    reopening starts the next round and leaves this one as it is."""
    answer = ComplaintAnswer(round=c.reopened_count + 1, response_text=c.response_text,
                             signed_off_by_id=c.signed_off_by_id, told_text=told_text, method=method,
                             responded_on=c.responded_on, sent_at=c.responded_at, due_on=c.response_due_on,
                             on_time=c.responded_on_time)
    # Loading the rounds must not flush the complaint: its changes are still to be chained as facts.
    with db.session.no_autoflush:
        c.answers.append(answer)
    set_report_back(c)
    return answer


def record_follow_up(c: Complaint, method: str | None) -> ComplaintFollowUp:
    """The follow-up of the current round, as record_answer() keeps the answer."""
    follow_up = ComplaintFollowUp(round=c.reopened_count + 1, method=method, satisfied=c.satisfied,
                                  comment=c.follow_up_comment, at=c.followed_up_at, due_on=c.follow_up_due_on,
                                  on_time=c.followed_up_on_time)
    with db.session.no_autoflush:
        c.follow_ups.append(follow_up)
    return follow_up
