"""Benchmark: the staff backend's pages on a large archive, through the Flask test client.

Builds (or reuses) a demo archive of N enterprises, then times each page as the city
administrator and as a district recorder: the enterprise list, filtered and searched lists, an
enterprise page, the records list, the audit log, the queues and the dashboard. Prints the
median and the slowest of several runs per page, and with --explain the query plans of the
list queries.

    .venv/bin/python bench/admin_scale.py --enterprises 200000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_admin \\
        .venv/bin/python bench/admin_scale.py --enterprises 200000 --explain

Without DATABASE_URL the archive is an SQLite file in the temporary directory, kept between
runs (--fresh rebuilds it). Building it costs about as long as ``credit import`` of the same
size (bench/archive_scale.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TODAY = dt.date(2026, 10, 15)


def build(n: int, seed: int) -> None:
    """Fill an empty database with the demo archive (graded) and two staff accounts."""
    from credit.extensions import db
    from credit.services.demo import generate_archive
    from credit.services.importer import write_enterprises

    started = time.perf_counter()
    done = 0

    def progress(k: int) -> None:
        nonlocal done
        done += k
        if done % 20000 < k:
            rate = done / (time.perf_counter() - started)
            print(f"  building: {done:,} enterprises ({rate:,.0f}/s)", flush=True)
            db.session.commit()

    write_enterprises(generate_archive(n, seed, TODAY), today=TODAY, source="bench",
                      progress=progress)
    db.session.commit()
    print(f"  built in {time.perf_counter() - started:,.0f} s", flush=True)


def bench_accounts():
    """The city administrator and the 桦南县 recorder the pages are requested as (created on a
    database built elsewhere, e.g. by ``credit demo`` for bench/portal_http.py)."""
    from sqlalchemy import select

    from credit.extensions import db
    from credit.models import Role, User
    from credit.services.accounts import create_user

    accounts = []
    for username, role, jurisdiction in (("bench-admin", Role.CITY_ADMIN, None),
                                         ("bench-recorder", Role.RECORDER, "桦南县")):
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(username, "bench-password", role=role, jurisdiction=jurisdiction)
            db.session.commit()
        accounts.append(user)
    return accounts


def analyse() -> None:
    """Planner statistics, as a deployment would have them after its first night."""
    from sqlalchemy import text

    from credit.extensions import db

    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


class Timer:
    def __init__(self, client, repeat: int):
        self.client, self.repeat = client, repeat
        self.rows: list[tuple[str, str, float, float, int]] = []

    def page(self, who: str, label: str, url: str) -> None:
        times = []
        status = 0
        for _ in range(self.repeat):
            started = time.perf_counter()
            response = self.client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            status = response.status_code
            response.close()
        self.rows.append((who, label, statistics.median(times), max(times), status))
        print(f"{who:<9} {label:<44} {statistics.median(times):8.1f} ms "
              f"(max {max(times):7.1f})  HTTP {status}", flush=True)


def sign_in(client, user_id: str) -> None:
    """Sign the client in as the account whose session id (``User.get_id()``) is given."""
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = user_id
        session["_fresh"] = True


def explain(app, url: str, user_id: int) -> None:
    """Print the plan of every SELECT one page view runs."""
    from sqlalchemy import event, text

    from credit.extensions import db

    statements: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            statements.append((statement, parameters))

    client = app.test_client()
    sign_in(client, user_id)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        client.get(url).close()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    print(f"\n-- plans for {url}")
    with app.app_context(), db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        postgres = db.engine.dialect.name == "postgresql"
        for statement, parameters in statements:
            if "alembic_version" in statement or "FROM users" in statement:
                continue
            prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            cursor = raw.cursor()
            cursor.execute(prefix + statement, parameters)
            plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
            cursor.close()
            print("   " + " ".join(statement.split())[:160])
            for line in plan:
                print("      " + line)
        del text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="rebuild the database")
    parser.add_argument("--explain", action="store_true", help="print query plans")
    args = parser.parse_args()
    n = args.enterprises
    default = Path(tempfile.gettempdir()) / f"jms-admin-bench-{n}.db"
    if args.fresh and "DATABASE_URL" not in os.environ:
        default.unlink(missing_ok=True)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{default}")

    from sqlalchemy import func, select, text

    from credit.extensions import db
    from credit.models import AuditEntry, Enterprise, Record
    from credit.services import stats
    from credit.services.schema import upgrade_schema
    from wsgi import create_app

    app = create_app({"CREDIT_TODAY": TODAY, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        if args.fresh and db.engine.dialect.name == "postgresql":
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade_schema()
        have = db.session.scalar(select(func.count()).select_from(Enterprise)) or 0
        if have == 0:
            print(f"building a demo archive of {n:,} enterprises (seed {args.seed})")
            build(n, args.seed)
            analyse()
        elif have != n:
            sys.exit(f"the database holds {have:,} enterprises, not {n:,}: use --fresh")
        records = db.session.scalar(select(func.count()).select_from(Record))
        admin, recorder = bench_accounts()
        admin_id, recorder_id = admin.get_id(), recorder.get_id()
        middle = db.session.scalar(select(Enterprise.id).where(Enterprise.district == "桦南县")
                                   .order_by(Enterprise.id).offset(n // 30).limit(1))
        busy = db.session.scalar(
            select(Record.enterprise_id).join(Enterprise, Enterprise.id == Record.enterprise_id)
            .where(Enterprise.district == "桦南县").group_by(Record.enterprise_id)
            .order_by(func.count().desc()).limit(1))
        sample = db.session.get(Enterprise, middle)
        uscc_prefix, name_part = sample.uscc[:10], sample.name[-8:-4]
        audits = db.session.scalar(select(func.count()).select_from(AuditEntry))
        started = time.perf_counter()
        stats.refresh_stats(TODAY)
        db.session.commit()
        refresh_ms = (time.perf_counter() - started) * 1000
        url = db.engine.url.render_as_string(hide_password=True)
    print(f"{n:,} enterprises, {records:,} records, {audits:,} audit entries; {url}")
    print(f"dashboard summaries rebuilt in {refresh_ms:,.0f} ms (once per "
          f"{app.config['DASHBOARD_STATS_TTL']} s at most)\n")

    client = app.test_client()
    timer = Timer(client, args.repeat)
    pages = [
        ("enterprise list", "/admin/enterprises/"),
        ("enterprise list, page 500", "/admin/enterprises/?page=500"),
        ("filter: grade D", "/admin/enterprises/?flt0_1=D"),
        ("filter: district 桦南县 + grade C", "/admin/enterprises/?flt0_0=桦南县&flt1_1=C"),
        ("filter: industry C13", "/admin/enterprises/?flt0_2=C13"),
        ("sort: by name", "/admin/enterprises/?sort=0"),
        (f"search: name '{name_part}'", f"/admin/enterprises/?search={name_part}"),
        ("search: a name nobody has", "/admin/enterprises/?search=无此企业名称"),
        (f"search: USCC prefix {uscc_prefix}", f"/admin/enterprises/?search={uscc_prefix}"),
        ("enterprise page", f"/admin/enterprises/details/?id={middle}"),
        ("enterprise page, most records", f"/admin/enterprises/details/?id={busy}"),
        ("records list", "/admin/records/"),
        ("records list, filter: accident", "/admin/records/?flt0_0=accident"),
        ("records of one enterprise", f"/admin/records/?enterprise_id={middle}"),
        ("audit log", "/admin/audit/"),
        ("queues", "/admin/queues/"),
        ("dashboard (summaries fresh)", "/admin/"),
    ]
    for who, user_id in (("admin", admin_id), ("recorder", recorder_id)):
        sign_in(client, user_id)
        for label, page in pages:
            if who == "recorder" and page.startswith("/admin/audit"):
                continue
            timer.page(who, label, page)
    slow = [r for r in timer.rows if r[2] > 300]
    print(f"\n{len(timer.rows)} page timings; {len(slow)} with a median above 300 ms")
    if args.explain:
        for label, page in pages[:6] + pages[10:12]:
            explain(app, page, recorder_id if "district" in label else admin_id)
        explain(app, "/admin/enterprises/", recorder_id)
        explain(app, "/admin/records/", recorder_id)


if __name__ == "__main__":
    main()
