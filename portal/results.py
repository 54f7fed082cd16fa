"""The search page's list of results, rendered in Python.

A results page is 20 enterprises of half a dozen facts each. In a Jinja loop every one of
those facts is a generator step, an escape and a join through the page's nested blocks, and
the list was one of the largest parts of a search page's rendering (``docs/benchmarks.md``).
Here it is one f-string an enterprise. The
markup is the same as a template's would be, every value escaped; the translated labels and
the badges come from the template, so wording stays in the catalogue and the markup of a
badge in its macro.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jinja2 import pass_context
from markupsafe import Markup, escape

from credit.industries import industry_label
from portal.chrome import escape_text as _text


@pass_context
def result_list(context, items: Iterable, listings: Mapping[str, Iterable], href: str,
                labels: Mapping[str, str], badges: Mapping[str, str]) -> Markup:
    """The ``<article>`` of each search result.

    ``items`` are :class:`credit.services.search.PublicEnterprise`; ``listings`` maps a USCC
    to its live public listings (``credit.services.disclosure.listings_for_many``); ``href``
    is the enterprise page's address without the USCC; ``labels`` the translated ``uscc``,
    ``district`` and ``industry`` labels; ``badges`` the markup of the ``A`` and ``D`` badges.
    """
    locale = context.get("current_locale")
    uscc_label, district_label = escape(labels["uscc"]), escape(labels["district"])
    industry_label_ = escape(labels["industry"])
    href = escape(href)
    badge = {kind: str(markup) for kind, markup in badges.items()}
    parts = []
    for item in items:
        # Every value is a str, escaped as escape() would (the same characters, the same
        # entities) but without a Markup object each: escape() was a third of the list.
        uscc = _text(item.uscc)
        industry = (f"<div><dt>{industry_label_}</dt>"
                    f"<dd>{_text(industry_label(item.industry, locale))}</dd></div>"
                    if item.industry else "")
        found = listings.get(item.uscc)  # most enterprises have no listing
        kinds = "".join([badge[listing.kind] for listing in found]) if found else ""
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
    return Markup("".join(parts))


def register(app) -> None:
    app.add_template_global(result_list, "result_list")
