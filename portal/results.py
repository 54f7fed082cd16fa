"""The search page's results, assembled in Python from parts rendered once a language.

A results page is 20 enterprises of half a dozen facts each. In a Jinja loop every one of
those facts is a generator step, an escape and a join through the page's nested blocks, and
the list was one of the largest parts of a search page's rendering (``docs/benchmarks.md``).
Here it is one f-string an enterprise. The markup is the same as a template's would be, every
value escaped; the sentences around the list (``templates/portal/_search.html``), the badges
and the pager are rendered once a language with marks for the query and district
(``portal/chrome.py``), so wording stays in the templates and the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from credit.industries import industry_label
from portal.chrome import badge, fill, macro, mark, once, pager_for, split
from portal.chrome import escape_text as _text

_SEARCH = "portal/_search.html"
_Q, _DISTRICT = mark("q"), mark("district")


def _part(locale: str, name: str, values: Mapping[str, str], *args) -> str:
    """The macro ``name`` of ``templates/portal/_search.html``, rendered once a language and
    arguments (marks, constants), its marks filled with ``values``."""
    return fill(once(("search", name, locale, *args),
                     lambda: split(str(macro(name, _SEARCH)(*args)))), values)


def _labels(locale: str) -> tuple[str, str, str]:
    # Rendered in a request of that language, kept for it.
    return once(("result_labels", locale), lambda: (
        str(escape(_("统一社会信用代码"))), str(escape(_("辖区"))), str(escape(_("行业")))))


def search_results(locale: str, q: str, district: str | None, result, listings: Mapping,
                   problem: str | None, max_results: int) -> Markup:
    """What a search page shows under its form: the problem with the query, or the results
    (a sentence, the list, the pager; a sentence when none), or how to search."""
    values = {"q": _text(q), "district": _text(district or "")}
    parts = []
    if problem:
        parts.append(str(macro("problem", _SEARCH)(problem)))
    if result is not None:
        if result.items:
            parts.append(_part(locale, "found", values, _Q, _DISTRICT if district else None))
            parts.append('<div class="results">\n'
                         + result_list(result.items, listings, locale) + "\n</div>")
            parts.append(pager_for(locale, "portal.search", result.page, result.has_next,
                                   {"q": q, "district": district or ""}))
        else:
            parts.append(_part(locale, "none_found", values, _Q))
        if result.truncated:
            parts.append(_part(locale, "truncated", values, max_results))
    elif not problem:
        parts.append(_part(locale, "hint", values))
    return Markup("\n".join(parts))


def result_list(items: Iterable, listings: Mapping[str, Iterable], locale: str) -> str:
    """The ``<article>`` of each search result.

    ``items`` are :class:`credit.services.search.PublicEnterprise`; ``listings`` maps a USCC
    to its live public listings (``credit.services.disclosure.listings_of_found``).
    """
    uscc_label, district_label, industry_label_ = _labels(locale)
    # The enterprise page's address without the USCC (USCCs are URL-safe).
    href = once(("enterprise_href", request.script_root),
                lambda: _text(url_for("portal.enterprise", uscc="0")[:-1]))
    badges = {kind: str(badge(kind, locale)) for kind in ("A", "D")}
    parts = []
    for item in items:
        # Every value is a str, escaped as escape() would (the same characters, the same
        # entities) but without a Markup object each: escape() was a third of the list.
        uscc = _text(item.uscc)
        industry = (f"<div><dt>{industry_label_}</dt>"
                    f"<dd>{_text(industry_label(item.industry, locale))}</dd></div>"
                    if item.industry else "")
        found = listings.get(item.uscc)  # most enterprises have no listing
        kinds = "".join([badges[listing.kind] for listing in found]) if found else ""
        # f-strings, not str.format: formatting named fields cost a third of the list.
        parts.append(
            f'<article class="result">\n'
            f'  <h2 class="result-name"><a href="{href}{uscc}">{_text(item.name)}</a>\n'
            f"    {kinds}</h2>\n"
            f'  <dl class="facts-inline">\n'
            f'    <div><dt>{uscc_label}</dt><dd class="code">{uscc}</dd></div>\n'
            f"    <div><dt>{district_label}</dt><dd>{_text(item.district)}</dd></div>\n"
            f"    {industry}\n"
            f"  </dl>\n"
            f"</article>")
    return "\n".join(parts)
