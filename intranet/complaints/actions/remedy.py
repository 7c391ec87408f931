"""The remedy offered the complainant (补救措施: an apology, an explanation, a refund, a fee waiver,
compensation), with its amount where money is paid: proposed or withdrawn while the department
investigates, approved or refused by leadership when above the hospital's threshold, and its payment
recorded once. The rows are in `remedies.py`; the threshold is the administrator's (core.hospital)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from ...core.extensions import db
from ...core.forms import STRIPPED, Length, int_or_none, optional_choice, required
from ...core.hospital import hospital
from ...core.money import NotAnAmount, parse_yuan, yuan
from ...core.time import today, utcnow
from ..forms import ActionForm, reason_field
from ..notices import READY_TO_TELL, REMEDY_APPROVED, REMEDY_REFUSED, REMEDY_TO_APPROVE
from ..remedies import (
    REFERENCE_LENGTH,
    WITH_AMOUNT,
    WITHOUT_AMOUNT,
    ComplaintRemedy,
    RemedyKind,
    RemedyStatus,
    remedy_of,
    waiting,
)
from ..spec import HIDDEN, ActionInvalid, ActionSpec, Decider, Notice, Shown
from ..states import OPEN, State
from ._shared import COMMENT, HEAD, LEADERSHIP, REASON, RECEPTION

NUMBER = "remedy_number"  # which remedy of the complaint an event is about (its number on the complaint)
KIND = Shown(_l("Kind of remedy"), RemedyKind)
AMOUNT = Shown(_l("Amount"))
# How a later event names the remedy it is about: its kind (read in the reader's words) and amount.
REMEDY = {"kind": KIND, "amount": AMOUNT, NUMBER: HIDDEN}


def _named(remedy: ComplaintRemedy) -> dict:
    return {"kind": remedy.kind, "amount": yuan(remedy.amount_fen) if remedy.amount_fen is not None else None,
            NUMBER: remedy.number}


def _amount(text) -> int | None:
    try:
        return parse_yuan(text)
    except NotAnAmount as problem:
        raise ActionInvalid({"amount": str(problem.args[0])}) from None


def _choose(form, complaint, which) -> None:
    form.remedy_number.choices = optional_choice(
        lambda: [SelectChoice(str(r.number), r.name()) for r in complaint.remedies if which(r)])()


def _chosen(complaint, data: dict, which) -> ComplaintRemedy:
    remedy = remedy_of(complaint, data.get(NUMBER))
    if remedy is None or not which(remedy):
        raise ActionInvalid({NUMBER: str(_l("Choose one of the remedies listed."))})
    return remedy


def _only(which):
    """The form offers the one remedy it applies to already chosen, when there is only one."""
    def prefill(complaint) -> dict:
        candidates = [r.number for r in complaint.remedies if which(r)]
        return {NUMBER: candidates[0]} if len(candidates) == 1 else {}
    return prefill


def remedy_field():
    # The choices are this complaint's remedies the step applies to (fit_form); the step's rule checks the one
    # chosen, so a stale page or an example is checked there.
    return SelectField(_l("Remedy"), coerce=int_or_none, choices=[], validate_choice=False,
                       validators=[required(_l("Choose the remedy."))])


# --- propose a remedy ------------------------------------------------------------------------------------


class ProposeRemedyForm(ActionForm):
    kind = SelectField(_l("Kind of remedy"), choices=optional_choice(RemedyKind.choices),
                       validators=[required(_l("Choose the kind of remedy."))])
    # Its hint, with the threshold of the day, is set by fit().
    amount = StringField(_l("Amount (yuan)"), filters=STRIPPED, render_kw={"inputmode": "decimal"})
    description = TextAreaField(_l("What is offered"), filters=STRIPPED, validators=[Length(max=5000)])

    def fit(self) -> None:
        """The amount's hint names the hospital's threshold of the day: whoever proposes knows, before typing
        it, whether leadership will have to approve."""
        self.amount.description = _l("For a refund, a fee waiver or compensation, e.g. 5000 or 5,000.50. None for "
                                     "an apology or an explanation. Above %(threshold)s, leadership approves it "
                                     "before the answer goes out.", threshold=yuan(hospital().remedy_threshold_fen))

    def validate_amount(self, field):
        try:
            parse_yuan(field.data)
        except NotAnAmount as problem:
            raise ValidationError(str(problem.args[0])) from None


def _propose(c, user, data: dict) -> dict:
    kind = RemedyKind(data["kind"])
    amount = _amount(data.get("amount"))
    if kind in WITH_AMOUNT and not amount:
        raise ActionInvalid({"amount": str(_l("Enter the amount, above zero."))})
    if kind in WITHOUT_AMOUNT and amount is not None:
        raise ActionInvalid({"amount": str(_l("An apology or an explanation has no amount: leave it empty."))})
    if kind == RemedyKind.other and not data.get("description"):
        raise ActionInvalid({"description": str(_l("Say what is offered."))})
    threshold = hospital().remedy_threshold_fen
    needs_approval = amount is not None and amount > threshold
    with db.session.no_autoflush:  # the complaint is written once, by perform()
        number = max((r.number for r in c.remedies), default=0) + 1
        c.remedies.append(ComplaintRemedy(
            number=number, kind=kind.value, amount_fen=amount, description=data.get("description") or None,
            needs_approval=needs_approval, threshold_fen=threshold if amount is not None else None,
            proposed_by_id=user.id, proposed_at=utcnow()))
    return {"kind": kind.value, "amount": yuan(amount) if amount is not None else None,
            "description": data.get("description") or None,
            "needs_approval": needs_approval or None, "threshold": yuan(threshold) if needs_approval else None,
            NUMBER: number}


propose_remedy = ActionSpec(
    "propose_remedy", _l("Propose a remedy"), roles=frozenset({HEAD, RECEPTION}),
    sources=frozenset({State.investigating}), target=None,
    records="kind, amount in yuan, what is offered; whether it needs leadership's approval",
    form=ProposeRemedyForm, apply=_propose, fit_form=lambda form, c, user: form.fit(),
    notices=(Notice(REMEDY_TO_APPROVE, recorded="needs_approval"),),
    timeline={"kind": KIND, "amount": AMOUNT,
              "description": Shown(_l("What is offered")),
              "needs_approval": Shown(_l("Above the amount leadership approves"), "bool"),
              "threshold": Shown(_l("Leadership approves above")), NUMBER: Shown(_l("Remedy number"))},
    example=lambda ex: {"kind": "refund", "amount": "380", "description": "The fee for the missed scan."},
)


# --- withdraw a proposal ------------------------------------------------------------------------------------


def _withdrawable(r: ComplaintRemedy) -> bool:
    return r.status in (RemedyStatus.proposed, RemedyStatus.waiting, RemedyStatus.approved)


def _any(which):
    return lambda c: any(which(r) for r in c.remedies)


class WithdrawRemedyForm(ActionForm):
    remedy_number = remedy_field()
    reason = reason_field(_l("Why it is withdrawn"))


def _withdraw(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        remedy = _chosen(c, data, _withdrawable)
        remedy.withdrawn_at = utcnow()
        return {**_named(remedy), "reason": data["reason"]}


withdraw_remedy = ActionSpec(
    "withdraw_remedy", _l("Withdraw a remedy"), roles=frozenset({HEAD, RECEPTION}),
    sources=frozenset({State.investigating}), target=None, only_when=_any(_withdrawable),
    records="the remedy withdrawn and why", form=WithdrawRemedyForm, apply=_withdraw, prefill=_only(_withdrawable),
    fit_form=lambda form, c, user: _choose(form, c, _withdrawable),
    timeline={**REMEDY, "reason": REASON},
    example_complaint={"remedy": {"kind": "apology"}},
    example=lambda ex: {"remedy_number": 1, "reason": "The complainant asked for none."},
)


# --- leadership approves or refuses one above the threshold ---------------------------------------------------


def _waits(r: ComplaintRemedy) -> bool:
    return r.status == RemedyStatus.waiting


class ApproveRemedyForm(ActionForm):
    remedy_number = remedy_field()
    comment = TextAreaField(_l("Comment"), filters=STRIPPED, validators=[Length(max=5000)])


def _approve(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        remedy = _chosen(c, data, _waits)
        remedy.approved, remedy.decided_by_id, remedy.decided_at = True, user.id, utcnow()
        return {**_named(remedy), "comment": data.get("comment")}


def _after_approval(c, data: dict) -> State | None:
    # A response that waited for this remedy alone (not a major complaint's) may now go out.
    if c.state == State.awaiting_approval and not c.is_major and not waiting(c):
        return State.signed_off
    return None


approve_remedy = ActionSpec(
    "approve_remedy", _l("Approve a remedy"), roles=frozenset({LEADERSHIP}),
    sources=frozenset({State.investigating, State.awaiting_approval}),
    target=Decider(_after_approval, outcomes=frozenset({State.signed_off}), keeps=True,
                   reached_from={State.signed_off: frozenset({State.awaiting_approval})}),
    # Not a primary step: the planner's way on from awaiting_approval is the response's approval.
    only_when=_any(_waits),
    records="the remedy approved; comment", form=ApproveRemedyForm, apply=_approve, prefill=_only(_waits),
    fit_form=lambda form, c, user: _choose(form, c, _waits),
    done=lambda c: not waiting(c),
    notices=(Notice(REMEDY_APPROVED), READY_TO_TELL),
    timeline={**REMEDY, "comment": COMMENT},
    example_complaint={"remedy": {"kind": "compensation", "amount": "5000"}},
    example=lambda ex: {"remedy_number": 1, "comment": "Agreed: the delay caused a second admission."},
)


class RefuseRemedyForm(ActionForm):
    remedy_number = remedy_field()
    comment = reason_field(_l("Why it is refused"))


def _refuse(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        remedy = _chosen(c, data, _waits)
        remedy.approved, remedy.decided_by_id, remedy.decided_at = False, user.id, utcnow()
        if c.state == State.awaiting_approval:
            # The response offered it: the department says something else, and signs off again.
            c.signed_off_at = c.signed_off_by_id = None
        return {**_named(remedy), "comment": data["comment"]}


refuse_remedy = ActionSpec(
    "refuse_remedy", _l("Refuse a remedy"), roles=frozenset({LEADERSHIP}),
    sources=frozenset({State.investigating, State.awaiting_approval}),
    target=Decider(lambda c, data: State.investigating if c.state == State.awaiting_approval else None,
                   outcomes=frozenset({State.investigating}), keeps=True,
                   reached_from={State.investigating: frozenset({State.awaiting_approval})}),
    only_when=_any(_waits), records="the remedy refused and why; a signed-off response goes back to the department",
    form=RefuseRemedyForm, apply=_refuse, prefill=_only(_waits),
    fit_form=lambda form, c, user: _choose(form, c, _waits),
    notices=(Notice(REMEDY_REFUSED),),
    timeline={**REMEDY, "comment": COMMENT},
    example_complaint={"remedy": {"kind": "compensation", "amount": "5000"}},
    example=lambda ex: {"remedy_number": 1, "comment": "Offer a fee waiver instead."},
)


# --- record the payment ---------------------------------------------------------------------------------


def _payable(r: ComplaintRemedy) -> bool:
    return r.payable


class RecordPaymentForm(ActionForm):
    remedy_number = remedy_field()
    paid_on = DateField(_l("Paid on"), validators=[InputRequired(message=_l("Enter the date."))])
    payment_reference = StringField(_l("Payment reference"), filters=STRIPPED,
                                    validators=[required(), Length(max=REFERENCE_LENGTH)],
                                    description=_l("The receipt, voucher or transfer number."))


def _record_payment(c, user, data: dict) -> dict:
    with db.session.no_autoflush:
        remedy = _chosen(c, data, _payable)
        if data["paid_on"] > today():
            raise ActionInvalid({"paid_on": str(_l("The date cannot be in the future."))})
        remedy.paid_on, remedy.paid_by_id = data["paid_on"], user.id
        remedy.payment_reference = data["payment_reference"]
        return {**_named(remedy), "paid_on": data["paid_on"], "payment_reference": data["payment_reference"]}


record_remedy_payment = ActionSpec(
    "record_remedy_payment", _l("Record a remedy's payment"), roles=frozenset({RECEPTION}),
    # Paid first, settled after (先行赔付): whenever the money goes, once it may.
    sources=(OPEN - {State.submitted, State.registered, State.assigned}) | {State.closed}, target=None,
    only_when=_any(_payable), records="when it was paid, the payment's reference; who recorded it",
    form=RecordPaymentForm, apply=_record_payment, prefill=lambda c: {**_only(_payable)(c), "paid_on": today()},
    fit_form=lambda form, c, user: _choose(form, c, _payable),
    timeline={**REMEDY, "paid_on": Shown(_l("Paid on"), "date"),
              "payment_reference": Shown(_l("Payment reference"))},
    example_complaint={"remedy": {"kind": "refund", "amount": "380"}},
    example=lambda ex: {"remedy_number": 1, "paid_on": today(), "payment_reference": "CW-2026-0412"},
)
