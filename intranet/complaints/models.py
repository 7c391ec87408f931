"""Complaints, their timeline, and the per-year reference counter."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    false,
    literal,
    or_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.choices import Labelled
from ..core.database import enum_column
from ..core.departments import Category, Department, ReferringBody
from ..core.extensions import db
from ..core.roles import Role
from ..core.time import UTCDateTime, local, today, utcnow
from ..core.users import User
from ..deadlines.calendar import next_working_day
from ..deadlines.policy import end_of
from ..notifications.kinds import About, Complainant
from .states import OPEN, TERMINAL, WITH_DEPARTMENT, State

CLOCK_COLUMNS = {"acknowledge": ("acknowledge_due_on", "acknowledge_due_at"),
                 "response": ("response_due_on", "response_due_at"),
                 "follow_up": ("follow_up_due_on", "follow_up_due_at")}


def past_due(due_on: date | None, due_at: datetime | None, now: datetime) -> bool:
    """Whether a clock is missed at `now`: after its moment (hours), or once its day is over (working days)."""
    if due_at is not None:
        return due_at < now
    return due_on is not None and due_on < local(now).date()


def _moment(on: date) -> datetime:
    """The moment a question about day `on` is asked: now for today, else that day's beginning (a day ago's
    "overdue" counted the clocks missed before it began)."""
    if on == today():
        return utcnow()
    return end_of(on - timedelta(days=1))

_STATE_OF = {state.value: state for state in State}


class Channel(Labelled):
    phone = "phone"
    walk_in = "walk_in"
    letter = "letter"
    email = "email"
    online = "online"
    suggestion_box = "suggestion_box"
    survey = "survey"
    referral = "referral"  # 12320 / 12345 / health commission
    other = "other"

    @staticmethod
    def LABELS():  # noqa: N802
        return {
            Channel.phone: _l("Phone"),
            Channel.walk_in: _l("Walk-in"),
            Channel.letter: _l("Letter"),
            Channel.email: _l("Email"),
            Channel.online: _l("Online form"),
            Channel.suggestion_box: _l("Suggestion box"),
            Channel.survey: _l("Satisfaction survey"),
            Channel.referral: _l("Regulator or hotline referral (12320/12345)"),
            Channel.other: _l("Other"),
        }


class ReportBackMethod(Labelled):
    """How the hospital reported back to the body that referred the complaint (办结反馈)."""

    phone = "phone"
    letter = "letter"
    platform = "platform"  # the referring body's own case platform
    email = "email"
    other = "other"

    @staticmethod
    def LABELS():  # noqa: N802
        return {
            ReportBackMethod.phone: _l("Phone call"),
            ReportBackMethod.letter: _l("Letter (in writing)"),
            ReportBackMethod.platform: _l("Their case platform"),
            ReportBackMethod.email: _l("Email"),
            ReportBackMethod.other: _l("Other"),
        }


class Severity(Labelled):
    minor = "minor"
    serious = "serious"
    major = "major"  # 重大: leadership told at once, approves the response

    @staticmethod
    def LABELS():  # noqa: N802
        return {Severity.minor: _l("Minor"), Severity.serious: _l("Serious"), Severity.major: _l("Major")}


class Complexity(Labelled):
    simple = "simple"
    several_departments = "several_departments"

    @staticmethod
    def LABELS():  # noqa: N802
        return {
            Complexity.simple: _l("Simple (one department)"),
            Complexity.several_departments: _l("Involves several departments"),
        }


class Responsibility(Labelled):
    upheld = "upheld"
    partly_upheld = "partly_upheld"
    not_upheld = "not_upheld"
    malicious = "malicious"
    # A head's finding of malicious stands only once leadership confirms it: until then it is proposed, and
    # nothing (reports, KPIs, exports) counts the complainant as malicious.
    malicious_proposed = "malicious_proposed"

    @staticmethod
    def LABELS():  # noqa: N802
        return {
            Responsibility.upheld: _l("Upheld"),
            Responsibility.partly_upheld: _l("Partly upheld"),
            Responsibility.not_upheld: _l("Not upheld"),
            Responsibility.malicious: _l("Malicious complaint"),
            Responsibility.malicious_proposed: _l("Malicious complaint (proposed, awaiting leadership's confirmation)"),
        }

    @classmethod
    def findings(cls) -> list[Responsibility]:
        """The findings that stand (what the head chooses from, and what the figures count)."""
        return [m for m in cls if m != cls.malicious_proposed]


class ContactMethod(Labelled):
    """How the complainant was (or wants to be) told something."""

    phone = "phone"
    in_person = "in_person"
    written = "written"
    email = "email"
    sms = "sms"
    online = "online"

    @staticmethod
    def LABELS():  # noqa: N802
        return {
            ContactMethod.phone: _l("Phone call"),
            ContactMethod.in_person: _l("In person"),
            ContactMethod.written: _l("Letter (in writing)"),
            ContactMethod.email: _l("Email"),
            ContactMethod.sms: _l("Text message"),
            ContactMethod.online: _l("Online (tracking page)"),
        }


class ComplainantRelation(Labelled):
    patient = "patient"
    family = "family"
    other = "other"

    @staticmethod
    def LABELS():  # noqa: N802
        return {
            ComplainantRelation.patient: _l("The patient"),
            ComplainantRelation.family: _l("Family member or carer"),
            ComplainantRelation.other: _l("Someone else on the patient's behalf"),
        }


def _in(states) -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in sorted(states)) + ")"


# The open complaints: what every work list shows, a bounded number however long the history. The partial
# index below holds them only; a query uses it when it says `status IN (…)` with these very values written
# out (Complaint.open_clause), which SQLite needs to see in the statement itself, not as bound parameters.
OPEN_WORK = f"status IN {_in(OPEN)}"
# A referral answered (responded or closed) and not yet reported back to the body that referred it: reception's
# "referrals to report back". Closed complaints are nearly all the history, so only a partial index of these
# few keeps the queue and its count from reading every closed complaint; a query uses it when it says exactly
# this (Complaint.to_report_back_clause), the states written out as in OPEN_WORK.
TO_REPORT_BACK_STATES = (State.responded, State.closed)
TO_REPORT_BACK = f"referral_body_id IS NOT NULL AND reported_back_at IS NULL AND status IN {_in(TO_REPORT_BACK_STATES)}"
OPEN_WORK_COLUMNS = ("status", "department_id", "response_due_on", "follow_up_due_on", "acknowledge_due_on",
                     "acknowledged_at", "sent_back_at", "escalation_level", "severity", "received_at",
                     "response_due_at", "follow_up_due_at", "acknowledge_due_at", "disputed_since")


class ReferenceCounter(db.Model):
    """One row per year; incremented with UPDATE … RETURNING in the complaint's own transaction."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Complaint(db.Model):
    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(f"status NOT IN {_in(WITH_DEPARTMENT)} OR department_id IS NOT NULL",
                        name="department_when_assigned"),
        CheckConstraint("status NOT IN ('signed_off', 'awaiting_approval') OR signed_off_at IS NOT NULL",
                        name="signed_off_has_signature"),
        CheckConstraint("status NOT IN ('responded', 'closed') OR responded_at IS NOT NULL",
                        name="responded_has_response"),
        CheckConstraint("status <> 'not_accepted' OR decline_reason IS NOT NULL", name="declined_has_reason"),
        CheckConstraint("channel <> 'letter' OR wants_written_reply", name="letter_answered_in_writing"),
        CheckConstraint("escalation_level >= 0", name="escalation_level_not_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("integrity OR NOT about_head", name="about_head_goes_the_integrity_route"),
        # A handler is a member of the department's staff: only a complaint with a department has one, and
        # never an integrity complaint (the discipline office handles it, not the accused department).
        CheckConstraint("handler_id IS NULL OR (department_id IS NOT NULL AND NOT integrity)",
                        name="handler_within_the_department"),
        # A referral's case number, reply-by date and report back belong to the body that referred it.
        CheckConstraint("referral_body_id IS NOT NULL OR (referral_case_number IS NULL AND referral_reply_by IS NULL "
                        "AND reported_back_at IS NULL)", name="referral_details_need_a_body"),
        CheckConstraint("reported_back_at IS NULL OR (reported_back_on IS NOT NULL AND report_back_method IS NOT NULL "
                        "AND report_back_text IS NOT NULL)", name="report_back_complete"),
        Index("ix_complaints_status_department", "status", "department_id"),
        # The work lists and their counts read the open complaints from this index alone (it holds what
        # their filters and order ask about, and the ids a page's rows are then read by: SQLite's indexes
        # hold the row id anyway, PostgreSQL's only when told); the history lists walk the two below,
        # newest first.
        Index("ix_complaints_open_work", *OPEN_WORK_COLUMNS, sqlite_where=text(OPEN_WORK),
              postgresql_where=text(OPEN_WORK), postgresql_include=["id"]),
        # Reception's referrals to report back, with what the queue sorts by and the ids the page then reads.
        # Led by the status its clause names: SQLite (in the bench, with ANALYZE's figures for the index on
        # status and none for this one, empty) then estimates a few rows here, not half the table.
        Index("ix_complaints_to_report_back", "status", "report_back_due_on", "received_at", "id",
              sqlite_where=text(TO_REPORT_BACK), postgresql_where=text(TO_REPORT_BACK)),
        Index("ix_complaints_received", "received_at", "id"),
        # integrity last: a head's history is counted from this index alone (visible() leaves the discipline
        # office's complaints out), without reading each complaint.
        Index("ix_complaints_department_received", "department_id", "received_at", "id", "integrity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    tracking_code_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(enum_column(State, "complaint_status"), index=True)
    # Optimistic locking: SQLAlchemy adds "AND version = ?" to every UPDATE and raises if it matched
    # nothing, and forms carry the version the person saw.
    version: Mapped[int] = mapped_column(Integer, default=1)

    # How and when it arrived
    channel: Mapped[str] = mapped_column(enum_column(Channel, "complaint_channel"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # Who is complaining
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    complainant_name: Mapped[str | None] = mapped_column(String(120))
    complainant_relation: Mapped[str | None] = mapped_column(enum_column(ComplainantRelation, "complainant_relation"))
    complainant_phone: Mapped[str | None] = mapped_column(String(40))
    complainant_email: Mapped[str | None] = mapped_column(String(254))
    preferred_reply: Mapped[str | None] = mapped_column(enum_column(ContactMethod, "preferred_reply"))
    wants_written_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    patient_name: Mapped[str | None] = mapped_column(String(120))
    patient_record_number: Mapped[str | None] = mapped_column(String(40))
    # What of a confidential complainant reception disclosed to the department, with their consent.
    disclosed_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    disclosed_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    disclosed_patient: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Reception or the head found that the people the complaint is about cannot be identified (被投诉人不明);
    # the people named are rows of complaint_people (people.py).
    people_not_identified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # What happened
    incident_on: Mapped[date | None] = mapped_column(Date)
    subject_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    subject_ward: Mapped[str | None] = mapped_column(String(120))
    what_happened: Mapped[str] = mapped_column(Text)
    desired_outcome: Mapped[str | None] = mapped_column(Text)

    # Triage
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    severity: Mapped[str] = mapped_column(enum_column(Severity, "complaint_severity"), default=Severity.minor.value)
    complexity: Mapped[str] = mapped_column(enum_column(Complexity, "complaint_complexity"),
                                            default=Complexity.simple.value)
    # An integrity complaint (医德医风: a red envelope, a kickback, misconduct), marked by reception or by its
    # category: the discipline office handles it in place of the department's head, and the department it
    # accuses never sees it (permissions.py). Once marked it stays so: the department has lost sight of it.
    integrity: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    # About the head of the department that would handle it (a conflict of interest): that head may neither
    # investigate it nor sign it off, so it goes the integrity route, to the discipline office.
    about_head: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    triaged_at = mapped_column(UTCDateTime)
    acknowledged_at = mapped_column(UTCDateTime)
    acknowledged_via: Mapped[str | None] = mapped_column(enum_column(ContactMethod, "acknowledged_via"))
    # Each clock records whether it was met by its stored due date, when it was met (for the reports).
    acknowledged_on_time: Mapped[bool | None] = mapped_column(Boolean)

    # Assignment and deadlines (hospital dates; stored when set, moved only by an extension)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assigned_at = mapped_column(UTCDateTime)
    sent_back_at = mapped_column(UTCDateTime)
    # The member of the department's staff its head handed the investigation to (科室经办人), if any: they
    # see it and do the investigation's work; the head still signs off.
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    acknowledge_due_on: Mapped[date | None] = mapped_column(Date)  # None: anonymous, nobody to tell
    response_due_on: Mapped[date] = mapped_column(Date)
    follow_up_due_on: Mapped[date | None] = mapped_column(Date)
    # The due moment of a clock counted in hours (deadlines.policy.Due); None: a working-day clock, due by the
    # end of its *_due_on day. Set with the date, cleared when a date alone replaces it (an extension).
    acknowledge_due_at = mapped_column(UTCDateTime)
    response_due_at = mapped_column(UTCDateTime)
    follow_up_due_at = mapped_column(UTCDateTime)
    # Off the office's clocks since this day: the complainant took it further, a medical dispute (disputes.py).
    # Its due dates stand, but none of them is overdue any more, nor escalated, nor reminded of.
    disputed_since: Mapped[date | None] = mapped_column(Date)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)

    # Investigation
    findings: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(Text)
    responsibility: Mapped[str | None] = mapped_column(enum_column(Responsibility, "responsibility"))
    remedy: Mapped[str | None] = mapped_column(Text)
    corrective_actions: Mapped[str | None] = mapped_column(Text)
    findings_recorded_at = mapped_column(UTCDateTime)

    # Sign-off (签字认可) and approval
    response_text: Mapped[str | None] = mapped_column(Text)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_at = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at = mapped_column(UTCDateTime)

    # Response given to the complainant: what they were told (beside response_text, the signed-off text)
    told_text: Mapped[str | None] = mapped_column(Text)
    responded_at = mapped_column(UTCDateTime)
    responded_on: Mapped[date | None] = mapped_column(Date)
    response_method: Mapped[str | None] = mapped_column(enum_column(ContactMethod, "response_method"))
    responded_on_time: Mapped[bool | None] = mapped_column(Boolean)

    # Follow-up (回访)
    followed_up_at = mapped_column(UTCDateTime)
    follow_up_method: Mapped[str | None] = mapped_column(enum_column(ContactMethod, "follow_up_method"))
    followed_up_on_time: Mapped[bool | None] = mapped_column(Boolean)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    follow_up_comment: Mapped[str | None] = mapped_column(Text)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)

    # A referral (转办件) by 12320, 12345, the health commission or another agency: who referred it, their
    # case number and the date they want the reply by (the response clock keeps the earlier of theirs and
    # the hospital's: actions/referral.py). Then, once the complainant is answered, the report back to them
    # (办结反馈), due by their date, or without one by the policy's report-back clock from the answer.
    referral_body_id: Mapped[int | None] = mapped_column(ForeignKey("referring_bodies.id"))
    referral_case_number: Mapped[str | None] = mapped_column(String(60))
    referral_reply_by: Mapped[date | None] = mapped_column(Date)
    report_back_due_on: Mapped[date | None] = mapped_column(Date)
    reported_back_at = mapped_column(UTCDateTime)
    reported_back_on: Mapped[date | None] = mapped_column(Date)
    report_back_method: Mapped[str | None] = mapped_column(enum_column(ReportBackMethod, "report_back_method"))
    report_back_text: Mapped[str | None] = mapped_column(Text)
    reported_back_on_time: Mapped[bool | None] = mapped_column(Boolean)

    decline_reason: Mapped[str | None] = mapped_column(Text)
    # Not accepted because it is the same matter as an earlier open complaint, handled there.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    closed_at = mapped_column(UTCDateTime)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    subject_department: Mapped[Department | None] = relationship(foreign_keys=[subject_department_id])
    category: Mapped[Category | None] = relationship()
    referral_body: Mapped[ReferringBody | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    duplicate_of: Mapped[Complaint | None] = relationship(remote_side="Complaint.id", foreign_keys=[duplicate_of_id])
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id", cascade="save-update, merge",
        lazy="select",
    )
    # Every answer and every follow-up, in order: a reopening adds a round, it never overwrites one.
    answers: Mapped[list[ComplaintAnswer]] = relationship(
        order_by="ComplaintAnswer.round", cascade="save-update, merge", lazy="select")
    follow_ups: Mapped[list[ComplaintFollowUp]] = relationship(
        order_by="ComplaintFollowUp.round", cascade="save-update, merge", lazy="select")
    # The reply letter of each answer given in writing.
    letters: Mapped[list[ComplaintLetter]] = relationship(
        order_by="ComplaintLetter.round", cascade="save-update, merge", lazy="select")

    @property
    def state(self) -> State:
        # A dict lookup rather than the enum's call (its lookup by value): a queue page asks a thousand times.
        state = _STATE_OF.get(self.status)
        return state if state is not None else State(self.status)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    def handled_by(self, user: User | None) -> bool:
        """Whether `user` is a current member of this complaint's department's staff, who may handle it."""
        return (user is not None and bool(user.active) and user.role == Role.staff.value
                and self.department_id is not None and user.department_id == self.department_id)

    @property
    def current_handler(self) -> User | None:
        """The handler as the page names them: only while they are a current member of the department's staff
        (a closed complaint keeps the handler of its record; deactivated or moved since, they are named on its
        timeline only)."""
        handler = self.handler if self.handler_id is not None else None
        return handler if self.handled_by(handler) else None

    @property
    def is_major(self) -> bool:
        return self.severity == Severity.major

    @hybrid_property
    def due_on(self) -> date | None:
        """The next obligation's date: response until responded, then the follow-up."""
        if self.status in (State.responded,):
            return self.follow_up_due_on
        if self.status in TERMINAL:
            return None
        return self.response_due_on

    @due_on.inplace.expression
    @classmethod
    def _due_on_expression(cls):
        return case(
            (cls.status == State.responded.value, cls.follow_up_due_on),
            (cls.status.in_([s.value for s in TERMINAL]), literal(None, Date)),
            else_=cls.response_due_on,
        )

    @hybrid_property
    def due_at(self) -> datetime | None:
        """The next obligation's moment, when it is counted in hours (see due_on)."""
        if self.status in (State.responded,):
            return self.follow_up_due_at
        if self.status in TERMINAL:
            return None
        return self.response_due_at

    @due_at.inplace.expression
    @classmethod
    def _due_at_expression(cls):
        return case(
            (cls.status == State.responded.value, cls.follow_up_due_at),
            (cls.status.in_([s.value for s in TERMINAL]), literal(None, UTCDateTime)),
            else_=cls.response_due_at,
        )

    def set_due(self, clock: str, due) -> None:
        """Store a clock's due date and moment (a deadlines.policy.Due, a plain date, or None: no clock)."""
        on_column, at_column = CLOCK_COLUMNS[clock]
        setattr(self, on_column, getattr(due, "on", due))
        setattr(self, at_column, getattr(due, "at", None))

    @staticmethod
    def _late(on_column, at_column, on: date, moment: datetime):
        return or_(and_(at_column.is_not(None), at_column < moment), and_(at_column.is_(None), on_column < on))

    @classmethod
    def clock_late(cls, clock: str, on: date):
        """One clock ("acknowledge", "response", "follow_up") past its due moment on day `on` (see past_due)."""
        on_column, at_column = (getattr(cls, name) for name in CLOCK_COLUMNS[clock])
        return cls._late(on_column, at_column, on, _moment(on))

    @classmethod
    def open_clause(cls):
        """Open: the values written into the statement, so that the open-work index is used (OPEN_WORK)."""
        return cls.status.in_(bindparam("open_states", sorted(s.value for s in OPEN), expanding=True,
                                        literal_execute=True, unique=True))

    @classmethod
    def to_report_back_clause(cls):
        """The referrals still to report back (to_report_back, in SQL), said as ix_complaints_to_report_back's
        own condition is, so that both databases read that index rather than every closed complaint."""
        return and_(cls.referral_body_id.is_not(None), cls.reported_back_at.is_(None),
                    cls.status.in_(bindparam("to_report_back_states", sorted(s.value for s in TO_REPORT_BACK_STATES),
                                             expanding=True, literal_execute=True, unique=True)))

    @classmethod
    def overdue_clause(cls, on: date, acknowledgement: bool = True):
        """Open and past a deadline: the response or follow-up, and (unless told not to) acknowledgement,
        which is reception's clock rather than the department's."""
        return and_(cls.open_clause(), cls.late_clause(on, acknowledgement))

    @classmethod
    def late_clause(cls, on: date, acknowledgement: bool = True):
        """Of open complaints, those overdue_clause() says are overdue (for where the rows are open already)."""
        moment = _moment(on)
        late = cls._late(cls.due_on, cls.due_at, on, moment)
        if acknowledgement:
            late = or_(late, and_(cls.acknowledged_at.is_(None),
                                  cls._late(cls.acknowledge_due_on, cls.acknowledge_due_at, on, moment)))
        return and_(cls.on_the_clocks(), late)

    @classmethod
    def on_the_clocks(cls):
        """Not taken further as a medical dispute: a disputed complaint is on none of the office's clocks."""
        return cls.disputed_since.is_(None)

    def late_clock(self, now: datetime | None = None) -> str | None:
        """Which running clock is past its due moment, if any: "acknowledge", "response" or "follow_up"."""
        now = now or utcnow()
        if not self.is_open or self.disputed_since is not None:
            return None
        if self.acknowledged_at is None and past_due(self.acknowledge_due_on, self.acknowledge_due_at, now):
            return "acknowledge"
        if past_due(self.due_on, self.due_at, now):
            return "follow_up" if self.state == State.responded else "response"
        return None

    def next_clock(self) -> tuple[str, date] | None:
        """The running clock due first and its date: ("acknowledge", …) while the complainant is not yet told
        their complaint was received and that falls first, else ("response" or "follow_up", due_on). None
        once it is a medical dispute: off the office's clocks."""
        if not self.is_open or self.disputed_since is not None:
            return None
        due = self.due_on
        acknowledge = self.acknowledge_due_on if self.acknowledged_at is None else None
        if acknowledge is not None and (due is None or acknowledge <= due):
            return "acknowledge", acknowledge
        if due is None:
            return None
        return ("follow_up" if self.state == State.responded else "response"), due

    @property
    def is_referral(self) -> bool:
        return self.referral_body_id is not None

    @property
    def to_report_back(self) -> bool:
        """A referral answered (responded or closed) and not yet reported back to the body that referred it."""
        return (self.is_referral and self.reported_back_at is None
                and self.status in (State.responded.value, State.closed.value))

    def report_back_late(self, on: date | None = None) -> bool:
        """Still to report back and past its date (or reported back after it)."""
        if self.reported_back_at is not None:
            return self.reported_back_on_time is False
        return self.to_report_back and self.report_back_due_on is not None and self.report_back_due_on < (on or today())

    def response_governed_by_referral(self) -> bool:
        """Whether the response's due date is the referring body's reply-by date (theirs falls first)."""
        return (self.referral_reply_by is not None and self.response_due_at is None
                and self.response_due_on == self.referral_reply_by)

    def complainant_holds_code(self) -> bool:
        """Whether the complainant was given a tracking code already: on the online form's confirmation,
        or on an earlier printed receipt (a receipt replaces it)."""
        return self.channel == Channel.online or any(
            (e.data or {}).get("system") == "new_tracking_code" for e in self.events)

    def deadline_status(self) -> str | None:
        """'overdue', 'due_soon' (due today or the next working day) or None, for badges.

        Worked out from the stored due dates and today, so it is right whether or not the sweep has run."""
        return self.deadline()[0]

    def deadline(self) -> tuple[str | None, str | None]:
        """deadline_status() with what its badge says, worked out at once (a queue page asks for fifty rows):
        ("overdue", the late clock), ("due_soon", "today" or "soon", or "acknowledge_today" or
        "acknowledge_soon" when the acknowledgement falls first), or (None, None)."""
        if not self.is_open:
            return None, None
        now = today()
        late = self.late_clock()
        if late:
            return "overdue", late
        first = self.next_clock()
        if first is not None and first[1] <= next_working_day(now):
            when = "today" if first[1] == now else "soon"
            return "due_soon", f"acknowledge_{when}" if first[0] == "acknowledge" else when
        return None, None

    def about(self) -> About:
        """The plain values a notification about this complaint may say (notifications know no complaints)."""
        complainant = None if self.anonymous else Complainant(
            email=self.complainant_email, phone=self.complainant_phone, wants_sms=self.preferred_reply == "sms",
            language=self.language or "zh")
        return About(
            complaint_id=self.id, reference=self.reference, state_label=self.state.spec.label, due_on=self.due_on,
            # By id: the relationship is not refreshed when an action has just changed department_id.
            department=db.session.get(Department, self.department_id) if self.department_id else None,
            with_department=self.state in WITH_DEPARTMENT,
            escalation_level=self.escalation_level, response_text=self.told_text, complainant=complainant,
            state=self.state.value, integrity=bool(self.integrity), handler_id=self.handler_id)

    def __repr__(self) -> str:
        return f"<Complaint {self.reference} {self.status}>"


class ComplaintAnswer(db.Model):
    """One answer given (or, for an anonymous complaint, the office's conclusion recorded), as it was then:
    round 1 is the first answer, round 2 the answer after the first reopening, and so on. Written by the
    step that answers, never changed; the chain vouches for it (audit.py)."""

    __tablename__ = "complaint_answers"
    __table_args__ = (
        UniqueConstraint("complaint_id", "round", name="one_answer_a_round"),
        CheckConstraint("round >= 1", name="answer_round_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    response_text: Mapped[str | None] = mapped_column(Text)  # as signed off
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What the complainant was told; for an anonymous complaint (no method), the office's conclusion.
    told_text: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(enum_column(ContactMethod, "answer_method"))
    responded_on: Mapped[date | None] = mapped_column(Date)  # the date told
    sent_at = mapped_column(UTCDateTime)  # when it was recorded
    due_on: Mapped[date | None] = mapped_column(Date)  # the response due date at that moment (as extended)
    on_time: Mapped[bool | None] = mapped_column(Boolean)

    signed_off_by: Mapped[User | None] = relationship()


class ComplaintFollowUp(db.Model):
    """One follow-up (回访), as it was then: round 1 the follow-up of the first answer, and so on."""

    __tablename__ = "complaint_follow_ups"
    __table_args__ = (
        UniqueConstraint("complaint_id", "round", name="one_follow_up_a_round"),
        CheckConstraint("round >= 1", name="follow_up_round_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    method: Mapped[str | None] = mapped_column(enum_column(ContactMethod, "follow_up_round_method"))
    satisfied: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    at = mapped_column(UTCDateTime)
    due_on: Mapped[date | None] = mapped_column(Date)
    on_time: Mapped[bool | None] = mapped_column(Boolean)


class ComplaintLetter(db.Model):
    """The reply letter (答复函) of a written answer, as it was sent: the whole text, rendered once from the
    template of its language as it stood then, so a later edit of the template leaves it as it is. One a
    round (a reopening answered in writing again adds the next); never changed (a trigger refuses an
    UPDATE), and the chain vouches for it (audit.py)."""

    __tablename__ = "complaint_letters"
    __table_args__ = (
        UniqueConstraint("complaint_id", "round", name="one_letter_a_round"),
        CheckConstraint("round >= 1", name="letter_round_positive"),
        CheckConstraint("language IN ('zh', 'en')", name="letter_language_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("complaint_answers.id"), unique=True)
    round: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    # The name it is addressed to, as printed in it: hidden where the reader may not see the name.
    addressed_to: Mapped[str | None] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    template_version: Mapped[int] = mapped_column(Integer)  # 0: the built-in default of its language
    template_digest: Mapped[str] = mapped_column(String(64))  # sha256 of the template's text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    answer: Mapped[ComplaintAnswer] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p.strip()]


class ComplaintEvent(db.Model):
    """The timeline: one immutable row per action. Never updated, never deleted."""

    __tablename__ = "complaint_events"
    # The analysis counts a period's events of a few kinds (escalations, approvals…): read by kind and moment.
    __table_args__ = (Index("ix_complaint_events_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the public or the system
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # sha256 of the event and of the one before it on the same complaint (complaints/audit.py).
    hash: Mapped[str | None] = mapped_column(String(64))
    # {column: digest} of the complaint's facts the event changed, hashed with it (audit.changed_facts).
    facts: Mapped[dict | None] = mapped_column(JSON)

    complaint: Mapped[Complaint] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
