"""SPEC §5 and §8: every action is a real form that works without JavaScript (POST → redirect, with a
message on the next page), and the same action done in place with htmx answers the updated card (or queue
row) and tells the page to refresh its counts. CSRF travels as a header for htmx requests. A form that
needs correcting answers 422 with the error beside the field and everything typed kept, and saves nothing.
"""

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from markupsafe import escape

from intranet.complaints.lifecycle import Action, State
from intranet.complaints.routes import CHANGED
from intranet.core.time import today

# Helpers shared with the lifecycle matrix: the browser, each action's valid form, complaints in any state.
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_lifecycle_matrix import (
    STAFF_ACTIONS,
    Browser,
    Case,
    events_of,
    form_fields,
    prepare,
    snapshot,
    table_target,
)

HAPPY = factories.HAPPY_PATH
# The actions staff do on the complaint page, STAFF_ACTIONS (the complainant's own are on /track:
# test_more_information.py; what only the system does, the mail poller's, in test_mail_in.py).
ACTIONS = [pytest.param(action, id=action.value) for action in STAFF_ACTIONS]


# --- helpers ------------------------------------------------------------------------------------------------


def english(text) -> str:
    with force_locale("en"):
        return str(text)


def label_of(action: Action) -> str:
    with force_locale("en"):
        return action.label


def done_message(action: Action, state: State) -> str:
    """The message an action leaves, as the person reads it (in English: the browser asked for it)."""
    with force_locale("en"):
        return f"{action.label}: done. Now: {state.label}."


def sign_in(app, user) -> Browser:
    browser = Browser(app)
    login(browser, user)
    browser.token = csrf_token(browser, "/queue?lang=en")  # English from now on, remembered in the session
    return browser


def htmx_headers(browser: Browser, **extra) -> dict:
    return {"HX-Request": "true", "HX-Target": "complaint", "X-CSRFToken": browser.token, **extra}


def without_csrf_field(fields: dict) -> dict:
    return {name: value for name, value in fields.items() if not name.endswith("-csrf_token")}


def body(response) -> str:
    return response.get_data(as_text=True)


def is_fragment(html: str) -> bool:
    return "<html" not in html and "<body" not in html


def happy(world, action: Action):
    state, person = HAPPY[action]
    complaint = prepare(Case(action), world, state)
    return complaint, world.user(person), state


# --- every action, without and with htmx ----------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_action_without_javascript_redirects_and_says_what_happened(app, world, action):
    complaint, user, state = happy(world, action)
    target = table_target(Case(action), complaint)
    events_before = len(events_of(complaint.id))
    browser = sign_in(app, user)

    response = browser.post(f"/complaints/{complaint.reference}/{action.value}",
                            data=form_fields(Case(action), world, complaint, browser.token))

    assert response.status_code == 302
    gone = action == Action.send_back  # the head's department no longer sees it
    expected_location = "/queue" if gone else f"/complaints/{complaint.reference}"
    assert response.headers["Location"].endswith(expected_location)
    assert snapshot(complaint.id)["status"] == target.value
    assert len(events_of(complaint.id)) == events_before + 1

    page = browser.get(response.headers["Location"])
    assert page.status_code == 200
    html = body(page)
    assert 'class="notice notice-success"' in html
    assert str(escape(done_message(action, target))) in html
    # The message is shown once.
    assert str(escape(done_message(action, target))) not in body(browser.get(response.headers["Location"]))


@pytest.mark.parametrize("action", ACTIONS)
def test_action_with_htmx_answers_the_card_in_place(app, world, action):
    complaint, user, state = happy(world, action)
    target = table_target(Case(action), complaint)
    version = snapshot(complaint.id)["version"]
    browser = sign_in(app, user)
    # htmx sends the CSRF token as a header (from <body hx-headers>), not as a form field.
    fields = without_csrf_field(form_fields(Case(action), world, complaint, browser.token))

    response = browser.post(f"/complaints/{complaint.reference}/{action.value}", data=fields,
                            headers=htmx_headers(browser))

    assert response.status_code == 200, body(response)[:2000]
    html = body(response)
    assert is_fragment(html)
    assert 'id="complaint"' in html
    assert CHANGED in response.headers.get("HX-Trigger", "")
    assert str(escape(done_message(action, target))) in html
    if action == Action.send_back:
        with force_locale("en"):
            assert "is no longer in your department" in html
    else:
        assert f'data-version="{version + 1}"' in html  # the card as it is now, ready for the next action
        assert f"state-{target.value}" in html
    assert snapshot(complaint.id)["status"] == target.value
    assert snapshot(complaint.id)["version"] == version + 1


