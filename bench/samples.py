"""What the search benchmarks share: building the demo database, and queries drawn from it.

``bench/search_scale.py`` (in-process) and ``bench/portal_http.py`` (over HTTP) draw their
queries the same way, so that their figures describe the same kinds of query.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def flask(*args: str, env: dict) -> None:
    """``flask --app wsgi credit <args>`` in the project."""
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "credit", *args], cwd=ROOT, env=env,
                   check=True)


def enterprise_count(database_url: str) -> int:
    """How many enterprises the database holds (0 before it has a schema)."""
    from sqlalchemy import create_engine, text

    from credit.config import normalise_database_url

    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM enterprises")) or 0
    except Exception:  # no schema yet
        return 0
    finally:
        engine.dispose()


class Sample:
    """Enterprises drawn at random and pieces of them as queries (one random stream, so a seed
    gives the same queries every run)."""

    def __init__(self, conn, per_kind: int, rng: random.Random):
        from sqlalchemy import text

        self.rng = rng
        top = conn.scalar(text("SELECT max(id) FROM enterprises"))
        ids = [rng.randint(1, top) for _ in range(per_kind * 3)]
        rows = conn.execute(
            text("SELECT uscc, name, name_pinyin, name_initials FROM enterprises "
                 "WHERE id IN (" + ",".join(map(str, ids)) + ")")).all()
        rng.shuffle(rows)
        self.rows = rows[:per_kind]

    def fragment(self, name: str, n: int) -> str:
        """``n`` characters of the name after the place name, where names differ."""
        start = self.rng.randint(min(3, len(name) - n), len(name) - n)
        return name[start:start + n]

    def letters(self, row, n: int) -> str:
        """The first ``n`` letters of the pinyin from one of its syllables."""
        syllables = row.name_pinyin.split("|")[0].split()
        i = self.rng.randrange(0, max(1, len(syllables) - 3))
        return "".join(syllables[i:])[:n]

    def initials(self, row) -> str:
        """3 or 4 of the initials, from one of them."""
        first = row.name_initials.split("|")[0]
        i = self.rng.randrange(0, max(1, len(first) - 3))
        return first[i:i + self.rng.choice((3, 4))]

    def uscc_prefix(self, row) -> str:
        return row.uscc[:self.rng.randint(8, 12)]
