"""Benchmark: the public site over HTTP, against gunicorn on 127.0.0.1.

Serves the app with gunicorn on a database holding the demo archive and the demo's listings,
then loads it with concurrent clients, one kind of request at a time, the kinds taking turns in
a few rounds (so that a machine whose speed drifts slows them alike), and prints the median and
95th-percentile latency and the throughput of each kind, side by side with a bare endpoint of
the same app that renders a constant template (``/_bare``): the cost of the framework alone.
It also prints the CPU time a request cost the app server's processes (SQLite's work included),
the PostgreSQL backends and the client threads (Linux), which says where throughput goes.

    .venv/bin/pip install -e '.[deploy]'       # gunicorn
    .venv/bin/python bench/portal_http.py --enterprises 1000000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/portal_http.py --enterprises 1000000

The database is built once (``credit init``, ``credit demo``: the archive, its grades and the
demo's walk through the workflows) and reused while it holds the requested number of
enterprises. Rate limits are switched off for the run (every request comes from one address).
Targets (docs/benchmarks.md): search p95 under 50 ms and at least half the bare endpoint's
throughput; pages p95 under 30 ms.

``--search-floor`` serves ``bench/search_floor.py`` instead: every search page reads its 20
enterprises by primary key rather than searching, all else as it is. Its share of the bare
endpoint is the most any index could give a search with this app on this machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from samples import Sample, enterprise_count, flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

SEARCH_KINDS = ("search 2 chars", "search 4 chars", "search pinyin 2", "search pinyin 6",
                "search initials", "search USCC prefix")
PAGE_KINDS = ("enterprise page", "A list", "D list")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sample_urls(env: dict, per_kind: int, seed: int) -> dict[str, list[str]]:
    """Realistic requests of each kind, drawn from the data itself."""
    from sqlalchemy import create_engine, text

    from credit.config import normalise_database_url
    from credit.vocabulary import DISTRICTS

    rng = random.Random(seed)
    engine = create_engine(normalise_database_url(env["DATABASE_URL"]))
    with engine.connect() as conn:
        sample = Sample(conn, per_kind, rng)
        pages = {kind: conn.scalar(text(
            "SELECT count(*) FROM listings WHERE kind = :k AND removed_on IS NULL"), {"k": kind})
            for kind in ("A", "D")}
    engine.dispose()

    def search(q: str) -> str:
        return "/search?" + urllib.parse.urlencode({"q": q})

    rows = sample.rows
    urls = {
        "bare endpoint": ["/_bare"] * per_kind,
        "search 2 chars": [search(sample.fragment(r.name, 2)) for r in rows],
        "search 4 chars": [search(sample.fragment(r.name, 4)) for r in rows],
        "search pinyin 2": [search(sample.letters(r, 2)) for r in rows],
        "search pinyin 6": [search(sample.letters(r, 6)) for r in rows],
        "search initials": [search(sample.initials(r)) for r in rows],
        "search USCC prefix": [search(sample.uscc_prefix(r)) for r in rows],
        "enterprise page": [f"/enterprises/{r.uscc}" for r in rows],
    }
    for kind, label in (("A", "A list"), ("D", "D list")):
        last = max(1, (pages[kind] + 19) // 20)
        urls[label] = [
            f"/listings/{kind.lower()}?"
            + urllib.parse.urlencode({"page": rng.randint(1, last)}
                                     | ({"district": rng.choice(DISTRICTS)} if rng.random() < 0.3
                                        else {}))
            for _ in rows]
    return urls


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of(server_group: int, database: str | None) -> tuple[float, float]:
    """CPU seconds used so far by the app server's processes (gunicorn's process group) and
    by the PostgreSQL backends serving ``database`` (Linux /proc; zeros elsewhere)."""
    app = db = 0.0
    if not os.path.isdir("/proc"):
        return app, db
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) == server_group:
                app += _cpu_seconds(int(entry))
            elif database:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    command = f.read().decode(errors="replace")
                if command.startswith("postgres:") and f" {database} " in command:
                    db += _cpu_seconds(int(entry))
        except (OSError, ProcessLookupError):  # gone meanwhile
            continue
    return app, db


def load(port: int, urls: list[str], concurrency: int, seconds: float, start: int = 0) -> dict:
    """Send the URLs round-robin (from ``urls[start]``) from ``concurrency`` threads for
    ``seconds``: the latencies, the time taken and the non-200 answers."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    counter = iter(range(start, 10**9))

    def worker() -> None:
        mine, bad = [], []
        while time.perf_counter() < deadline:
            url = urls[next(counter) % len(urls)]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            started = time.perf_counter()
            conn.request("GET", url)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            conn.close()
            if response.status != 200:
                bad.append(f"{response.status} {url}")
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies": latencies, "took": time.perf_counter() - started, "errors": errors}


