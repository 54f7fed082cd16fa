"""The parts of every public page that depend only on the language: the stylesheet links, the
site header up to the visitor's own links, and the footer.

They hold a dozen translated strings and links each, the same on every page: rendering them
once a language (and mount point) and reusing the result takes about a third of a small page's
rendering time off every page. What depends on the visitor (sign-in state, the language
switch's return address, flashed messages) is rendered on every page by ``base.html``.
"""

from __future__ import annotations

from flask import current_app, request
from jinja2 import pass_context
from markupsafe import Markup

PARTS = ("head", "header", "footer")


@pass_context
def chrome(context, part: str) -> Markup:
    """``templates/chrome/<part>.html`` rendered for the page's language."""
    cache: dict = current_app.extensions.setdefault("portal_chrome", {})
    key = (part, context.get("current_locale"), request.script_root)
    html = cache.get(key)
    if html is None:
        if part not in PARTS:
            raise ValueError(f"unknown page part {part!r}")
        template = current_app.jinja_env.get_template(f"chrome/{part}.html")
        html = cache[key] = Markup(template.render().strip())
    return html


def register(app) -> None:
    app.add_template_global(chrome, "chrome")
