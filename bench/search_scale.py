"""Benchmark: the public search service in-process, on a large demo archive.

Times ``credit.services.search.search_enterprises`` (page 1, 20 a page) for each kind of query,
with and without the district filter, and prints the median and 95th percentile in ms:

    .venv/bin/python bench/search_scale.py --enterprises 100000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_search \\
        .venv/bin/python bench/search_scale.py --enterprises 100000 --reuse

The database (``DATABASE_URL``, default ``instance/bench_search.db``) is built with
``credit init`` and ``credit demo --enterprises N`` unless ``--reuse`` is given and it holds
enterprises already (then it is only brought to the newest schema: the search migration fills
the index of an existing archive). Queries are drawn from the data with a fixed seed. Target
(docs/search.md): p95 under 20 ms at 1,000,000 enterprises.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

COMMON = ("有限", "公司", "食品", "佳木", "木斯")


def flask(*args: str, env: dict) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "credit", *args], cwd=ROOT, env=env,
                   check=True)


def enterprise_count() -> int:
    from sqlalchemy import create_engine, text

    from credit.config import normalise_database_url

    engine = create_engine(normalise_database_url(os.environ["DATABASE_URL"]))
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM enterprises")) or 0
    except Exception:  # no schema yet
        return 0
    finally:
        engine.dispose()


def sample_queries(per_kind: int, seed: int) -> dict[str, list[str]]:
    from sqlalchemy import text

    from credit.extensions import db

    rng = random.Random(seed)
    top = db.session.scalar(text("SELECT max(id) FROM enterprises"))
    ids = [rng.randint(1, top) for _ in range(per_kind * 3)]
    rows = db.session.execute(
        text("SELECT uscc, name, name_pinyin, name_initials FROM enterprises "
             "WHERE id IN (" + ",".join(map(str, ids)) + ")")).all()
    rng.shuffle(rows)
    rows = rows[:per_kind]

    def fragment(name: str, n: int) -> str:
        # a piece after the place name, where names differ
        start = rng.randint(min(3, len(name) - n), len(name) - n)
        return name[start:start + n]

    def letters(row, n: int) -> str:
        syllables = row.name_pinyin.split("|")[0].split()
        i = rng.randrange(0, max(1, len(syllables) - 3))
        return "".join(syllables[i:])[:n]

    def initials(row) -> str:
        first = row.name_initials.split("|")[0]
        i = rng.randrange(0, max(1, len(first) - 3))
        return first[i:i + rng.choice((3, 4))]

    return {
        "2 chars, common": [COMMON[n % len(COMMON)] for n in range(per_kind)],
        "2 chars, from a name": [fragment(r.name, 2) for r in rows],
        "4 chars": [fragment(r.name, 4) for r in rows],
        "pinyin 2 letters": [letters(r, 2) for r in rows],
        "pinyin 6 letters": [letters(r, 6) for r in rows],
        "initials": [initials(r) for r in rows],
        "USCC prefix": [r.uscc[:rng.randint(8, 12)] for r in rows],
    }


def measure(queries: list[str], district_of, rounds: int) -> tuple[float, float, int]:
    from credit.extensions import db
    from credit.services.search import search_enterprises

    times = []
    served = 0
    for n in range(rounds):
        for i, q in enumerate(queries):
            started = time.perf_counter()
            page = search_enterprises(q, district=district_of(i))
            took = time.perf_counter() - started
            if n:  # the first round warms the caches
                times.append(took)
                served += len(page.items)
            db.session.remove()
    times.sort()
    return (statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000,
            served)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true",
                        help="use the database as it is when it holds enterprises")
    parser.add_argument("--queries", type=int, default=100, help="per kind")
    parser.add_argument("--rounds", type=int, default=3, help="the first one warms up")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'bench_search.db'}")
    os.environ.setdefault("SECRET_KEY", "bench-search")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    have = enterprise_count()
    if have and args.reuse:
        flask("init", env=env)  # the newest schema (the search migration fills the index)
    elif have != args.enterprises or not have:
        if have:
            sys.exit(f"{os.environ['DATABASE_URL']} holds {have:,} enterprises, not "
                     f"{args.enterprises:,}: use --reuse, another DATABASE_URL, or empty it")
        print(f"building the demo database ({args.enterprises:,} enterprises) ...", flush=True)
        started = time.perf_counter()
        flask("init", env=env)
        flask("demo", "--enterprises", str(args.enterprises), "--seed", str(args.seed), env=env)
        print(f"built in {time.perf_counter() - started:,.0f} s", flush=True)

    from credit.config import Config
    from credit.vocabulary import DISTRICTS
    from wsgi import create_app

    app = create_app(Config)
    with app.app_context():
        have = enterprise_count()
        queries = sample_queries(args.queries, args.seed)
        rng = random.Random(args.seed)
        districts = [rng.choice(DISTRICTS) for _ in range(args.queries)]
        print(f"{app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}, {have:,} enterprises, "
              f"{args.queries} queries a kind, {args.rounds - 1} timed rounds")
        print(f"{'query':24} {'p50 ms':>8} {'p95 ms':>8} {'+district p50':>14} {'p95':>8}")
        for kind, qs in queries.items():
            p50, p95, _ = measure(qs, lambda _i: None, args.rounds)
            d50, d95, _ = measure(qs, lambda i: districts[i], args.rounds)
            print(f"{kind:24} {p50:8.2f} {p95:8.2f} {d50:14.2f} {d95:8.2f}", flush=True)


if __name__ == "__main__":
    main()
