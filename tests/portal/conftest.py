"""The small city of the workflow tests, with helpers that publish listings the real way."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from credit.extensions import limiter
from credit.models import DCase
from credit.workflows.a_publication import (
    apply_for_publication,
    evaluate_application,
    publish_application,
)
from credit.workflows.d_listing import answer_notice, confirm_case, decide_case, send_notice
from tests.workflows.conftest import _fast_password_hashes, world  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    """Each test starts with no requests counted against it."""
    limiter.reset()
    yield
    limiter.reset()


def publish_a(w, key: str = "a"):
    """Apply, evaluate and publish an A listing for firm ``key``; returns the application."""
    app = apply_for_publication(w.u[f"ent_{key}"])
    evaluate_application(w.u["evaluator"], app, approve=True, reasons="ok")
    publish_application(w.u["admin"], app)
    return app


def publish_d(db, w, key: str = "d", summary: str | None = "经复核列入"):
    """Review, notify, answer and publish the D case of firm ``key``; returns the listing."""
    case = db.session.scalar(select(DCase).where(DCase.enterprise_id == w.e[key].id))
    confirm_case(w.u["reviewer_city"], case)
    send_notice(w.u["admin"], case)
    answer_notice(w.u[f"ent_{key}"], case, "申辩")
    return decide_case(w.u["admin"], case, publish=True, reasons=["D2"],
                       record_ids=case.record_ids, summary=summary)


def login(client, username: str, password: str = "password-123"):
    return client.post("/login", data={"username": username, "password": password})
