"""The ``flask --app wsgi credit audit verify`` and ``credit tick`` commands."""

from __future__ import annotations

import datetime as dt
import getpass
import sys

import click
from flask import g
from flask.cli import AppGroup

from credit import clock
from credit.extensions import db


def register(credit_cli: AppGroup) -> None:
    """Add the commands to the ``credit`` group (and the workflows' grade listeners)."""
    import credit.workflows.a_publication  # noqa: F401  (registers its grade listener)
    import credit.workflows.d_listing  # noqa: F401

    audit_cli = AppGroup("audit", help="The audit log.")

    @audit_cli.command("verify")
    def audit_verify_command() -> None:
        """Check the hash chain; report the first broken entry (exit 1) or that it is intact."""
        from sqlalchemy import func, select

        from credit.models import AuditEntry
        from credit.services import audit

        broken = next(audit.verify(), None)
        if broken is not None:
            click.echo(f"audit chain broken at entry {broken.entry_id}: {broken.problem}",
                       err=True)
            sys.exit(1)
        total = db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        click.echo(f"audit chain intact: {total} entries")

    @credit_cli.command("tick")
    @click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="The date (default today).")
    def tick_command(as_of: str | None) -> None:
        """Expire listings, close answer periods, flag overdue items (daily; idempotent)."""
        from credit.services.tick import tick

        try:
            day = dt.date.fromisoformat(as_of) if as_of else clock.today()
        except ValueError:
            raise click.BadParameter(f"{as_of!r} is not a date in the form YYYY-MM-DD") from None
        g.audit_actor = f"cli:{getpass.getuser()}"
        result = tick(day)
        db.session.commit()
        click.echo(f"tick {day}: {result.expired_a} A and {result.expired_d} D listings expired, "
                   f"{result.answer_periods_closed} answer periods closed, "
                   f"{result.overdue_flagged} overdue items flagged.")

    credit_cli.add_command(audit_cli)
