"""Every page each role can reach by following links works: no server error, and no link
that leads to a page the role may not open."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urlsplit

import pytest

LINK = re.compile(r'href="([^"#]+)"')
LIMIT = 250


def crawl(client, start: str = "/admin/") -> dict[str, int]:
    """Breadth first, but pages of a kind not visited yet go first (every screen is reached
    before the limit is spent on sort and filter variants of one list)."""
    seen: dict[str, int] = {}
    queue = [start]
    paths: set[str] = set()
    while queue and len(seen) < LIMIT:
        fresh = next((u for u in queue if urlsplit(u).path not in paths), None)
        url = fresh if fresh is not None else queue[0]
        queue.remove(url)
        paths.add(urlsplit(url).path)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code in (302, 308):
            target = response.headers["Location"]
            if target.startswith("/admin"):
                queue.append(target)
            continue
        if response.mimetype != "text/html":
            continue
        for href in LINK.findall(response.get_data(as_text=True)):
            href = htmllib.unescape(href)
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/admin"):
                continue
            if parts.path.startswith("/admin/static"):
                continue
            if href not in seen:
                queue.append(href)
    return seen


@pytest.mark.parametrize("username", ["admin", "recorder", "recorder_h", "reviewer",
                                      "publisher", "evaluator", "inspector_h", "auditor",
                                      "auditor_h"])
def test_every_reachable_page_works(world, sign_in, username):
    pages = crawl(sign_in(world.u[username]))
    bad = {url: status for url, status in pages.items() if status not in (200, 302, 308)}
    assert not bad, f"{username}: {bad}"
    assert len(pages) > 3


#: Pages of every graded-supervision screen the crawl must reach (as the city administrator).
SUPERVISION_PAGES = ["/admin/plans/", "/admin/plans/new", "/admin/plans/1", "/admin/plans/item/",
                     "/admin/inspectors/", "/admin/inspectors/new", "/admin/inspectors/1",
                     "/admin/supervision-settings/", "/admin/warnings/",
                     "/admin/warnings/candidates", "/admin/warnings/1", "/admin/warnings/1/notice",
                     "/admin/honours/", "/admin/honours/1", "/admin/honours/new/",
                     "/admin/public-reports/", "/admin/public-reports/1",
                     "/admin/supervision-reports/", "/admin/supervision-reports/d-report",
                     "/admin/supervision-reports/monthly"]


def test_the_crawl_reaches_the_supervision_screens(world, sign_in):
    paths = {urlsplit(url).path for url in crawl(sign_in(world.u["admin"]))}
    missing = [p for p in SUPERVISION_PAGES
               if not any(path == p or (p.endswith("/") and path.startswith(p) and p != path
                                        and p.count("/") > 3) for path in paths)
               and p not in paths]
    assert not missing, missing