def test_htmx_action_without_a_csrf_token_is_refused(app, world):
    complaint, user, state = happy(world, Action.accept)
    before, events_before = snapshot(complaint.id), len(events_of(complaint.id))
    browser = sign_in(app, user)
    fields = without_csrf_field(form_fields(Case(Action.accept), world, complaint, browser.token))

    response = browser.post(f"/complaints/{complaint.reference}/accept", data=fields,
                            headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert snapshot(complaint.id) == before
    assert len(events_of(complaint.id)) == events_before
    # The same request with the header goes through.
    response = browser.post(f"/complaints/{complaint.reference}/accept", data=fields,
                            headers=htmx_headers(browser))
    assert response.status_code == 200
    assert snapshot(complaint.id)["status"] == State.investigating.value


def test_htmx_action_not_allowed_answers_403_with_the_card_and_changes_nothing(app, world):
    complaint = prepare(Case(Action.accept), world, State.assigned)
    before, events_before = snapshot(complaint.id), len(events_of(complaint.id))
    browser = sign_in(app, world.reception)  # accepting is the department head's
    fields = without_csrf_field(form_fields(Case(Action.accept), world, complaint, browser.token))

    response = browser.post(f"/complaints/{complaint.reference}/accept", data=fields,
                            headers=htmx_headers(browser))

    assert response.status_code == 403
    html = body(response)
    assert is_fragment(html) and 'id="complaint"' in html
    assert 'class="notice notice-error"' in html
    assert snapshot(complaint.id) == before
    assert len(events_of(complaint.id)) == events_before


# --- a form that needs correcting ---------------------------------------------------------------------------

def enter(label: str) -> str:
    return f"Enter “{label}”."


@pytest.mark.parametrize(("action", "typed", "wrong_field", "message", "kept"), [
    pytest.param(Action.send_back, {"reason": "   "}, "reason", enter("Why it is not this department's"), {},
                 id="send_back-no-reason"),
    pytest.param(Action.respond,
                 {"method": "email", "responded_on": "TODAY", "told_text": ""}, "told_text",
                 enter("What they were told"), {"method": "email", "responded_on": "TODAY"}, id="respond-no-text"),
    pytest.param(Action.record_findings,
                 {"findings": "", "cause": "Rota gap on Sunday.", "responsibility": "upheld"}, "findings",
                 enter("Findings"), {"cause": "Rota gap on Sunday.", "responsibility": "upheld"},
                 id="record_findings-no-findings"),
    # A rule the form cannot check alone: the operation refuses it, and the answer is the same 422.
    pytest.param(Action.extend,
                 {"new_due_on": "EARLIER", "reason": "Waiting for the ward's notes.", "complainant_told_via": "sms"},
                 "new_due_on", "The new due date must be later than the current one.",
                 {"reason": "Waiting for the ward's notes.", "complainant_told_via": "sms"},
                 id="extend-earlier-date"),
])
@pytest.mark.parametrize("with_htmx", [False, True], ids=["plain", "htmx"])
def test_invalid_form_answers_422_with_the_error_beside_the_field_and_keeps_what_was_typed(
        app, world, action, typed, wrong_field, message, kept, with_htmx):
    complaint, user, state = happy(world, action)
    before, events_before = snapshot(complaint.id), len(events_of(complaint.id))

    def value(v):
        if v == "TODAY":
            return today().isoformat()
        if v == "EARLIER":
            return (complaint.response_due_on - timedelta(days=1)).isoformat()
        return v

    browser = sign_in(app, user)
    prefix = action.value
    fields = {f"{prefix}-{name}": value(v) for name, v in typed.items()}
    fields[f"{prefix}-version"] = str(complaint.version)
    if with_htmx:
        response = browser.post(f"/complaints/{complaint.reference}/{prefix}", data=fields,
                                headers=htmx_headers(browser))
    else:
        fields[f"{prefix}-csrf_token"] = browser.token
        response = browser.post(f"/complaints/{complaint.reference}/{prefix}", data=fields)

    assert response.status_code == 422
    html = body(response)
    assert 'id="complaint"' in html
    assert is_fragment(html) == with_htmx  # htmx gets the card to swap; a browser without it, the page
    # One error summary, linking to the field.
    assert 'class="error-summary"' in html
    assert f'href="#{prefix}-{wrong_field}"' in html
    # The error is next to the field: inside the field's own block, tied to it by aria-describedby.
    block = field_block(html, f"{prefix}-{wrong_field}")
    assert english(message) in block
    assert re.search(rf'aria-describedby="[^"]*\b{prefix}-{wrong_field}-error\b', block)
    assert 'aria-invalid="true"' in block
    # The failed action's form is the one open.
    assert re.search(rf'<details class="action" open>\s*<summary>{re.escape(str(escape(label_of(action))))}',
                     html)
    for name, v in kept.items():
        assert shows_value(html, f"{prefix}-{name}", value(v)), (name, v)
    # Nothing saved.
    assert snapshot(complaint.id) == before
    assert len(events_of(complaint.id)) == events_before


def field_block(html: str, field_id: str) -> str:
    """The `<div class="field …">` holding the field with this id."""
    for match in re.finditer(r'<div class="field [^"]*">(.*?)</div>', html, re.S):
        if f'id="{field_id}"' in match.group(1):
            return match.group(1)
    raise AssertionError(f"no field {field_id} on the page")


def shows_value(html: str, field_id: str, value: str) -> bool:
    """The field still holds what was typed: text and dates as value, text areas as content, selects as the
    selected option."""
    escaped = re.escape(str(escape(value)))
    tag = re.search(rf'<(input|textarea|select)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    if tag is None:
        return False
    kind = tag.group(1)
    if kind == "input":
        return re.search(rf'\bvalue="{escaped}"', tag.group(0)) is not None
    inner = html[tag.end():html.index(f"</{kind}>", tag.end())]
    if kind == "textarea":
        return inner.strip() == str(escape(value))
    return re.search(rf'<option (?:selected value="{escaped}"|value="{escaped}" selected)', inner) is not None


# --- queue rows and counts ------------------------------------------------------------------------------------


def row_accept_url(html: str, reference: str) -> str:
    match = re.search(rf'hx-post="(/complaints/{re.escape(reference)}/accept)"', html)
    assert match, "no accept button on the row"
    return match.group(1)


def test_queue_row_accept_answers_the_row(app, world):
    complaint = prepare(Case(Action.accept), world, State.assigned)
    browser = sign_in(app, world.head)
    queue = body(browser.get("/queue?q=new"))
    assert f'id="row-{complaint.reference}"' in queue
    url = row_accept_url(queue, complaint.reference)

    response = browser.post(url, data={"accept-version": str(complaint.version)},
                            headers=htmx_headers(browser, **{"HX-Target": f"row-{complaint.reference}"}))

    assert response.status_code == 200
    html = body(response).strip()
    assert html.startswith(f'<tr id="row-{complaint.reference}"')
    assert html.endswith("</tr>")
    assert CHANGED in response.headers.get("HX-Trigger", "")
    assert "state-investigating" in html
    assert str(escape(done_message(Action.accept, State.investigating))) in html
    assert "/accept" not in html  # accepted: no button to accept it again
    assert snapshot(complaint.id)["status"] == State.investigating.value


def test_queue_row_accept_after_someone_else_acted_answers_409_with_the_row(app, world):
    complaint = prepare(Case(Action.accept), world, State.assigned)
    stale_version = complaint.version
    browser = sign_in(app, world.head)
    url = row_accept_url(body(browser.get("/queue?q=new")), complaint.reference)
    # Meanwhile reception escalates it.
    other = sign_in(app, world.reception)
    fields = form_fields(Case(Action.escalate), world, complaint, other.token)
    assert other.post(f"/complaints/{complaint.reference}/escalate", data=fields).status_code == 302
    before, events_before = snapshot(complaint.id), len(events_of(complaint.id))

    response = browser.post(url, data={"accept-version": str(stale_version)},
                            headers=htmx_headers(browser, **{"HX-Target": f"row-{complaint.reference}"}))

    assert response.status_code == 409
    html = body(response).strip()
    assert html.startswith(f'<tr id="row-{complaint.reference}"')
    assert "error-message" in html
    assert snapshot(complaint.id) == before
    assert len(events_of(complaint.id)) == events_before


# What the badge counts' element asks for: the queue page's `queue_counts` block (HX-Target picks it).
COUNTS = {"HX-Request": "true", "HX-Target": "queue-counts"}


def counts(html: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r'data-queue="([^"]+)">(\d+)<', html)}


@pytest.mark.parametrize(("person", "state", "action", "changes"), [
    pytest.param("reception", State.submitted, Action.triage,
                 {"new": (1, 0), "acknowledge": (1, 1), "open": (1, 1)}, id="reception-triage"),
    pytest.param("head", State.assigned, Action.accept,
                 {"new": (1, 0), "investigating": (0, 1), "history": (1, 1)}, id="head-accept"),
    pytest.param("leadership", State.awaiting_approval, Action.approve,
                 {"approval": (1, 0), "major": (1, 1), "all": (1, 1)}, id="leadership-approve"),
])
def test_queue_counts_fragment_refreshes_after_an_action(app, world, person, state, action, changes):
    complaint = prepare(Case(action), world, state)
    browser = sign_in(app, world.user(person))
    page = body(browser.get("/queue"))
    # The counts refresh themselves whenever an action says the complaint changed.
    assert re.search(rf'id="queue-counts"[^>]*hx-get="/queue[^"]*"[^>]*hx-trigger="{CHANGED} from:body', page,
                     re.S)

    first = browser.get("/queue", headers=COUNTS)
    assert first.status_code == 200
    html = body(first).strip()
    assert is_fragment(html) and html.startswith('<nav id="queue-counts"')
    assert {name: counts(html)[name] for name in changes} == {name: was for name, (was, _) in changes.items()}

    fields = without_csrf_field(form_fields(Case(action), world, complaint, browser.token))
    acted = browser.post(f"/complaints/{complaint.reference}/{action.value}", data=fields,
                         headers=htmx_headers(browser))
    assert acted.status_code == 200 and CHANGED in acted.headers["HX-Trigger"]

    after = counts(body(browser.get("/queue", headers=COUNTS)))
    assert {name: after[name] for name in changes} == {name: now for name, (_, now) in changes.items()}
