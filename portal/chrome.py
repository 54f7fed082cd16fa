"""The parts of public pages rendered once a language (and mount point) and reused: the
stylesheet links, the site header up to the visitor's own links, the sign-in link, the footer,
the listing badges, and, with a mark where the request's own value goes, the search box (the
query), the language switch (the page's address) and the pager (its addresses and number).

They hold a dozen translated strings and links each, the same on every page: rendering them
once and reusing the result takes about a third of a small page's rendering time off every
page. What a signed-in visitor sees in the header (``visitor_links``) and flashed messages
(``flashes``) are rendered on every page. The page macros that pages call are globals here,
so that no page imports them.

A page can go further and be rendered once whole, as a frame (:func:`framed`): its template
rendered once a language with a mark wherever a request's own part goes (the visitor's links,
flashed messages, the page's address, and what the page names), the marks filled on every
request in one pass. The search page is one: rendering it with Jinja cost more than its search.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus, urlencode

from flask import (
    current_app,
    g,
    get_flashed_messages,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from flask_login.config import COOKIE_NAME
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


def once(key: tuple, render: Callable[[], Any]) -> Any:
    """What ``render()`` gives, kept in the app's cache under ``key`` after the first call.
    A key names everything the result depends on (a language, a mount point, ...)."""
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
    return _part(part, context.get("current_locale"))


def _part(part: str, locale: str) -> Markup:
    return once((part, locale, request.script_root), lambda: Markup(
        current_app.jinja_env.get_template(f"chrome/{part}.html").render().strip()))


# -- the visitor's own parts -------------------------------------------------------------------

def mark(name: str) -> Markup:
    """A mark for a frame (:func:`framed`): where the part ``name`` goes. NUL is in no
    template, translation or address (url_for percent-encodes it; queries refuse it)."""
    return Markup(f"\x00{name}\x00")


@pass_context
def visitor_links(context) -> Markup:
    """The header's links for the visitor: the sign-in link (rendered once a language), or a
    signed-in visitor's own links and sign-out form (rendered every time: it holds the
    CSRF token)."""
    if context.get("frame"):
        return mark("visitor")
    return _visitor_links(context.get("current_locale"))


def _visitor_links(locale: str) -> Markup:
    if not _signed_in():
        return _part("sign_in", locale)
    return Markup(current_app.jinja_env.get_template("chrome/visitor.html").render(
        current_user=current_user).strip())


def _signed_in() -> bool:
    """Whether the visitor is signed in, without loading an account for a visitor who cannot
    be: sign-in keeps the account in the session (``_user_id``) or, were it ever asked for, a
    remember-me cookie; with neither, Flask-Login would only compute its session identifier
    (a SHA-512 of the address and browser) and send its signal to find the same anonymous
    visitor: a tenth of a search page's own work."""
    if ("_login_user" not in g and "_user_id" not in session
            and current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
            not in request.cookies):
        return False
    return current_user.is_authenticated


@pass_context
def flashes(context) -> Markup:
    """The flashed messages, if any (reading them removes them from the session)."""
    if context.get("frame"):
        return mark("flashes")
    return _flashes()


def _flashes() -> Markup:
    messages = get_flashed_messages(with_categories=True)
    if not messages:
        return Markup("")
    return Markup(current_app.jinja_env.get_template("chrome/flashes.html").render(
        messages=messages).strip())


def framed(template: str, key: tuple, parts: Mapping[str, str], **context) -> str:
    """``template`` rendered once a language, mount point and ``key`` with ``context`` as a
    frame (``frame`` true: :func:`visitor_links`, :func:`flashes` and
    :func:`language_switch` give marks), then this request's parts put in: the visitor's
    links, the flashed messages, the page's address and ``parts`` (mark name -> markup, the
    page's own; ``context`` holds their marks, :func:`mark`).

    ``key`` must name everything in ``context`` that is not a mark.
    """
    locale = str(get_locale())
    pieces = once(("frame", template, locale, request.script_root, *key),
                  lambda: split(render_template(template, frame=True, **context)))
    return fill(pieces, {"visitor": _visitor_links(locale), "flashes": _flashes(),
                         "address": _address(), **parts})


def split(html: str) -> list[str]:
    """``html`` cut at its marks, for :func:`fill`: text, a mark's name, text, ..."""
    return _MARKS.split(html)


def fill(pieces: list[str], values: Mapping[str, str]) -> str:
    """The text :func:`split` cut, each mark replaced by its value: in one pass, so nothing
    put in is ever read for marks."""
    whole = pieces.copy()
    for at in range(1, len(whole), 2):
        whole[at] = values[whole[at]]
    return "".join(whole)


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
    html = once(key, lambda: str(macro("search_box")(
        q=_QUERY, district=district, districts=DISTRICTS, autofocus=autofocus)))
    return Markup(html.replace(_QUERY, escape_text(q or "")))


