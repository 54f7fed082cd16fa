"""Benchmark: the public search service in-process, on a large demo archive.

Times ``credit.services.search.search_enterprises`` (page 1, 20 a page) for each kind of query,
with and without the district filter, as a public request runs it (reading without a
transaction, on the request's reading connection), and prints the median and 95th percentile in
ms and, on a PostgreSQL server on this machine, the CPU ms its backend spent a search ("server",
read from ``/proc`` in 10 ms ticks: a few hundred searches a figure):

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


def _backend_cpu(raw, dialect: str):
    """A function giving the CPU seconds the PostgreSQL backend serving ``raw`` has used so
    far, read from ``/proc`` (the server on this machine); None otherwise."""
    if dialect != "postgresql":
        return None
    stat = Path(f"/proc/{raw.info.backend_pid}/stat")
    if not stat.exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def seconds() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    return seconds


def measure(queries: list[str], district_of, rounds: int
            ) -> tuple[float, float, float | None]:
    """Median and 95th percentile ms of a search, and the PostgreSQL backend's CPU ms a search
    (None on SQLite, whose work is in the times). Each round runs as a public request does:
    reading without a transaction, on the request's reading connection."""
    from flask import current_app

    from credit.extensions import (
        db,
        driver_connection,
        end_read_without_transaction,
        read_without_transaction,
    )
    from credit.services.search import search_enterprises

    db.session.remove()  # a session holding a connection would lend it to the search
    times = []
    server = 0.0
    for n in range(rounds):
        with current_app.test_request_context("/search"):
            read_without_transaction()
            backend = _backend_cpu(*driver_connection())
            before = backend() if backend else 0.0
            for i, q in enumerate(queries):
                started = time.perf_counter()
                search_enterprises(q, district=district_of(i))
                took = time.perf_counter() - started
                if n:  # the first round warms the caches
                    times.append(took)
            if n and backend:
                server += backend() - before
            end_read_without_transaction()
    times.sort()
    return (statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000,
            server * 1000 / len(times) if backend else None)


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
        print(f"{'query':24} {'p50 ms':>8} {'p95 ms':>8} {'server':>7} "
              f"{'+district p50':>14} {'p95':>8} {'server':>7}")

        def cpu(ms: float | None) -> str:
            return "-" if ms is None else f"{ms:.2f}"

        for kind, qs in queries.items():
            p50, p95, server = measure(qs, lambda _i: None, args.rounds)
            d50, d95, d_server = measure(qs, lambda i: districts[i], args.rounds)
            print(f"{kind:24} {p50:8.2f} {p95:8.2f} {cpu(server):>7} "
                  f"{d50:14.2f} {d95:8.2f} {cpu(d_server):>7}", flush=True)


if __name__ == "__main__":
    main()
