"""Benchmark: draw, verify and export a random inspection plan over N graded enterprises.

Builds a database of N enterprises with stored grades (written straight into the tables in
batches: the draw reads only districts and grades, so no records are needed), 20 inspectors
per jurisdiction, then times one plan over all 11 jurisdictions, a second plan the month after
(which reads the teams of the first), the verification and the Excel export:

    nice .venv/bin/python bench/plan_scale.py --enterprises 1000000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_supervision \\
        nice .venv/bin/python bench/plan_scale.py --enterprises 1000000

``--reuse`` keeps a database built by an earlier run of the same size (its plans are removed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHARES = (("A", 0.63), ("B", 0.21), ("C", 0.12), ("D", 0.04))  # about the demo archive's
POOL = 20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_cpu_mark = [0.0]


def report(label: str, started: float, extra: str = "") -> float:
    """Wall time since ``started``, and this process's CPU time since the last report (on a
    shared machine the CPU time is what the step would take alone)."""
    took = time.perf_counter() - started
    cpu = time.process_time() - _cpu_mark[0]
    _cpu_mark[0] = time.process_time()
    print(f"{label:<34} {took:8.2f} s wall {cpu:8.2f} s cpu  peak {peak_mb():6.0f} MB  {extra}",
          flush=True)
    return took


def build(n: int, seed: int) -> None:
    from sqlalchemy import text

    from credit.extensions import db
    from credit.models import Enterprise, Grade
    from credit.names import pinyin_columns, search_document
    from credit.permissions import OPERATOR
    from credit.services.bulk import insert_rows
    from credit.services.inspectors import add_inspector
    from credit.uscc import make_uscc
    from credit.vocabulary import DISTRICTS

    rng = random.Random(seed)
    started = time.perf_counter()
    size = 10_000
    dialect = db.engine.dialect.name
    for start in range(0, n, size):
        enterprises, grades = [], []
        for i in range(start + 1, min(n, start + size) + 1):
            name, district = f"基准企业{i}号有限公司", DISTRICTS[i % len(DISTRICTS)]
            columns = pinyin_columns(name)
            enterprises.append({
                "id": i, "uscc": make_uscc("91", "230800", f"{i:08d}"),
                "name": name, "district": district,
                "established_on": dt.date(2015, 1, 1), "qualification": "valid",
                "products": [], **columns,
                # a Core insert: it gives the search terms as the importer does
                "search_terms": search_document(name, columns["name_pinyin"],
                                                columns["name_initials"], district, dialect),
            })
            pick = rng.random()
            grade = next((g for g, share in _cumulative() if pick < share), "D")
            grades.append({"enterprise_id": i, "grade": grade, "reasons": [], "unmet": [],
                           "rulebook": "JMS-2020-42/1", "since": dt.date(2026, 1, 1)})
        insert_rows(Enterprise.__table__, enterprises)
        insert_rows(Grade.__table__, grades)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval('enterprises_id_seq', :n)"), {"n": n})
        db.session.execute(text("ANALYZE"))
    for district in DISTRICTS:
        for k in range(POOL):
            add_inspector(OPERATOR, badge_no=f"{DISTRICTS.index(district):02d}-{k:03d}",
                          name=f"{district}检查员{k}", jurisdiction=district)
    db.session.commit()
    report(f"build {n:,} enterprises + grades", started)


def _cumulative():
    total = 0.0
    for grade, share in SHARES:
        total += share
        yield grade, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true",
                        help="keep an existing database of this size")
    args = parser.parse_args()
    n = args.enterprises
    workdir = Path(tempfile.mkdtemp(prefix="jms-plan-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.db'}")

    from sqlalchemy import delete, func, select, text

    from credit.extensions import db
    from credit.models import (
        Enterprise,
        InspectionPlan,
        PlanItem,
        PlanJurisdiction,
        PlanStratum,
    )
    from credit.permissions import OPERATOR
    from credit.services.plan_workbook import export_plan
    from credit.services.plans import create_plan, draw_plan, verify_plan
    from credit.services.schema import upgrade_schema
    from credit.vocabulary import DISTRICTS
    from wsgi import create_app

    app = create_app({"CREDIT_TODAY": dt.date(2026, 10, 15)})
    print(f"{n:,} enterprises, database {os.environ['DATABASE_URL']}")
    with app.app_context():
        existing = 0
        if args.reuse:
            try:
                existing = db.session.scalar(select(func.count()).select_from(Enterprise)) or 0
            except Exception:  # no schema yet
                db.session.rollback()
        if existing != n:
            if db.engine.dialect.name == "postgresql":
                db.drop_all()
                with db.engine.begin() as conn:
                    conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            upgrade_schema()
            build(n, args.seed)
        else:
            for model in (PlanItem, PlanStratum, PlanJurisdiction, InspectionPlan):
                db.session.execute(delete(model))
            db.session.execute(text("DELETE FROM audit_entries WHERE object_type LIKE "
                                    "'inspection_plan%'"))
            db.session.commit()
            print(f"reusing the database ({existing:,} enterprises)")
        _cpu_mark[0] = time.process_time()

        started = time.perf_counter()
        plan = create_plan(OPERATOR, period="2026-11", jurisdictions=list(DISTRICTS),
                           seed="bench")
        selection = draw_plan(OPERATOR, plan)
        db.session.commit()
        stored = db.session.scalar(select(func.sum(func.length(PlanStratum.usccs))).where(
            PlanStratum.plan_id == plan.id))
        report("draw (create + draw + commit)", started,
               f"{plan.eligible_count:,} eligible, {len(selection):,} drawn, "
               f"lists {stored / 1e6:.1f} MB compressed")

        started = time.perf_counter()
        second = create_plan(OPERATOR, period="2026-12", jurisdictions=list(DISTRICTS),
                             seed="bench-2")
        draw_plan(OPERATOR, second)
        db.session.commit()
        report("second month (reads last teams)", started,
               f"{second.selected_count:,} drawn")

        started = time.perf_counter()
        result = verify_plan(OPERATOR, plan)
        report("verify", started, "same selection" if result.ok else str(result.problems[:3]))

        started = time.perf_counter()
        out = workdir / "plan.xlsx"
        with out.open("wb") as f:
            rows = export_plan(OPERATOR, plan, f)
        db.session.commit()
        report("export to Excel (write-only)", started,
               f"{rows:,} rows, {out.stat().st_size / 1e6:.1f} MB")
    print(f"work files in {workdir}")


if __name__ == "__main__":
    main()
