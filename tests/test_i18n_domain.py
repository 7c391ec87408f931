"""The request's translations, kept beside its locale, follow force_locale() and refresh() at once."""

from flask_babel import force_locale, gettext, lazy_gettext, refresh


def test_translations_follow_the_locale_within_a_request(app):
    label = lazy_gettext("Queues")
    with app.test_request_context("/?lang=zh"):
        chinese = gettext("Queues")
        assert chinese != "Queues" and str(label) == chinese
        with force_locale("en"):
            assert gettext("Queues") == "Queues" and str(label) == "Queues"
        assert gettext("Queues") == chinese
        with force_locale("en"):
            refresh()
            assert gettext("Queues") == "Queues"
        assert gettext("Queues") == chinese


def test_each_request_chooses_its_own(app):
    for language, expected_english in (("en", True), ("zh", False), ("en", True)):
        with app.test_request_context(f"/?lang={language}"):
            assert (gettext("Queues") == "Queues") == expected_english


def test_wtforms_messages_in_the_request_language_read_once(app):
    from intranet.core import i18n

    seen = []
    for language in ("zh", "en", "zh"):
        with app.test_request_context(f"/?lang={language}"):
            from flask_babel import get_locale

            assert str(get_locale()) == language
            translations = i18n._wtforms_translations()
            seen.append(translations)
            text = translations.ugettext("Not a valid choice.")
            assert (text == "Not a valid choice.") == (language == "en")
    assert seen[0] is seen[2] and seen[0] is not seen[1]


def test_templates_and_locale_reads_follow_force_locale(app):
    from flask import render_template_string

    from intranet.core.i18n import current_locale

    with app.test_request_context("/?lang=zh"):
        chinese = render_template_string("{{ _('Queues') }}")
        assert chinese != "Queues" and str(current_locale()) == "zh"
        with force_locale("en"):
            assert render_template_string("{{ _('Queues') }}") == "Queues"
            assert str(current_locale()) == "en"
        assert render_template_string("{{ _('Queues') }}") == chinese
        assert str(current_locale()) == "zh"


def test_a_templates_underscore_renders_as_jinjas_own_newstyle_gettext(app):
    """`_()` reaches the translations without Jinja's alias: the same text, escaping, formatting and errors."""
    from jinja2 import Environment

    from intranet.core.i18n import translations

    jinjas = Environment(extensions=["jinja2.ext.i18n"])
    jinjas.install_gettext_callables(gettext=lambda s: translations().ugettext(s),
                                     ngettext=lambda s, p, n: translations().ungettext(s, p, n), newstyle=True)

    def outcome(environment, source):
        try:
            return environment.from_string(source).render()
        except (ValueError, TypeError, KeyError) as refused:
            return type(refused)

    sources = [
        "{{ _('Queues') }}",
        "{{ _('Make a complaint') }}|{{ _('Error:') }}",
        "{{ _('Something went wrong (error %(code)s). Go back and try again.', code=500) }}",
        "{{ _('Something went wrong (error %(code)s). Go back and try again.', code='<b>&') }}",
        "{{ _('100%% sure') }}|{{ _('<em>not</em> markup & co') }}|{{ _('') }}",
        "{{ _('%(n)s of %(total)s', n=1, total='<i>2</i>') }}",
        "{% set message = _('Queues') %}{{ message ~ '<' }}",
        "{{ _('50% off') }}", "{{ _('%(missing)s') }}",
    ]
    for language in ("zh", "en"):
        with app.test_request_context(f"/?lang={language}"):
            for autoescape in (True, False):
                jinjas.autoescape = autoescape
                ours = app.jinja_env.overlay(autoescape=autoescape)
                for source in sources:
                    assert outcome(ours, source) == outcome(jinjas, source), (source, autoescape)


def test_a_lazy_label_read_through_text_is_what_str_gives(app):
    """Labels (states, actions, choices) read the request's catalog directly: the same words as Flask-Babel's
    own lookup, in each language, under force_locale, and for lazy strings it does not take the short way
    (variables, another function), which it reads as before."""
    from flask_babel import lazy_pgettext

    from intranet.complaints.lifecycle import Action, State
    from intranet.core.i18n import text

    lazies = [lazy_gettext("Queues"), lazy_gettext("Escalated (level %(n)s)", n=2),
              lazy_pgettext("button", "Search"), "plain"]
    with app.test_request_context("/?lang=zh"):
        assert text(lazies[0]) == "待办列表"
        assert State.submitted.label == "已提交，待初步评估"
        for lazy in lazies:
            assert text(lazy) == str(lazy)
        with force_locale("en"):
            assert [text(lazy) for lazy in lazies] == [str(lazy) for lazy in lazies]
            assert text(lazies[0]) == "Queues" and State.submitted.label == "Submitted, to triage"
            assert Action.triage.label == str(Action.triage.spec.label)
