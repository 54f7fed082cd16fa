"""The parts of public pages rendered once a language (and mount point) and reused: the
stylesheet links, the site header up to the visitor's own links, the sign-in link, the footer,
the listing badges, and, with a mark where the request's own value goes, the search box (the
query), the language switch (the page's address) and the pager (its addresses and number).

They hold a dozen translated strings and links each, the same on every page: rendering them
once and reusing the result takes about a third of a small page's rendering time off every
page. What a signed-in visitor sees in the header, and flashed messages, are rendered on every
page by ``base.html``. The page macros that pages call are globals here, so that no page
imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote_plus

from flask import current_app, request, url_for
from jinja2 import pass_context
from markupsafe import Markup, escape

from credit.vocabulary import DISTRICTS

try:  # MarkupSafe's own C escaping, str to str, without the Markup object escape() makes
    from markupsafe import _escape_inner as escape_text
except ImportError:  # pragma: no cover - a MarkupSafe without it: the public function
    def escape_text(value: str) -> str:
        return str(escape(value))

PARTS = ("head", "header", "sign_in", "footer")
#: Where the visitor's query goes in a search box rendered once: a mark no label or option
#: holds, which escaping leaves as it is (the query is put in after, never searched for it).
_QUERY = "\x00query\x00"


def _once(key: tuple, render: Callable[[], str]) -> str:
    """What ``render()`` gives, kept in the app's cache under ``key`` after the first call."""
    cache: dict = current_app.extensions.setdefault("portal_chrome", {})
    html = cache.get(key)
    if html is None:
        html = cache[key] = render()
    return html


@pass_context
def chrome(context, part: str) -> Markup:
    """``templates/chrome/<part>.html`` rendered for the page's language."""
    if part not in PARTS:
        raise ValueError(f"unknown page part {part!r}")
    return _once((part, context.get("current_locale"), request.script_root), lambda: Markup(
        current_app.jinja_env.get_template(f"chrome/{part}.html").render().strip()))


@pass_context
def search_box(context, q: str | None = "", district: str | None = None,
               autofocus: bool = False) -> Markup:
    """The search form (``search_box`` in ``templates/portal/_macros.html``): rendered once a
    language, chosen district and mount point, the visitor's query put in its place (escaped)
    on every page. The form's 11 districts and labels were a fifth of a search page's
    rendering."""
    district = district if district in DISTRICTS else None
    key = ("search_box", context.get("current_locale"), district, bool(autofocus),
           request.script_root)
    html = _once(key, lambda: str(_macro("search_box")(
        q=_QUERY, district=district, districts=DISTRICTS, autofocus=autofocus)))
    return Markup(html.replace(_QUERY, escape_text(q or "")))


#: Where the page's address goes in the language switch rendered once; url_for writes the
#: mark as it writes any query argument, percent-encoded.
_NEXT, _NEXT_IN_URL = "\x00next\x00", "%00next%00"
#: What url_for leaves unencoded in a query argument (Werkzeug's urlencode, the URL standard's
#: set), so the address is written into the cached links exactly as url_for would.
_QUERY_SAFE = "!$'()*,/:;?@"


@pass_context
def language_switch(context) -> Markup:
    """The header's links to this page in the other languages, rendered once a language and
    mount point; the page's address (``next``) put in on every page, encoded as url_for
    encodes a query argument and then escaped."""
    locale = context.get("current_locale")
    html = _once(("language_switch", locale, request.script_root), lambda: (
        current_app.jinja_env.get_template("chrome/language_switch.html").render(
            current_locale=locale, languages=current_app.config["LANGUAGES"],
            next=_NEXT).strip()))
    return Markup(html.replace(
        _NEXT_IN_URL, escape_text(quote_plus(request.full_path, safe=_QUERY_SAFE))))


#: Marks for what changes from page to page in a pager rendered once (none of them can be
#: in a translation or an address: url_for would have percent-encoded NUL).
_PREV, _NEXT_PAGE, _PAGE = "\x00prev\x00", "\x00next-page\x00", "\x00page\x00"


@pass_context
def pager(context, endpoint: str, page: int, has_next: bool, query: dict) -> Markup:
    """Links to the previous and next page of ``endpoint`` (with ``query``), none for a lone
    page. The macro ``pager_links`` is rendered once a language and shape (a previous page
    or not, a next one or not); the addresses and the page number are put in on every page.
    """
    has_prev = page > 1
    if not (has_prev or has_next):
        return Markup("")
    html = _once(("pager", context.get("current_locale"), has_prev, bool(has_next)),
                 lambda: str(_macro("pager_links")(
                     page=_PAGE, prev_url=_PREV if has_prev else "",
                     next_url=_NEXT_PAGE if has_next else "")))
    html = html.replace(_PAGE, str(page))
    if has_prev:
        html = html.replace(_PREV, escape_text(url_for(endpoint, page=page - 1, **query)))
    if has_next:
        html = html.replace(_NEXT_PAGE, escape_text(url_for(endpoint, page=page + 1, **query)))
    return Markup(html)


@pass_context
def kind_badge(context, kind: str) -> Markup:
    """The badge of a listing kind (macro ``kind_badge``), rendered once a language and kind:
    a search page shows them beside its results, and two macro calls a page cost more than
    the results' own markup."""
    if kind not in ("A", "D"):  # the kinds there are; anything else is not kept
        return _macro("kind_badge")(kind)
    return _once(("kind_badge", context.get("current_locale"), kind),
                 lambda: _macro("kind_badge")(kind))


def _macro(name: str):
    """A macro of ``templates/portal/_macros.html``. Pages call the globals here instead of
    importing the macros (``{% from ... import %}``): Jinja built the macros' module again on
    every render of a page that imported it, because the page's context holds globals the
    module's does not (the context processors'), a tenth of a search page's rendering."""
    return getattr(current_app.jinja_env.get_template("portal/_macros.html").module, name)


def register(app) -> None:
    app.add_template_global(chrome, "chrome")
    app.add_template_global(search_box, "search_box")
    app.add_template_global(kind_badge, "kind_badge")
    app.add_template_global(language_switch, "language_switch")
    app.add_template_global(pager, "pager")
