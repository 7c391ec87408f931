"""The demo's stories: every choice drawn from one random.Random, before anything is written.

What each complaint says and what the hospital answers comes from the data files beside this module
(`data/*.json`). The way each complaint goes through the lifecycle comes from the lifecycle table itself:
`lifecycle.path_to()` finds the next steps to the state the complaint is to end in, and the story takes a
few detours on the way that real complaints take (sent back by the wrong department, returned by
leadership, reopened by an unsatisfied complainant, resolved on the spot), each a row of the table, after
which the planner finds the way again from wherever the detour led. Nothing here lists a path by hand.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from ..complaints import lifecycle
from ..complaints.lifecycle import SPECS, Action, State
from ..core.departments import Category, Department
from ..core.time import local

DATA = Path(__file__).parent / "data"


def _load(name: str) -> dict:
    with open(DATA / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


HOSPITAL = _load("hospital")
SCENARIOS = _load("scenarios")
TEXTS = _load("texts")
PLAN = _load("plan")

TARGETS = {State(k): v for k, v in PLAN["targets"].items()}
AGE_DAYS = {State(k): tuple(v) for k, v in PLAN["age_days"].items()}
GAPS = {Action(k): tuple(v) for k, v in PLAN["gaps_hours"].items()}
CHANNELS = PLAN["channels"]
OFFICE_CHANNELS = set(PLAN["office_channels"])
CHANCES = PLAN["chances"]
REPORTED_BACK = 0.4  # of the referrals answered lately: the rest wait in reception's queue
REPORTED_BACK_ALL_AFTER_DAYS = 21  # those received longer ago than this have all been reported back
SURNAMES, GIVEN = HOSPITAL["surnames"], HOSPITAL["given"]
EN_NAMES, EN_GIVEN = HOSPITAL["en_names"], HOSPITAL["en_given"]
PHONE_PREFIXES = HOSPITAL["phone_prefixes"]
# Who refers complaints (转办单位), how a referred complaint's text names them, and their case numbers' pattern.
REFERRING_BODIES = {body["code"]: body for body in HOSPITAL["referring_bodies"]}


@dataclass
class Step:
    action: Action
    actor: str  # "reception", "leadership", or "head" (of the complaint's department at the time)
    data: dict
    gap: tuple[float, float]


@dataclass
class Plan:
    target: State
    public: bool
    received_at: datetime
    data: dict
    steps: list[Step] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _date_text(day, lang: str) -> str:
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {months[day.month - 1]}"


def case_number(code: str, rng: random.Random, year: int) -> str:
    """A case number as the referring body writes it (its pattern in hospital.json)."""
    pattern = REFERRING_BODIES[code]["case_number"]
    return pattern["format"].format(year=year, n=rng.randint(1, pattern["most"]))


def _phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))


def _at_office_hours(moment: datetime, minute: int, now: datetime) -> datetime:
    """The same hospital day between 8:00 and 18:00 on a weekday, not later than an hour ago."""
    loc = local(moment)
    hour = 8 + minute // 60 % 10
    loc = loc.replace(hour=hour, minute=minute % 60, second=0, microsecond=0)
    while loc.weekday() >= 5 or loc > local(now - timedelta(hours=1)):
        loc -= timedelta(days=1)
    return loc.astimezone(UTC)


def _snap_to_working_hours(moment: datetime, minute: int, last_hour: int, weekdays_only: bool) -> datetime:
    """The next moment from `moment` between 8:00 and `last_hour`:00 (on a weekday if asked)."""
    loc = local(moment)
    if loc.hour < 8:
        loc = loc.replace(hour=8, minute=minute % 60)
    elif loc.hour >= last_hour:
        loc = (loc + timedelta(days=1)).replace(hour=8, minute=minute % 60)
    while weekdays_only and loc.weekday() >= 5:
        loc = (loc + timedelta(days=1)).replace(hour=8, minute=minute % 60)
    return loc.astimezone(UTC)



class Planner:
    def __init__(self, rng: random.Random, now: datetime, departments: dict[str, Department],
                 categories: dict[str, Category], referrers: dict[str, int] | None = None):
        self.rng = rng
        self.now = now
        self.departments = departments
        self.categories = categories
        self.referrers = referrers or {}

    def complainant(self, lang: str, relation: str, anonymous: bool, channel: str) -> dict:
        rng = self.rng
        if lang == "zh":
            surname = rng.choice(SURNAMES)
            full = surname + rng.choice(GIVEN)
            name = full if rng.random() < 0.6 else surname + rng.choice(["先生", "女士"])
            patient = full if relation == "patient" else rng.choice(SURNAMES) + rng.choice(GIVEN)
            email = f"patient{rng.randint(100, 999)}@example.cn" if channel == "email" or rng.random() < 0.1 else None
        else:
            name = rng.choice(EN_NAMES)
            patient = name if relation == "patient" else f"{rng.choice(EN_GIVEN)} {name.split()[-1]}"
            local_part = name.lower().replace(" ", ".").replace("'", "")
            email = f"{local_part}@example.com" if channel in ("email", "online") or rng.random() < 0.5 else None
        phone = _phone(rng)
        if anonymous:
            return {"anonymous": True, "complainant_relation": relation}
        data = {"complainant_name": name, "complainant_relation": relation, "complainant_phone": phone,
                "patient_name": patient}
        if email:
            data["complainant_email"] = email
        return data

    def plan(self, target: State) -> Plan:
        # Each piece draws its own numbers in turn: their order is the order of the draws, which keeps the
        # demo the same from one fresh database to the next.
        declined = target == State.not_accepted
        scenario = self.rng.choice(SCENARIOS["declines"] if declined else SCENARIOS["scenarios"])
        texts = TEXTS[scenario["lang"]]
        channel, spot = self._channel(target, scenario)
        age, received_at = self._arrival(target, channel)
        data, text = self._complaint(target, scenario, channel, received_at)
        plan = Plan(target=target, public=channel == "online", received_at=received_at, data=data)
        severity, complexity = self._severity_and_complexity(target, scenario)
        self._triage_at_log(plan, scenario, channel, spot, severity, complexity)
        self._story(plan, scenario, text, texts, severity, complexity, age, spot)
        self._insert_notes(plan, texts)
        self._schedule(plan)
        return plan

    def _channel(self, target: State, scenario: dict) -> tuple[str, bool]:
        """How it came, and whether it is resolved on the spot.

        A public submission is the online form; anything not yet triaged must be one. What is resolved on
        the spot came by phone or in person."""
        rng = self.rng
        channel = "online" if target == State.submitted else _pick(rng, CHANNELS[scenario["lang"]])
        spot = ("spot" in scenario and target in (State.responded, State.closed, State.registered)
                and rng.random() < CHANCES["spot"])
        if spot:
            channel = rng.choice(["walk_in", "phone"])
        if scenario.get("anonymous"):
            channel = "suggestion_box"
        return channel, spot

    def _arrival(self, target: State, channel: str) -> tuple[float, datetime]:
        """How many days ago it arrived, and when (in office hours for what the office receives)."""
        low, high = AGE_DAYS[target]
        age = self.rng.uniform(low, high)
        minute = self.rng.randint(0, 599)
        received_at = self.now - timedelta(days=age)
        if channel in OFFICE_CHANNELS:
            received_at = _at_office_hours(received_at, minute, self.now)
        return age, received_at

    def _complaint(self, target: State, scenario: dict, channel: str, received_at: datetime) -> tuple[dict, dict]:
        """The complaint's fields as it is made, and the scenario's texts in its own words."""
        rng = self.rng
        lang = scenario["lang"]
        who, relation = self._who(scenario)
        anonymous = self._anonymous(target, scenario, channel)
        confidential = not anonymous and rng.random() < scenario.get("confidential", 0.06)
        incident = local(received_at).date() - timedelta(days=rng.randint(0, 3 if channel != "letter" else 9))
        n = rng.randint(*scenario["n"]) if "n" in scenario else 0
        ward = rng.choice(scenario["wards"]) if "wards" in scenario else ""
        words = {"ward": ward, "date": _date_text(incident, lang), "who": who, "n": n}
        text = {k: v.format(**words) for k, v in scenario.items() if isinstance(v, str)}
        referred = self._referred(text["what"], received_at) if channel == "referral" else {}
        data = {
            "what_happened": self._prefix(channel, lang, referred.pop("_code", None)) + text["what"],
            "desired_outcome": text.get("want"),
            "language": lang,
            "confidential": confidential,
            "anonymous": anonymous,
            "incident_on": incident,
            "subject_ward": ward or None,
            **self.complainant(lang, relation, anonymous, channel),
        }
        subject = scenario.get("subject", scenario.get("dept"))
        if subject:
            data["subject_department_id"] = self.departments[subject].id
        self._record_and_reply(data, ward, anonymous, channel)
        if referred and self.referrers:
            data.update(referred)
        return data, text

    def _who(self, scenario: dict) -> tuple[str, str]:
        """Who the complaint is about in its text ("我", "我母亲"…), and their relation to the patient."""
        if "who" in scenario:
            who = self.rng.choice(scenario["who"])
            return who, "patient" if who.startswith("我") and len(who) == 1 else "family"
        return "", scenario.get("rel") or self.rng.choice(["patient", "family"])

    def _anonymous(self, target: State, scenario: dict, channel: str) -> bool:
        return bool(scenario.get("anonymous")) or (
            channel == "suggestion_box" and target in (State.registered, State.assigned, State.investigating)
            and self.rng.random() < 0.7
        ) or (channel == "online" and target != State.withdrawn and scenario["cat"] in ("ENV", "WAIT", "ATT", "ACCESS")
              and self.rng.random() < 0.15)

    def _prefix(self, channel: str, lang: str, referred_by: str | None = None) -> str:
        """What a referral, a survey or the suggestion box puts before the complainant's own words: a
        referral names the body that referred it."""
        texts = TEXTS[lang]
        if channel == "referral":
            return self.rng.choice(texts["referral"]).format(body=REFERRING_BODIES[referred_by]["in_texts"][lang])
        if channel in ("survey", "suggestion_box"):
            return texts[channel]
        return ""

    def _record_and_reply(self, data: dict, ward: str, anonymous: bool, channel: str) -> None:
        """The patient's record number, how they want the reply, and the channel the office logged."""
        rng = self.rng
        if not anonymous and rng.random() < 0.5:
            data["patient_record_number"] = ("ZY" if ("病区" in ward or "Ward" in ward) else "MZ") + str(
                rng.randint(10_000_000, 99_999_999))
        if not anonymous and rng.random() < 0.35:
            options = ["phone", "sms", "written"] + (["email"] if data.get("complainant_email") else [])
            data["preferred_reply"] = rng.choice(options)
        if channel == "letter" or data.get("preferred_reply") == "written":
            data["wants_written_reply"] = True
        if channel != "online":
            data["channel"] = channel

    def _referred(self, own_words: str, received_at: datetime) -> dict:
        """Who referred it (its code under "_code", for the text to name it), their case number in their
        pattern (one in four sent afterwards, recorded with the referral's details step) and, for half of
        them, a reply-by date four days on, often before the hospital's own. Drawn from a generator of its
        own: the other complaints' stories stay as they were."""
        rng = random.Random(f"referral {own_words}")
        code = rng.choices(list(REFERRING_BODIES), weights=[b["weight"] for b in REFERRING_BODIES.values()])[0]
        referred = {"_code": code, "referral_body_id": self.referrers.get(code)}
        received_on = local(received_at).date()
        if rng.random() < 0.75:
            referred["referral_case_number"] = case_number(code, rng, received_on.year)
        if rng.random() < 0.5:
            referred["referral_reply_by"] = received_on + timedelta(days=4)
        return referred

    def _severity_and_complexity(self, target: State, scenario: dict) -> tuple[str, str]:
        if target == State.not_accepted:
            return "minor", "simple"
        severity = "major" if target == State.awaiting_approval else self.rng.choices(
            ["minor", "serious", "major"], weights=scenario["sev"])[0]
        if target == State.submitted:
            severity = "minor"
        complexity = scenario.get("complexity") or (
            "several_departments" if self.rng.random() < 0.08 else "simple")
        return severity, complexity

    def _triage_at_log(self, plan: Plan, scenario: dict, channel: str, spot: bool, severity: str,
                       complexity: str) -> None:
        """Reception logs what it receives and triages at once when it knows enough (always, on the spot)."""
        if plan.public or plan.target in (State.not_accepted, State.submitted):
            return
        at_log = CHANCES["triaged_at_log_phone_or_walk_in" if channel in ("phone", "walk_in") else "triaged_at_log"]
        if not (spot or self.rng.random() < at_log):
            return
        plan.data.update(category_id=self.categories[scenario["cat"]].id, severity=severity,
                         complexity=complexity)
        if self.rng.random() < CHANCES["acknowledged_at_log"] and not plan.data["anonymous"]:
            plan.data["acknowledged_via"] = self._ack_method(plan)

    def _triage_data(self, scenario, severity, complexity, ack) -> dict:
        data = {"category_id": self.categories[scenario["cat"]].id, "severity": severity, "complexity": complexity}
        if ack:
            data["acknowledged_via"] = ack
        return data

    def _ack_method(self, plan: Plan) -> str:
        if plan.data.get("anonymous"):
            return "online"
        if plan.data.get("channel") == "letter":
            return "written"
        if plan.data.get("channel") == "walk_in":
            return "in_person"
        return self.rng.choice(["phone", "phone", "sms"] + (["email"] if plan.data.get("complainant_email") else []))

    def _insert_notes(self, plan: Plan, texts: dict) -> None:
        rng = self.rng
        count = rng.choices([0, 1, 2], weights=[60, 30, 10])[0]
        for _ in range(count):
            position = rng.randint(0, len(plan.steps))
            actor = rng.choice(["reception", "reception", "leadership"])
            plan.steps.insert(position, Step(Action.note, actor, {"text": rng.choice(texts["note"])},
                                             GAPS[Action.note]))

    def _schedule(self, plan: Plan) -> None:
        """Event times in order after the receipt, heads and leadership in office hours, all before now."""
        rng = self.rng
        # A referral's own steps are timed by a generator of their own: every other story stays as it was.
        own = random.Random(f"referral steps {plan.data.get('what_happened')}")
        t = plan.received_at
        times = []
        for step in plan.steps:
            draw = own if step.action in (Action.record_referral, Action.report_back) else rng
            gap = draw.uniform(*step.gap)
            minute = draw.randint(0, 59)
            t = t + timedelta(hours=gap)
            if step.actor in ("head", "leadership"):  # office hours on weekdays
                t = _snap_to_working_hours(t, minute, 18, weekdays_only=True)
            else:  # the complaints office and the duty officer: long days, every day
                t = _snap_to_working_hours(t, minute, 20, weekdays_only=False)
            times.append(t)
        span_available = self.now - plan.received_at
        margin = min(timedelta(hours=3), span_available * rng.uniform(0.05, 0.3))
        limit = self.now - margin
        if times and times[-1] > limit:
            # Squeeze the whole story into the time there has been: same order, shorter gaps.
            ratio = (limit - plan.received_at) / (times[-1] - plan.received_at)
            times = [plan.received_at + (x - plan.received_at) * ratio for x in times]
        plan.times = times

    # --- the way through the lifecycle ------------------------------------------------------------

    def _story(self, plan: Plan, scenario: dict, text: dict, texts: dict, severity: str, complexity: str,
               age: float, spot: bool) -> None:
        story = Story(self, plan, scenario, text, texts, severity, complexity, age, spot)
        story.walk()
        plan.steps = story.steps


