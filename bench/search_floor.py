"""The app of ``bench/portal_http.py --search-floor``: the public site with the search's
statement replaced by the cheapest read a page of results can have, its rows by primary key.

Everything else a search page does is left as it is: the query read, the reading connection,
the listings of the page's enterprises (a second statement), the page rendered. The ids are a
hash of the query spread over the table, a page's worth plus one (as the search reads one more
to tell whether a next page follows), so every page holds 20 enterprises. What this measures is
the most any index could give: a search that found its page for nothing, and only had to read
it. Not for serving: gunicorn loads it only in the benchmark.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func, select

import credit.services.search as search
from credit.extensions import db, driver_connection
from credit.models import Enterprise
from wsgi import create_app as _create_app

_COLUMNS = "id, uscc, name, district, established_on, industry, address"


def _page_by_id(top: int):
    def page(q, district, start, stop):
        digest = hashlib.blake2b(q.text.encode(), digest_size=8).digest()
        first = int.from_bytes(digest, "big")
        ids = sorted({1 + (first + k * 7919) % top for k in range(stop - start + 1)})
        raw, dialect = driver_connection()
        marks = ", ".join(["%s" if dialect == "postgresql" else "?"] * len(ids))
        rows = raw.execute(f"SELECT {_COLUMNS} FROM enterprises WHERE id IN ({marks}) "
                           "ORDER BY id", ids).fetchall()[:stop - start]
        day = (lambda d: d) if dialect == "postgresql" else dt.date.fromisoformat
        return stop + 1, tuple(row[0] for row in rows), tuple(
            search.PublicEnterprise(uscc, name, district_, day(established), industry, address)
            for _id, uscc, name, district_, established, industry, address in rows)
    return page


def create_app():
    app = _create_app()
    with app.app_context():
        top = db.session.scalar(select(func.max(Enterprise.id))) or 1
    search._page = _page_by_id(top)
    return app
