"""Benchmark: machine instructions a public request costs the app, counted by callgrind.

Timings on a shared machine drift by a third within minutes; instruction counts do not: the
same code, data and requests give the same count, whatever else the machine is doing. This
runs the app in-process (its WSGI callable, no HTTP server) under ``valgrind --tool=callgrind``,
one kind of request at a time, and counts only the requests themselves (warmed up first, then
counted between two toggles of callgrind's collection). It prints instructions a request and
the ratio to the bare endpoint (``/_bare``, a constant template): the figure to watch when
making a page cheaper. Over HTTP a request also costs the server's and the client's own work,
the same for every kind (``bench/portal_http.py`` measures that, and the throughput).

    .venv/bin/python bench/portal_instructions.py                        # 20,000 enterprises
    DATABASE_URL=sqlite:////path/m1.db .venv/bin/python bench/portal_instructions.py \\
        --enterprises 1000000

Needs valgrind and a C compiler (for callgrind's client requests). The database is built
once (``credit init``, ``credit demo``) and reused while it holds the requested number of
enterprises.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from samples import Sample, enterprise_count, flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ("bare endpoint", "search 2 chars", "search 4 chars", "search pinyin 2",
         "search pinyin 6", "search initials", "search USCC prefix", "enterprise page",
         "A list", "D list")
# callgrind's client requests, from valgrind's own header.
HELPER = """#include <valgrind/callgrind.h>
void toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
void dump(void) { CALLGRIND_DUMP_STATS; }
"""


def urls(kind: str, per_kind: int, seed: int) -> list[str]:
    """``per_kind`` requests of one kind, drawn from the data as bench/portal_http.py does."""
    from sqlalchemy import create_engine, text

    from credit.config import normalise_database_url

    engine = create_engine(normalise_database_url(os.environ["DATABASE_URL"]))
    with engine.connect() as conn:
        sample = Sample(conn, per_kind, random.Random(seed))
        listed = {k: conn.scalar(text("SELECT count(*) FROM listings WHERE kind = :k "
                                      "AND removed_on IS NULL"), {"k": k}) for k in "AD"}
    engine.dispose()

    def search(q: str) -> str:
        return "/search?" + urllib.parse.urlencode({"q": q})

    rows = sample.rows
    pages = {k: max(1, (n + 19) // 20) for k, n in listed.items()}
    return {
        "bare endpoint": lambda: ["/_bare"] * per_kind,
        "search 2 chars": lambda: [search(sample.fragment(r.name, 2)) for r in rows],
        "search 4 chars": lambda: [search(sample.fragment(r.name, 4)) for r in rows],
        "search pinyin 2": lambda: [search(sample.letters(r, 2)) for r in rows],
        "search pinyin 6": lambda: [search(sample.letters(r, 6)) for r in rows],
        "search initials": lambda: [search(sample.initials(r)) for r in rows],
        "search USCC prefix": lambda: [search(sample.uscc_prefix(r)) for r in rows],
        "enterprise page": lambda: [f"/enterprises/{r.uscc}" for r in rows],
        "A list": lambda: [f"/listings/a?page={i % pages['A'] + 1}" for i in range(per_kind)],
        "D list": lambda: [f"/listings/d?page={i % pages['D'] + 1}" for i in range(per_kind)],
    }[kind]()


def child(kind: str, per_kind: int, seed: int, helper: str) -> None:
    """Under callgrind: warm up on the requests, then count them."""
    from werkzeug.test import EnvironBuilder

    from wsgi import create_app

    callgrind = ctypes.CDLL(helper)
    app = create_app()
    environs = []
    for url in urls(kind, per_kind, seed):
        path, _, query = url.partition("?")
        environs.append(EnvironBuilder(path=path, query_string=query).get_environ())

    def call(environ: dict) -> None:
        status = []
        body = app.wsgi_app(dict(environ), lambda s, h, e=None: status.append(s))
        b"".join(body)
        getattr(body, "close", lambda: None)()
        if not status[0].startswith("200"):
            sys.exit(f"{status[0]} for {environ['PATH_INFO']}?{environ['QUERY_STRING']}")

    for environ in environs:
        call(environ)
    callgrind.toggle()
    for environ in environs:
        call(environ)
    callgrind.toggle()
    callgrind.dump()


def count(kind: str, per_kind: int, seed: int, helper: str, workdir: str) -> int:
    out = Path(workdir) / f"callgrind.{KINDS.index(kind)}"
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--collect-atstart=no",
         f"--callgrind-out-file={out}.%p", sys.executable, __file__, "--child", kind,
         "--per-kind", str(per_kind), "--seed", str(seed), "--helper", helper],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total = 0
    for dump in Path(workdir).glob(f"{out.name}.*"):
        for line in dump.read_text().splitlines():
            if line.startswith("totals:"):
                total += int(line.split()[1])
    return total // per_kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--per-kind", type=int, default=60, help="requests counted a kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--helper", help=argparse.SUPPRESS)
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'bench_portal.db'}")
    os.environ.update(RATELIMIT_ENABLED="0",
                      SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-portal")
    if args.child:
        return child(args.child, args.per_kind, args.seed, args.helper)

    for tool in ("valgrind", "cc"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: this benchmark needs valgrind and a C compiler")
    have = enterprise_count(os.environ["DATABASE_URL"])
    if have != args.enterprises:
        if have:
            sys.exit(f"{os.environ['DATABASE_URL']} holds {have:,} enterprises, not "
                     f"{args.enterprises:,}: use another DATABASE_URL or empty it")
        print(f"building the demo database ({args.enterprises:,} enterprises) ...", flush=True)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        flask("init", env=env)
        flask("demo", "--enterprises", str(args.enterprises), "--seed", str(args.seed), env=env)

    kinds = [k.strip() for k in args.kinds.split(",")]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        sys.exit(f"unknown kinds {unknown}; choose from {', '.join(KINDS)}")
    with tempfile.TemporaryDirectory() as workdir:
        helper = str(Path(workdir) / "callgrind_helper.so")
        source = Path(workdir) / "callgrind_helper.c"
        source.write_text(HELPER)
        subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", helper, str(source)], check=True)
        print(f"\n{args.enterprises:,} enterprises, "
              f"{os.environ['DATABASE_URL'].split('://')[0]}, {args.per_kind} requests a kind, "
              "in-process, instructions counted by callgrind", flush=True)
        print(f"\n{'kind':<20} {'instructions a request':>24} {'vs bare':>8}", flush=True)
        bare = None
        for kind in ["bare endpoint", *[k for k in kinds if k != "bare endpoint"]]:
            started = time.perf_counter()
            n = count(kind, args.per_kind, args.seed, helper, workdir)
            bare = bare or n
            print(f"{kind:<20} {n:>24,} {n / bare:>7.1f}x   "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
