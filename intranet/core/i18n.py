"""Flask-Babel's translations for the request, found without walking its context proxies at every string.

Every translated string (`_()` in a template, a lazy label read) asks Flask-Babel's domain for the request's
translations; it finds them through `g` three times and names the locale again (about 7 µs, against 0.1 µs
for the lookup itself), and a page reads a few hundred. This domain keeps the translations it found beside
the request's locale object, in Flask-Babel's own per-request state, and uses them while that object is
still the locale: `force_locale()` and `refresh()` replace the object, so they are followed at once.

WTForms' own messages come through Flask-WTF, which read their catalog from its file at every request
that built a form (a complaint page builds several): it is read once per language instead.
"""

from functools import lru_cache

import flask_babel
import flask_wtf.i18n
from babel import support
from flask import current_app, request
from flask.globals import _cv_app
from flask_babel import Domain, get_locale
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup
from wtforms.i18n import messages_path


class RequestDomain(Domain):
    def get_translations(self):
        state = _babel_state()
        locale = getattr(state, "babel_locale", None)
        if locale is None:  # outside a request, or its first string: Flask-Babel chooses the locale
            return super().get_translations()
        held = state.__dict__.get("redress_translations")
        if held is not None and held[0] is locale:
            return held[1]
        translations = super().get_translations()
        state.redress_translations = (locale, translations)
        return translations


def _babel_state():
    """Flask-Babel's state for the current app context (where it keeps the locale it chose), or None."""
    app_context = _cv_app.get(None)
    return app_context.g.__dict__.get("_flask_babel") if app_context is not None else None


def current_locale():
    """get_locale(), reading the locale Flask-Babel already chose for the request directly: a page asks for
    it once per department name and date it shows."""
    locale = getattr(_babel_state(), "babel_locale", None)
    return locale if locale is not None else get_locale()


def english() -> bool:
    """Whether the reader's language is English (else Chinese, the hospital's own)."""
    locale = current_locale()
    return locale is not None and locale.language == "en"


def text(value) -> str:
    """A lazily translated string (lazy_gettext) in the reader's language, read from the request's catalog
    as translations() finds it rather than through Flask-Babel's lookup of its domain: a queue page reads a
    state label and a button label per row. Anything else is str() as before."""
    if (type(value) is LazyString and value._func is flask_babel.gettext and len(value._args) == 1
            and not value._kwargs):
        return translations().ugettext(value._args[0])
    return str(value)


def translations():
    """get_translations(), from what RequestDomain keeps beside the request's locale when it is still the
    locale and the domain is the default one; Flask-Babel's own way otherwise. For templates' `_()`."""
    state = _babel_state()
    held = state.__dict__.get("redress_translations") if state is not None else None
    if (held is not None and held[0] is getattr(state, "babel_locale", None)
            and isinstance(getattr(state, "babel_domain", None), RequestDomain)):
        return held[1]
    return flask_babel.get_translations()


@pass_context
def template_gettext(context, string, **variables):
    """A template's `_()`, as Jinja's newstyle gettext makes it (escaped in an HTML template, always a format
    string), reaching the translations directly: Jinja's alias resolves `gettext` and calls through its own
    wrapper at every string, 7 µs of which the lookup is a tenth, and a page shows 15 to 60 of them."""
    translated = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)
    if not variables and "%" not in translated:
        return translated  # what formatting with nothing would give
    return translated % variables


@lru_cache(maxsize=8)
def _wtforms_catalog(locale: str):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _wtforms_translations():
    """Flask-WTF's lookup of WTForms' own messages ("Not a valid choice"), as it does it (once per request,
    in the request's language), except that the catalog is read from its file once per language rather
    than at every request that builds a form: the file does not change while the server runs."""
    if not request or "babel" not in current_app.extensions:
        return None
    translations = getattr(request, "wtforms_translations", None)
    if translations is None:
        translations = request.wtforms_translations = _wtforms_catalog(str(get_locale()))
    return translations


def install(babel, app) -> None:
    """Flask-Babel's default domain (a cached property of the extension) becomes this one, templates find
    their translations through translations() (what Flask-Babel installs, with the shorter way to them;
    `_()` without Jinja's alias), and Flask-WTF reads WTForms' catalog through the function above."""
    if not isinstance(babel.__dict__.get("domain_instance"), RequestDomain):
        babel.domain_instance = RequestDomain()
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals["_"] = template_gettext
    flask_wtf.i18n._get_translations = _wtforms_translations