class Tally:
    """One kind's requests over every round, and the CPU they cost."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.took = self.app = self.db = self.client = 0.0
        self.errors: list[str] = []

    def add(self, run: dict, app: float, db: float, client: float) -> None:
        self.latencies += run["latencies"]
        self.took += run["took"]
        self.errors += run["errors"]
        self.app, self.db, self.client = self.app + app, self.db + db, self.client + client

    @property
    def n(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.n / self.took

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(p * (len(ordered) - 1))] * 1000

    def per_request(self, seconds: float) -> float:
        return seconds / self.n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--seconds", type=float, default=10.0, help="per kind of request")
    parser.add_argument("--rounds", type=int, default=5,
                        help="the kinds take turns this many times, seconds/rounds each")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--search-floor", action="store_true",
                        help="serve bench/search_floor.py: each search page reads its 20 "
                             "enterprises by primary key instead of searching (the most an "
                             "index could give)")
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'bench_portal.db'}")
    env.update(RATELIMIT_ENABLED="0", SECRET_KEY=env.get("SECRET_KEY") or "bench-portal",
               PYTHONPATH=str(ROOT))
    have = enterprise_count(env["DATABASE_URL"])
    if have != args.enterprises:
        if have:
            sys.exit(f"{env['DATABASE_URL']} holds {have:,} enterprises, not "
                     f"{args.enterprises:,}: use another DATABASE_URL or empty it")
        print(f"building the demo database ({args.enterprises:,} enterprises) ...", flush=True)
        started = time.perf_counter()
        flask("init", env=env)
        flask("demo", "--enterprises", str(args.enterprises), "--seed", str(args.seed), env=env)
        print(f"built in {time.perf_counter() - started:,.0f} s", flush=True)

    gunicorn = BIN / "gunicorn"
    if not gunicorn.exists():
        sys.exit("gunicorn is missing: .venv/bin/pip install -e '.[deploy]'")
    port = free_port()
    server = subprocess.Popen(
        [str(gunicorn), "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--log-level",
         "warning", "search_floor:create_app()" if args.search_floor else "wsgi:create_app()"],
        cwd=ROOT, env=env | {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}"},
        start_new_session=True)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/_bare")
                break
            except OSError:
                time.sleep(0.2)
        urls = sample_urls(env, 400, args.seed)
        for kind_urls in urls.values():  # warm every worker's caches and connections
            load(port, kind_urls[:40], args.concurrency, 0.5)
        print(f"\n{args.enterprises:,} enterprises, {env['DATABASE_URL'].split('://')[0]}, "
              f"gunicorn -w {args.workers}, {args.concurrency} concurrent clients, "
              f"{args.seconds:g} s per kind in {args.rounds} rounds"
              + (", the search statement replaced by a read of each page by primary key "
                 "(--search-floor)" if args.search_floor else ""), flush=True)
        database = (urllib.parse.urlsplit(env["DATABASE_URL"]).path.lstrip("/") or None
                    if env["DATABASE_URL"].startswith("postgres") else None)
        # The kinds take turns, a slice each per round: a machine whose speed drifts (a shared
        # one does, by a third within minutes) then slows every kind alike, the bare endpoint
        # included, and the ratios to it hold.
        tallies = {kind: Tally() for kind in urls}
        for _ in range(args.rounds):
            for kind, kind_urls in urls.items():
                tally = tallies[kind]
                app0, db0 = cpu_of(server.pid, database)
                client0 = time.process_time()
                run = load(port, kind_urls, args.concurrency, args.seconds / args.rounds,
                           start=tally.n)
                app1, db1 = cpu_of(server.pid, database)
                tally.add(run, app1 - app0, db1 - db0, time.process_time() - client0)
        print(f"\n{'kind':<20} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} "
              f"{'vs bare':>8}   CPU ms a request: {'app':>5} {'db':>5} {'client':>6}")
        bare = tallies["bare endpoint"].rps
        for kind, t in tallies.items():
            print(f"{kind:<20} {t.n:>9,} {t.percentile(0.5):>8.1f} {t.percentile(0.95):>8.1f} "
                  f"{t.rps:>8.0f} {t.rps / bare:>8.0%}   {'':>18}{t.per_request(t.app):>5.2f} "
                  f"{t.per_request(t.db):>5.2f} {t.per_request(t.client):>6.2f}")
            for error in t.errors[:3]:
                print(f"    error: {error}")
        print()
        for kind in SEARCH_KINDS:
            t = tallies[kind]
            ok = t.percentile(0.95) < 50 and t.rps >= bare / 2
            print(f"{'meets' if ok else 'MISSES'} the search target: {kind}")
        for kind in PAGE_KINDS:
            ok = tallies[kind].percentile(0.95) < 30
            print(f"{'meets' if ok else 'MISSES'} the page target: {kind}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
