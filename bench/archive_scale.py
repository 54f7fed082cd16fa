"""Benchmark: demo archive -> file -> validate -> import -> regrade -> verify -> export.

Prints wall time, throughput, CPU time and peak memory for each step, on a fresh database:

    .venv/bin/python bench/archive_scale.py --enterprises 100000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/archive_scale.py --enterprises 1000000

CPU is this process's time only (not the database server's); it varies less than wall time on
a shared machine. Peak memory (ru_maxrss) only grows, so each figure is the high-water mark so
far: a step that loaded the whole document would show as a jump.
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


def clock() -> tuple[float, float]:
    """Wall time and this process's CPU time (steadier on a shared machine)."""
    return time.perf_counter(), time.process_time()


def step(label: str, n: int, started: tuple[float, float]) -> None:
    took, cpu = (now - then for now, then in zip(clock(), started, strict=True))
    print(f"{label:<30} {took:8.1f} s  {n / took:10,.0f} enterprises/s  cpu {cpu:7.1f} s  "
          f"peak {peak_mb():5.0f} MB", flush=True)


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

        started = clock()
        with path.open("w", encoding="utf-8") as out:
            write_archive(out, generate_archive(n, args.seed, today))
        step("generate file", n, started)
        print(f"{'':<28} file size {path.stat().st_size / 1e6:,.0f} MB")

        started = clock()
        survey = validate_file(str(path), today)
        assert not survey.problems, survey.problems.items[:5]
        step(f"validate ({survey.records:,} records)", n, started)

        started = clock()
        load_archive(str(path), today=today, source="bench")
        db.session.commit()
        step("import + grade", n, started)

        # Every enterprise renamed: one audited change per enterprise (the per-row audit path).
        renamed = workdir / "renamed.json"
        with renamed.open("w", encoding="utf-8") as out:
            write_archive(out, ({**e, "name": e["name"] + "（更名）"}
                                for e in generate_archive(n, args.seed, today)))
        started = clock()
        load_archive(str(renamed), today=today, source="bench")
        db.session.commit()
        step("re-import, all renamed", n, started)

        started = clock()
        result = regrade_all(as_of=dt.date(2027, 1, 1), cause=GradeTrigger.YEAR_ROLLOVER)
        db.session.commit()
        step(f"regrade ({result.changed:,} changed)", n, started)

        from credit.services import audit

        if hasattr(audit, "check"):  # (so that the script also runs on older code)
            started = clock()
            report = audit.check()
            assert report.broken is None, report.broken
            step(f"audit verify ({report.entries:,} entries)", n, started)

        started = clock()
        sink = io.StringIO()
        for uscc, assessment in iter_assessments(today):
            sink.write(uscc + assessment.grade)
        step("grade --json (evaluate)", n, started)

        started = clock()
        with (workdir / "export.json").open("w", encoding="utf-8") as out:
            write_archive(out, iter_archive())
        step("export", n, started)
    print(f"work files in {workdir}")


if __name__ == "__main__":
    main()
