"""Configuration, read from the environment."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def default_database_url() -> str:
    """The embedded SQLite database under ``instance/``."""
    return f"sqlite:///{INSTANCE / 'credit.db'}"


def normalise_database_url(url: str) -> str:
    """Let ``postgresql://`` and ``postgres://`` URLs use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret_key(name: str = "secret_key", variable: str = "SECRET_KEY") -> str:
    """The random key in ``instance/<name>``, created on first use."""
    path = INSTANCE / name
    if not path.exists():
        INSTANCE.mkdir(exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it a moment ago
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: set {variable} or remove the file")


class Config:
    # From the environment; otherwise a random key kept in instance/ (shared by the workers
    # of one machine; several machines must share SECRET_KEY through the environment).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SESSION_COOKIE_SAMESITE = "Lax"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL") or default_database_url()
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL: test a pooled connection before use when it has been idle this many
    # seconds (credit/pool.py); 0 tests it before every use. SQLite: never (a file has no
    # connection to lose).
    DATABASE_PING_AFTER = float(os.environ.get("DATABASE_PING_AFTER") or 10)
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
    # Rows written per statement batch by imports, demo data and regrades.
    BATCH_SIZE = int(os.environ.get("CREDIT_BATCH_SIZE", "1000"))
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Staff backend: uploads (bigger archives go through `flask credit import`), sign-in
    # throttling (counted in the database, so shared by every worker), dashboard summaries.
    IMPORT_MAX_BYTES = int(os.environ.get("CREDIT_IMPORT_MAX_BYTES", str(10 * 2**20)))
    IMPORT_MAX_ROWS = int(os.environ.get("CREDIT_IMPORT_MAX_ROWS", "50000"))
    MAX_CONTENT_LENGTH = IMPORT_MAX_BYTES + 2**20
    LOGIN_FAILURE_WINDOW = 15 * 60  # seconds
    LOGIN_FAILURES_PER_ACCOUNT = 5
    LOGIN_FAILURES_PER_ADDRESS = 20
    DASHBOARD_STATS_TTL = 600  # seconds
    # RATELIMIT_ENABLED=0 turns limits off (e.g. for a load benchmark from one address).
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") != "0"
    # Per client address, in Flask-Limiter's notation ("120/minute", "5/hour;20/day").
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT") or "120/minute"
    SEARCH_RATE_LIMIT = os.environ.get("SEARCH_RATE_LIMIT") or "60/minute"
    REPORT_RATE_LIMIT = os.environ.get("REPORT_RATE_LIMIT") or "5/hour;20/day"
    # The largest report form accepted (bytes): a few thousand characters of text.
    REPORT_MAX_BYTES = 32 * 1024
    # Pin "today" (ISO date) for rehearsals and tests; empty means the real date.
    CREDIT_TODAY = os.environ.get("CREDIT_TODAY") or None
    # The key that seals the audit log (HMAC-SHA256); it must not live in the database. From
    # the environment; otherwise a random key kept in instance/audit_key (one machine only:
    # every machine writing to the same database needs the same AUDIT_KEY).
    AUDIT_KEY = os.environ.get("AUDIT_KEY") or None
    # Append-only file of audit checkpoints (entry count and head hash), the anchor outside
    # the database; best on storage the database's administrators cannot rewrite.
    AUDIT_CHECKPOINTS = os.environ.get("AUDIT_CHECKPOINTS") or str(
        INSTANCE / "audit-checkpoints.jsonl")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    WTF_CSRF_ENABLED = False
    AUDIT_KEY = "test-audit-key"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL") or "sqlite:///" + str(INSTANCE / "test.db")
    )