class Story:
    """One complaint's way to its planned end state: the planner's steps, with detours and side actions.

    The state is followed as the complaint would be: each step's outcome is its spec's (a decided target
    is decided by the spec's own decider, on what the story knows of the complaint).
    """

    def __init__(self, planner: Planner, plan: Plan, scenario: dict, text: dict, texts: dict, severity: str,
                 complexity: str, age: float, spot: bool):
        rng = planner.rng
        self.planner, self.plan, self.rng = planner, plan, rng
        self.scenario, self.text, self.texts = scenario, text, texts
        self.severity, self.complexity, self.age = severity, complexity, age
        self.anonymous = bool(plan.data.get("anonymous"))
        self.steps: list[Step] = []
        self.state = State.submitted if plan.public else State.registered
        self.department: str | None = None
        self.taken: set[str] = set()
        self.reply = text.get("reply", "")
        self.rounds = 0  # investigations so far (a second one after a reopening says so)
        # Every draw is made, whatever the story, so each complaint consumes the same random numbers.
        self.draws = {k: rng.random() for k in CHANCES}
        self.pick = {k: rng.choice(v) for k, v in texts.items() if isinstance(v, list)}
        self.pick2 = {k: rng.choice(v) for k, v in texts.items() if isinstance(v, list)}
        self.ack = planner._ack_method(plan)
        wrong = scenario.get("wrong") or rng.choice(["NURS", "OPD", "CARD"])
        if wrong == scenario.get("dept"):
            wrong = "NURS" if scenario.get("dept") != "NURS" else "CARD"
        self.wrong = wrong
        self.extend_days = rng.randint(3, 8)
        written = plan.data.get("wants_written_reply")
        email = ["email"] * 2 if plan.data.get("complainant_email") else []
        self.reply_method = ("written" if written else "online" if self.anonymous
                             else rng.choice(["phone", "phone", "phone", "sms", "in_person"] + email))
        self.follow_method = ("online" if self.anonymous
                              else rng.choice(["phone"] * 7 + ["sms", "in_person", "online"]))
        self.spot_method = "in_person" if plan.data.get("channel") == "walk_in" else "phone"
        self.spot = spot and severity != "major"
        target = plan.target
        if target == State.registered:
            # Only a resolution on the spot that was reopened ends up registered.
            self.spot = self.spot and self.draws["spot_reopen"] < CHANCES["spot_reopen_registered"]
        self.spot_reopen = self.spot and (target == State.registered or self.chance("spot_reopen"))

    def chance(self, name: str, value: float | None = None) -> bool:
        """The named draw came up, against the data file's chance (or `value`), per target where it says so."""
        odds = CHANCES[name] if value is None else value
        if isinstance(odds, dict):
            odds = odds.get(self.plan.target.value, odds.get("other", 0))
        return self.draws[name] < odds

    # --- steps ---------------------------------------------------------------------------------------

    def add(self, action: Action, actor: str, data: dict | None = None) -> None:
        spec = SPECS[action]
        data = data or {}
        knows = SimpleNamespace(severity=self.severity, department_id=1 if self.department else None, remedies=())
        self.steps.append(Step(action, actor, data, GAPS[action]))
        if action == Action.assign:
            self.department = next(code for code, d in self.planner.departments.items()
                                   if d.id == data["department_id"])
        elif action == Action.send_back:
            self.department = None
        decided = spec.target_for(knows, {**data, "satisfied": data.get("satisfied", True)})
        self.state = decided or self.state

    def do(self, action: Action, **variant) -> None:
        """The step `action`, with the data and the person this complaint's story gives it."""
        actor, data = self.content(action, **variant)
        self.add(action, actor, data)
        if action == Action.record_findings and data.get("responsibility") == "malicious":
            # A head's malicious finding is a proposal: it stands once leadership confirms it.
            self.add(Action.confirm_malicious, "leadership", {})

    def content(self, action: Action, **variant) -> tuple[str, dict]:
        """Who does `action` in this story, and with what data."""
        write = self.CONTENT.get(action)
        if write is None:
            raise ValueError(f"the demo has no story for {action}")
        return write(self, **variant)

    def _triage(self) -> tuple[str, dict]:
        return "reception", self.planner._triage_data(self.scenario, self.severity, self.complexity,
                                                      self.ack if self.chance("ack") else None)

    def _assign(self, department: str | None = None, note: bool = False) -> tuple[str, dict]:
        code = department or self.scenario["dept"]
        data = {"department_id": self.planner.departments[code].id, "_ack": self.ack}
        if note and self.chance("assign_note"):
            data["note"] = self.pick["assign_note"]
        return ("leadership" if self.chance("leadership_assigns") else "reception"), data

    def _accept(self) -> tuple[str, dict]:
        return "head", {}

    def _send_back(self) -> tuple[str, dict]:
        right = self.planner.departments[self.scenario["dept"]]
        return "head", {"reason": self.texts["send_back"].format(
            right=right.name_zh if self.scenario["lang"] == "zh" else right.name_en)}

    def _record_findings(self) -> tuple[str, dict]:
        scenario, text = self.scenario, self.text
        self.rounds += 1
        again = "\n" + self.texts["reopen_findings"] if self.rounds > 1 and self.taken & {"reopen"} else ""
        data = {"findings": text["findings"] + again, "cause": text["cause"],
                "responsibility": scenario["resp"], "remedy": text["remedy"]}
        if self.rounds == 1 and scenario["resp"] in ("upheld", "partly_upheld"):
            # A corrective action raised from the findings, due in so many days (dated when it is done).
            data.update(corrective_title=_first_item(text["actions"]), _corrective_days=20)
        return "head", data

    def _sign_off(self) -> tuple[str, dict]:
        return "head", {"response_text": self.reply}

    def _approve(self) -> tuple[str, dict]:
        return "leadership", {"comment": self.pick["approve"]}

    def _return_for_rework(self) -> tuple[str, dict]:
        self.reply = self.reply + "\n" + self.texts["rework_reply"].format(actions=self.text["actions"])
        return "leadership", {"comment": self.pick["rework"]}

    def _respond(self) -> tuple[str, dict]:
        actor = "head" if self.chance("head_responds") else "reception"
        return actor, {"method": self.reply_method, "told_text": self.reply}

    def _follow_up(self, satisfied: bool = True) -> tuple[str, dict]:
        comment = (self.pick2 if self.taken & {"reopen", "spot_reopen"} else self.pick)[
            "satisfied" if satisfied else "unsatisfied"]
        return "reception", {"method": self.follow_method, "satisfied": satisfied, "comment": comment}

    def _resolve_on_the_spot(self) -> tuple[str, dict]:
        return "reception", {"what_was_done": self.text["spot"], "method": self.spot_method}

    def _extend(self, reason: str = "extend", actor: str = "head") -> tuple[str, dict]:
        text_of_reason = self.pick2["extend"] if reason == "second" else self.pick[reason]
        return actor, {"_days": self.extend_days, "reason": text_of_reason,
                       "complainant_told_via": self.reply_method}

    def _escalate(self, reason: str, actor: str = "reception") -> tuple[str, dict]:
        return actor, {"reason": self.pick[reason]}

    def _withdraw(self) -> tuple[str, dict]:
        return "reception", {"reason": self.pick["withdraw"]}

    def _mark_duplicate(self) -> tuple[str, dict]:
        # The original is an open complaint received before it, chosen when the step is done.
        return "reception", {"_original": True, "complainant_told": self.texts["duplicate_told"]}

    def _decline(self) -> tuple[str, dict]:
        data = {"reason": self.scenario["reason"], "complainant_told": self.scenario["told"]}
        if not self.anonymous:
            data["told_via"] = "written" if self.plan.data.get("wants_written_reply") else self.rng.choice(
                ["phone", "phone", "sms"] + (["email"] if self.plan.data.get("complainant_email") else []))
        return ("leadership" if self.chance("leadership_declines") else "reception"), data

    def _request_information(self) -> tuple[str, dict]:
        return "reception", {"asked": self.pick["ask_more"], "asked_via": "phone"}

    def _provide_information(self) -> tuple[str, dict]:
        return "public", {"answer": self.pick["more_information"]}  # on the tracking page

    def _own_draws(self, what: str) -> random.Random:
        """A generator of the referral's own, so that the other stories draw what they drew before."""
        return random.Random(f"{what} {self.plan.data['what_happened']}")

    def _referred_by(self) -> str:
        """The code of the body that referred it."""
        body_id = self.plan.data["referral_body_id"]
        return next(code for code, known in self.planner.referrers.items() if known == body_id)

    def _record_referral(self) -> tuple[str, dict]:
        data = self.plan.data
        year = local(self.plan.received_at).year
        return "reception", {
            "referral_body_id": data["referral_body_id"], "referral_reply_by": data.get("referral_reply_by"),
            "referral_case_number": case_number(self._referred_by(), self._own_draws("case"), year),
            "reason": self.texts["referral_details_later"]}

    def _report_back(self) -> tuple[str, dict]:
        method = self._own_draws("method").choice(["platform", "platform", "phone", "letter"])
        body = REFERRING_BODIES[self._referred_by()]["in_texts"][self.scenario["lang"]]
        return "reception", {"method": method, "text": self.texts["report_back"][method].format(body=body)}

    CONTENT = {
        Action.triage: _triage,
        Action.assign: _assign,
        Action.accept: _accept,
        Action.send_back: _send_back,
        Action.record_findings: _record_findings,
        Action.sign_off: _sign_off,
        Action.approve: _approve,
        Action.return_for_rework: _return_for_rework,
        Action.respond: _respond,
        Action.follow_up: _follow_up,
        Action.resolve_on_the_spot: _resolve_on_the_spot,
        Action.extend: _extend,
        Action.escalate: _escalate,
        Action.withdraw: _withdraw,
        Action.mark_duplicate: _mark_duplicate,
        Action.decline: _decline,
        Action.request_information: _request_information,
        Action.provide_information: _provide_information,
        Action.record_referral: _record_referral,
        Action.report_back: _report_back,
    }

    # --- detours and side actions: rows of the table a complaint may take on its way ------------------

    def detour(self) -> bool:
        """Take the detour this state offers, once per story, if its draw came up. True if one was taken."""
        state, target = self.state, self.plan.target
        if state == State.registered and self.spot and "spot" not in self.taken:
            self.taken.add("spot")
            self.do(Action.resolve_on_the_spot)
            return True
        if state == State.responded and self.spot_reopen and "spot_reopen" not in self.taken:
            self.taken.add("spot_reopen")
            self.do(Action.follow_up, satisfied=False)
            return True
        if (state == State.registered and "send_back" not in self.taken and not self.spot_reopen
                and target != State.submitted and self.chance("send_back")):
            self.taken.add("send_back")
            self.do(Action.assign, department=self.wrong)
            self.do(Action.send_back)
            return True
        if state == State.awaiting_approval and "rework" not in self.taken and self.chance("rework"):
            self.taken.add("rework")
            self.do(Action.return_for_rework)
            return True
        if (state == State.responded and "reopen" not in self.taken and "spot" not in self.taken
                and not self.anonymous and self.chance("reopen")):
            self.taken.add("reopen")
            self.do(Action.follow_up, satisfied=False)
            self.do(Action.extend, actor="leadership" if self.draws["extend"] < 0.5 else "head", reason="second")
            return True
        return False

    def sides(self, action: Action) -> None:
        """What happens beside the main line once `action` has been done."""
        d, target = self.draws, self.plan.target
        if action in (Action.triage, Action.log):
            if self.severity == "major" and self.chance("major_escalate"):
                self.do(Action.escalate, reason="escalate_major")
            elif self.chance("complainant_escalate"):
                self.do(Action.escalate, reason="escalate_complainant")
        if action == Action.accept:
            if self.chance("head_note"):
                self.add(Action.note, "head", {"text": self.pick["head_note"]})
            if self.chance("extend"):
                self.do(Action.extend)
            if not self.anonymous and self.chance("ask_more"):
                self.do(Action.request_information)
                self.do(Action.provide_information)
            if self.chance("head_escalate"):
                self.do(Action.escalate, actor="head", reason="escalate_dept")
            if target in (State.assigned, State.investigating) and self.age > 10 and self.chance("overdue_escalate"):
                # Half of these by leadership, half by reception.
                self.do(Action.escalate, actor="leadership" if d["overdue_escalate"] < CHANCES["overdue_escalate"] / 2
                        else "reception",
                        reason="escalate_overdue")
        if action == Action.respond and self.chance("fu_extend") and not self.anonymous:
            self.do(Action.extend, actor="leadership", reason="extend_follow_up")
        # A referral answered is reported back to who referred it, once; some still wait in reception's queue.
        if (action in (Action.respond, Action.resolve_on_the_spot, Action.conclude)
                and self.plan.data.get("referral_body_id") and "report_back" not in self.taken
                and (self._own_draws("report back").random() < REPORTED_BACK
                     or self.age > REPORTED_BACK_ALL_AFTER_DAYS)):
            self.taken.add("report_back")
            self.do(Action.report_back)

    # --- the walk ------------------------------------------------------------------------------------

    def walk_to(self, goal: State) -> None:
        if self.state == State.registered and not self.plan.data.get("category_id"):
            self.do(Action.triage)  # logged without triage: triaged first
            self.sides(Action.triage)
        while True:
            if self.detour():
                continue
            if self.state == goal:
                return
            # The planner's next steps, up to the one that moves the complaint on (with what it requires).
            for step in lifecycle.path_to(goal, self.state, anonymous=self.anonymous):
                before = self.state
                if step.action == Action.assign:
                    self.do(Action.assign, note=True)
                elif step.action == Action.follow_up:
                    self.do(Action.follow_up, satisfied=step.data.get("satisfied", True))
                else:
                    self.do(step.action)
                self.sides(step.action)
                if self.state != before:
                    break

    def walk(self) -> None:
        target = self.plan.target
        if self.plan.data.get("referral_body_id") and not self.plan.data.get("referral_case_number"):
            self.do(Action.record_referral)  # the case number came afterwards
        if target == State.not_accepted:
            if self.state == State.submitted and self.chance("triage_before_decline"):
                self.do(Action.triage)
            self.do(Action.decline)
        elif target == State.duplicate:
            if self.state == State.submitted and self.chance("triage_before_decline"):
                self.do(Action.triage)
            self.do(Action.mark_duplicate)
        elif target == State.withdrawn:
            # The complainant withdraws at some open point of the way.
            choices = [State.registered, State.assigned, State.investigating, State.responded]
            at = self.rng.choices(choices, weights=[3, 1, 2, 1])[0]
            self.walk_to(at)
            self.do(Action.withdraw)
        else:
            if not self.plan.public and self.plan.data.get("category_id"):  # logged, and triaged as it was
                self.sides(Action.log)
            self.walk_to(target)
            if target == State.investigating and self.chance("findings_first"):
                self.do(Action.record_findings)


def _first_item(actions: str) -> str:
    """"1. 甲（负责人…）；2. 乙…" → "甲（负责人…）": one corrective action is one thing to be done."""
    first = re.split(r"[；;。.]\s*\d+\.\s+|\n", actions)[0]
    return re.sub(r"^\d+\.\s*", "", first).rstrip("。.;；")[:200]
