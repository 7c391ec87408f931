"""Every word follows the reader's language: the request's, or the one force_locale() sets for an email or a
receipt written to someone else within it; labels, templates, WTForms' own messages and names alike."""

from flask import render_template_string
from flask_babel import force_locale, gettext, lazy_gettext, refresh

from intranet.complaints.lifecycle import Action, State
from intranet.core.departments import Department
from intranet.core.i18n import english
from tests.conftest import login


def test_strings_and_labels_follow_the_locale_within_a_request(app):
    label = lazy_gettext("Queues")
    with app.test_request_context("/?lang=zh"):
        chinese = gettext("Queues")
        assert chinese == "待办列表" and str(label) == chinese
        assert State.submitted.label == "已提交，待初步评估" and not english()
        with force_locale("en"):
            assert gettext("Queues") == "Queues" and str(label) == "Queues" and english()
            assert State.submitted.label == "Submitted, to triage"
            assert Action.triage.label == str(Action.triage.spec.label)
        assert gettext("Queues") == chinese and not english()
        with force_locale("en"):
            refresh()
            assert gettext("Queues") == "Queues"
        assert gettext("Queues") == chinese


def test_each_request_chooses_its_own(app):
    for language, expected_english in (("en", True), ("zh", False), ("en", True)):
        with app.test_request_context(f"/?lang={language}"):
            assert (gettext("Queues") == "Queues") == expected_english
            assert english() == expected_english


def test_templates_follow_force_locale_and_escape_what_they_are_given(app):
    with app.test_request_context("/?lang=zh"):
        chinese = render_template_string("{{ _('Queues') }}")
        assert chinese == "待办列表"
        with force_locale("en"):
            assert render_template_string("{{ _('Queues') }}") == "Queues"
        assert render_template_string("{{ _('Queues') }}") == chinese
        rendered = render_template_string(
            "{{ _('Something went wrong (error %(code)s). Go back and try again.', code='<b>&') }}")
        assert "&lt;b&gt;&amp;" in rendered and "<b>" not in rendered


def test_a_job_writes_in_the_recipients_language(app):
    """Outside a request (the relay, a CLI command) the hospital's language, unless the recipient has one."""
    cardiology = Department(code="CARD", name_zh="心内科", name_en="Cardiology")
    with app.app_context():
        assert cardiology.name == "心内科" and gettext("Queues") == "待办列表"
        with force_locale("en"):
            assert cardiology.name == "Cardiology" and gettext("Queues") == "Queues"
        assert cardiology.name == "心内科"


def test_wtforms_own_messages_are_in_the_readers_language(world, client):
    login(client, world.reception)
    for language, message in (("zh", "不是有效的选择"), ("en", "Not a valid choice"), ("zh", "不是有效的选择")):
        response = client.get("/search", query_string={"state": "lost", "lang": language})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
