"""Benchmark: demo archive -> file -> validate -> import -> regrade -> grade JSON -> export.

Prints wall time, throughput and peak memory for each step, on a fresh database:

    .venv/bin/python bench/archive_scale.py --enterprises 100000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/archive_scale.py --enterprises 1000000

Peak memory (ru_maxrss) only grows, so each figure is the high-water mark so far: a step that
loaded the whole document would show as a jump.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step(label: str, n: int, started: float) -> None:
    took = time.perf_counter() - started
    print(f"{label:<28} {took:8.1f} s  {n / took:10,.0f} enterprises/s  peak {peak_mb():7.0f} MB",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n = args.enterprises
    workdir = Path(tempfile.mkdtemp(prefix="jms-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.db'}")

    from sqlalchemy import text

    from credit.extensions import db
    from credit.services.demo import generate_archive
    from credit.services.exchange import validate_file, write_archive
    from credit.services.exporter import iter_archive
    from credit.services.grading import GradeTrigger, iter_assessments, regrade_all
    from credit.services.importer import load_archive
    from credit.services.schema import upgrade_schema
    from wsgi import create_app

    today = dt.date(2026, 10, 15)
    app = create_app({"CREDIT_TODAY": today})
    print(f"{n:,} enterprises, seed {args.seed}, database {os.environ['DATABASE_URL']}")
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade_schema()
        path = workdir / "archive.json"

        started = time.perf_counter()
        with path.open("w", encoding="utf-8") as out:
            write_archive(out, generate_archive(n, args.seed, today))
        step("generate file", n, started)
        print(f"{'':<28} file size {path.stat().st_size / 1e6:,.0f} MB")

        started = time.perf_counter()
        survey = validate_file(str(path), today)
        assert not survey.problems, survey.problems.items[:5]
        step(f"validate ({survey.records:,} records)", n, started)

        started = time.perf_counter()
        load_archive(str(path), today=today, source="bench")
        db.session.commit()
        step("import + grade", n, started)

        # Every enterprise renamed: one audited change per enterprise (the per-row audit path).
        renamed = workdir / "renamed.json"
        with renamed.open("w", encoding="utf-8") as out:
            write_archive(out, ({**e, "name": e["name"] + "（更名）"}
                                for e in generate_archive(n, args.seed, today)))
        started = time.perf_counter()
        load_archive(str(renamed), today=today, source="bench")
        db.session.commit()
        step("re-import, all renamed", n, started)

        started = time.perf_counter()
        result = regrade_all(as_of=dt.date(2027, 1, 1), cause=GradeTrigger.YEAR_ROLLOVER)
        db.session.commit()
        step(f"regrade ({result.changed:,} changed)", n, started)

        started = time.perf_counter()
        sink = io.StringIO()
        for uscc, assessment in iter_assessments(today):
            sink.write(uscc + assessment.grade)
        step("grade --json (evaluate)", n, started)

        started = time.perf_counter()
        with (workdir / "export.json").open("w", encoding="utf-8") as out:
            write_archive(out, iter_archive())
        step("export", n, started)
    print(f"work files in {workdir}")


if __name__ == "__main__":
    main()
