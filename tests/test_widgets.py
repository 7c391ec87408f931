"""The cheaper attribute rendering writes exactly what WTForms' own does."""

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms import widgets as wtforms_widgets
from wtforms.widgets import core

from intranet.core import widgets

KEYS = st.sampled_from(["id", "name", "class_", "for_", "data_hx_get", "aria_describedby", "rows", "value",
                        "checked", "a&b", "x<y", "data-hx-target"])
VALUES = st.one_of(st.booleans(), st.none(), st.integers(), st.text(),
                   st.text().map(Markup), st.sampled_from(['say "hi"', "<b>&amp;</b>", "'", Markup('a"b<i>')]))


@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_same_output_as_wtforms(attributes):
    ours = widgets.html_params(**attributes)
    theirs = widgets._original(**attributes)
    assert type(ours) is type(theirs) is Markup
    assert str(ours) == str(theirs)


def test_installed_everywhere_wtforms_calls_it(app):
    assert core.html_params is widgets.html_params
    assert wtforms_widgets.html_params is widgets.html_params
    assert core.Input.html_params is widgets.html_params
    assert core.Button.html_params is widgets.html_params
