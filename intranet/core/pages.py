"""A page and its htmx fragments come from one template, and one rule picks the fragment.

An element that htmx replaces carries the id of the template block that renders it: `complaint` is the
block `complaint`, `queue-counts` the block `queue_counts`, and a repeated element adds its key after a
hyphen (`row-TS-2026-000123` is the block `row`). An htmx request names the element in its `HX-Target`
header, so `render_page()` renders that block, and a request without htmx (or with a target the page has
no block for) gets the whole page. Error variants are blocks of the same template too (`complaint_gone`,
`row_gone`).
"""

from __future__ import annotations

from flask import current_app, render_template
from jinja2_fragments.flask import render_block

from .extensions import htmx


def block_for(template_name: str, target: str | None) -> str | None:
    """The block of `template_name` whose element has the id `target`, or None."""
    if not target:
        return None
    blocks = current_app.jinja_env.get_template(template_name).blocks
    best = None
    for name in blocks:
        element_id = name.replace("_", "-")
        if (target == element_id or target.startswith(element_id + "-")) and (
                best is None or len(name) > len(best)):
            best = name
    return best


def render_page(template_names: str | list[str], variant: str | None = None, fallback: str | None = None,
                **context) -> str:
    """The whole page, or the fragment the htmx request targets, from the first of `template_names` that
    has a block for it (an action is done from the complaint page and from the queue's rows); `variant`
    picks `<block>_<variant>` (an error variant of the same element) when the template has it. `fallback`
    names the block of the first template for an htmx request whose target has none (a message that
    stands in for a page the person may no longer see)."""
    names = [template_names] if isinstance(template_names, str) else list(template_names)
    target = htmx.target if htmx else None
    for name in names:
        block = block_for(name, target)
        if block is None:
            continue
        if variant and f"{block}_{variant}" in current_app.jinja_env.get_template(name).blocks:
            block = f"{block}_{variant}"
        return render_block(name, block, **context)
    if fallback and htmx:
        return render_block(names[0], fallback, **context)
    return render_template(names[0], **context)
