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
import sys
import time
from pathlib import Path

from samples import Sample, enterprise_count, flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMON = ("有限", "公司", "食品", "佳木", "木斯")


def sample_queries(per_kind: int, seed: int) -> dict[str, list[str]]:
    from credit.extensions import db

    sample = Sample(db.session, per_kind, random.Random(seed))
    rows = sample.rows
    return {
        "2 chars, common": [COMMON[n % len(COMMON)] for n in range(per_kind)],
        "2 chars, from a name": [sample.fragment(r.name, 2) for r in rows],
        "4 chars": [sample.fragment(r.name, 4) for r in rows],
        "pinyin 2 letters": [sample.letters(r, 2) for r in rows],
        "pinyin 6 letters": [sample.letters(r, 6) for r in rows],
        "initials": [sample.initials(r) for r in rows],
        "USCC prefix": [sample.uscc_prefix(r) for r in rows],
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
    have = enterprise_count(os.environ["DATABASE_URL"])
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
        have = enterprise_count(os.environ["DATABASE_URL"])
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