#: Where the page's address goes in the language switch rendered once; url_for writes the
#: mark as it writes any query argument, percent-encoded.
_NEXT, _NEXT_IN_URL = "\x00next\x00", "%00next%00"
#: What url_for leaves unencoded in a query argument (Werkzeug's urlencode, the URL standard's
#: set), so the address is written into the cached links exactly as url_for would.
_QUERY_SAFE = "!$'()*,/:;?@"
#: A mark (:func:`mark`), its name the group.
_MARKS = re.compile("\x00([a-z_]+)\x00")


@pass_context
def language_switch(context) -> Markup:
    """The header's links to this page in the other languages, rendered once a language and
    mount point; the page's address (``next``) put in on every page, encoded as url_for
    encodes a query argument and then escaped (in a frame, when the frame is filled)."""
    locale = context.get("current_locale")
    html = once(("language_switch", locale, request.script_root), lambda: (
        current_app.jinja_env.get_template("chrome/language_switch.html").render(
            current_locale=locale, languages=current_app.config["LANGUAGES"],
            next=_NEXT).strip()))
    if context.get("frame"):
        return Markup(html.replace(_NEXT_IN_URL, mark("address")))
    return Markup(html.replace(_NEXT_IN_URL, _address()))


def _address() -> str:
    """The page's address as the language switch's links hold it."""
    return escape_text(quote_plus(request.full_path, safe=_QUERY_SAFE))


@pass_context
def pager(context, endpoint: str, page: int, has_next: bool, query: dict) -> Markup:
    """Links to the previous and next page of ``endpoint`` (with ``query``), none for a lone
    page. The macro ``pager_links`` is rendered once a language and shape (a previous page
    or not, a next one or not); the addresses and the page number are put in on every page.
    """
    return pager_for(context.get("current_locale"), endpoint, page, has_next, query)


def pager_for(locale: str, endpoint: str, page: int, has_next: bool, query: dict) -> Markup:
    has_prev = page > 1
    if not (has_prev or has_next):
        return Markup("")
    pieces = once(("pager", locale, has_prev, bool(has_next)), lambda: split(str(
        macro("pager_links")(page=mark("page"), prev_url=mark("prev") if has_prev else "",
                              next_url=mark("next") if has_next else ""))))
    values = {"page": str(page)}
    if has_prev:
        values["prev"] = escape_text(page_url(endpoint, page - 1, query))
    if has_next:
        values["next"] = escape_text(page_url(endpoint, page + 1, query))
    return Markup(fill(pieces, values))


# What Werkzeug leaves unquoted in a query string (the WHATWG's set).
_URL_QUERY_SAFE = "!$'()*,/:;?@"


def page_url(endpoint: str, page: int, query: Mapping[str, Any]) -> str:
    """``url_for(endpoint, page=page, **query)`` for an endpoint without arguments in its
    path: its address is looked up once a script root, the query string encoded as Werkzeug
    encodes it (None left out). Building the two addresses of a pager with ``url_for`` cost
    a search page as much as its twenty results' markup."""
    path = once(("page_url", endpoint, request.script_root), lambda: url_for(endpoint))
    items = [("page", page), *((k, v) for k, v in query.items() if v is not None)]
    return f"{path}?{urlencode(items, safe=_URL_QUERY_SAFE)}"


@pass_context
def kind_badge(context, kind: str) -> Markup:
    """The badge of a listing kind (macro ``kind_badge``), rendered once a language and kind:
    a search page shows them beside its results, and two macro calls a page cost more than
    the results' own markup."""
    return badge(kind, context.get("current_locale"))


def badge(kind: str, locale: str) -> Markup:
    if kind not in ("A", "D"):  # the kinds there are; anything else is not kept
        return macro("kind_badge")(kind)
    return once(("kind_badge", locale, kind), lambda: macro("kind_badge")(kind))


def macro(name: str, template: str = "portal/_macros.html"):
    """A macro of ``template``. Pages call the globals here instead of importing the macros
    (``{% from ... import %}``): Jinja built the macros' module again on every render of a
    page that imported it, because the page's context holds globals the module's does not
    (the context processors'), a tenth of a search page's rendering."""
    return getattr(current_app.jinja_env.get_template(template).module, name)


def register(app) -> None:
    app.add_template_global(chrome, "chrome")
    app.add_template_global(search_box, "search_box")
    app.add_template_global(kind_badge, "kind_badge")
    app.add_template_global(language_switch, "language_switch")
    app.add_template_global(pager, "pager")
    app.add_template_global(visitor_links, "visitor_links")
    app.add_template_global(flashes, "flashes")
