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
