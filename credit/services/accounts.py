"""User accounts: creation, sign-in checks and throttling, and the administrator's account
management (create, change role and jurisdiction, deactivate, reset a password)."""

from __future__ import annotations

import datetime as dt
import hmac
from functools import cache

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from credit.extensions import db, login_manager
from credit.models import Enterprise, LoginFailure, Role, User
from credit.permissions import can_manage_users
from credit.services import audit
from credit.vocabulary import DISTRICTS


@cache
def _dummy_hash() -> str:
    """A hash to check against when the user does not exist, so timing tells nothing."""
    return generate_password_hash("not a password")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in account, unless it was deactivated or its password changed since."""
    number, _, _seal = session_id.partition(".")
    user = db.session.get(User, int(number)) if number.isdigit() else None
    if user is None or not user.active or not hmac.compare_digest(user.get_id(), session_id):
        return None
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or ``None``."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.active or not user.check_password(password):
        return None
    return user


class AccountError(ValueError):
    """An account that cannot be created or changed as asked; the message says why.

    ``code`` names the problem for front ends that word it themselves (the admin, in Chinese);
    ``field`` is the form field it concerns, when there is one.
    """

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.code = code
        self.field = field


USERNAME_MAX = 80
PASSWORD_MIN = 8


def _check_password(password: str) -> None:
    if len(password or "") < PASSWORD_MIN:
        raise AccountError(f"the password must be at least {PASSWORD_MIN} characters",
                           code="password_short", field="password")


def _binding(role: Role, jurisdiction: str | None, uscc: str | None,
             user_id: int | None = None) -> int | None:
    """Check the role's jurisdiction or enterprise; return the bound enterprise's id."""
    if jurisdiction is not None and jurisdiction not in DISTRICTS:
        raise AccountError(f"{jurisdiction!r} is not one of the 11 jurisdictions",
                           code="jurisdiction_unknown", field="jurisdiction")
    if role is not Role.ENTERPRISE:
        if uscc:
            raise AccountError("only an enterprise account is bound to an enterprise",
                               code="enterprise_for_staff", field="uscc")
        return None
    if not uscc:
        raise AccountError("an enterprise account needs --enterprise USCC",
                           code="enterprise_missing", field="uscc")
    if jurisdiction:
        raise AccountError("an enterprise account has no jurisdiction",
                           code="jurisdiction_for_enterprise", field="jurisdiction")
    enterprise_id = db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc))
    if enterprise_id is None:
        raise AccountError(f"no enterprise with USCC {uscc}", code="enterprise_unknown",
                           field="uscc")
    holder = db.session.scalar(select(User.id).where(User.enterprise_id == enterprise_id))
    if holder is not None and holder != user_id:
        raise AccountError(f"enterprise {uscc} already has an account",
                           code="enterprise_taken", field="uscc")
    return enterprise_id


def create_user(username: str, password: str, *, role: Role, jurisdiction: str | None = None,
                uscc: str | None = None, name: str = "", actor_id: int | None = None) -> User:
    """Create an account (flushes, does not commit) and log it."""
    username = username.strip()
    if not username or len(username) > USERNAME_MAX:
        raise AccountError(f"the username must be 1-{USERNAME_MAX} characters",
                           code="username_length", field="username")
    _check_password(password)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError("that username is taken", code="username_taken", field="username")
    enterprise_id = _binding(role, jurisdiction, uscc)
    user = User(username=username, name=name, role=role.value, jurisdiction=jurisdiction,
                enterprise_id=enterprise_id, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, actor_id=actor_id,
                 after={"username": username, "role": role.value,
                        "jurisdiction": jurisdiction, "enterprise": uscc})
    return user


# -- the administrator's account management (each act checked and logged) ---------------------


def _ensure_admin(actor: User, doing: str) -> None:
    from credit.workflows.errors import NotPermitted

    if not can_manage_users(actor):
        raise NotPermitted(f"you may not {doing}")


def account_state(user: User) -> dict:
    """What the audit log keeps of an account (never its password)."""
    return {"username": user.username, "name": user.name, "role": user.role,
            "jurisdiction": user.jurisdiction,
            "enterprise": user.enterprise.uscc if user.enterprise_id else None,
            "active": bool(user.active)}


def _other_active_admins(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(
            User.role == Role.CITY_ADMIN.value, User.active.is_(True), User.id != user.id,
            User.jurisdiction.is_(None))
    ) or 0


def _keeps_an_admin(user: User, *, role: Role, active: bool, jurisdiction: str | None) -> None:
    """Refuse a change that would leave the city without an active whole-city administrator."""
    was_admin = (user.role == Role.CITY_ADMIN.value and user.active
                 and user.jurisdiction is None)
    stays_admin = role is Role.CITY_ADMIN and active and jurisdiction is None
    if was_admin and not stays_admin and not _other_active_admins(user):
        raise AccountError("this is the last active city administrator", code="last_admin")


def add_account(actor: User, *, username: str, password: str, role: Role,
                jurisdiction: str | None = None, uscc: str | None = None,
                name: str = "") -> User:
    """The administrator creates an account."""
    _ensure_admin(actor, "create accounts")
    return create_user(username, password, role=role, jurisdiction=jurisdiction, uscc=uscc,
                       name=name, actor_id=actor.id)


def change_account(actor: User, user: User, *, role: Role, jurisdiction: str | None,
                   uscc: str | None, name: str) -> None:
    """Change an account's role, jurisdiction, bound enterprise or display name."""
    _ensure_admin(actor, "change accounts")
    enterprise_id = _binding(role, jurisdiction, uscc, user.id)
    _keeps_an_admin(user, role=role, active=bool(user.active), jurisdiction=jurisdiction)
    before = account_state(user)
    user.role, user.jurisdiction, user.enterprise_id = role.value, jurisdiction, enterprise_id
    user.name = (name or "").strip()
    db.session.flush()
    db.session.refresh(user, ["enterprise"])
    after = account_state(user)
    if after != before:
        audit.record("user.update", "user", user.id, actor_id=actor.id, before=before,
                     after=after)


def set_account_active(actor: User, user: User, active: bool) -> None:
    """Deactivate an account (signed out on its next request) or reactivate it."""
    _ensure_admin(actor, "deactivate accounts")
    if user.id == actor.id and not active:
        raise AccountError("you cannot deactivate your own account", code="self_deactivate")
    if bool(user.active) == active:
        return
    _keeps_an_admin(user, role=Role(user.role), active=active, jurisdiction=user.jurisdiction)
    before = account_state(user)
    user.active = active
    db.session.flush()
    audit.record("user.activate" if active else "user.deactivate", "user", user.id,
                 actor_id=actor.id, before=before, after=account_state(user))


def reset_password(actor: User, user: User, password: str) -> None:
    """Give an account a new password (the log records that it happened, not the password)."""
    _ensure_admin(actor, "reset passwords")
    _check_password(password)
    user.set_password(password)
    db.session.flush()
    audit.record("user.reset_password", "user", user.id, actor_id=actor.id,
                 after={"username": user.username})


# -- sign-in throttling -----------------------------------------------------------------------
# Counted in the database, so that several workers (and machines) behind one address share
# the count. While a username or an address has too many recent failures, sign-in is refused
# without checking the password, and refused attempts are not counted again.


def _throttle_settings() -> tuple[dt.timedelta, int, int]:
    config = current_app.config
    return (dt.timedelta(seconds=config.get("LOGIN_FAILURE_WINDOW", 900)),
            config.get("LOGIN_FAILURES_PER_ACCOUNT", 5),
            config.get("LOGIN_FAILURES_PER_ADDRESS", 20))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def login_wait(username: str, address: str) -> int:
    """Seconds until sign-in may be tried again for this username or address; 0 when allowed."""
    window, per_account, per_address = _throttle_settings()
    now = _now()
    wait = 0
    for column, key, limit in ((LoginFailure.username, username[:USERNAME_MAX], per_account),
                               (LoginFailure.address, address[:64], per_address)):
        # The limit-th most recent failure: while it is inside the window, the key is blocked.
        nth = db.session.scalar(
            select(LoginFailure.at).where(column == key, LoginFailure.at > now - window)
            .order_by(LoginFailure.at.desc()).offset(limit - 1).limit(1))
        if nth is not None:
            wait = max(wait, int((nth + window - now).total_seconds()) + 1)
    return wait


def note_login_failure(username: str, address: str) -> None:
    """Count a refused sign-in (and forget failures older than a day)."""
    now = _now()
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - dt.timedelta(days=1)))
    db.session.add(LoginFailure(at=now, username=username[:USERNAME_MAX], address=address[:64]))
    db.session.flush()


def forget_login_failures(username: str) -> None:
    """A successful sign-in clears the account's count (the address keeps its own)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))


DEMO_PASSWORD = "jms-demo-2026"
DEMO_STAFF = (
    ("admin", Role.CITY_ADMIN, None, "市局管理员"),
    ("recorder", Role.RECORDER, "向阳区", "向阳区录入员"),
    ("recorder2", Role.RECORDER, "桦南县", "桦南县录入员"),
    ("reviewer", Role.REVIEWER, None, "市局复核员"),
    ("publisher", Role.PUBLISHER, None, "市局发布员"),
    ("evaluator", Role.EVALUATOR, None, "省级评价员"),
    ("inspector", Role.INSPECTOR, None, "检验机构"),
    ("auditor", Role.AUDITOR, None, "纪检审计"),
)


def ensure_demo_accounts(*, enterprise: bool = True) -> list[tuple[str, str, str]]:
    """Create the missing demo accounts; return (username, role, password) of those created.

    The demo walk (``credit.services.demo_workflows``) binds the enterprise demo accounts to
    firms it put in a workflow; without it (``enterprise=True``), ``enterprise`` goes to the
    first A-graded firm that has no account, so that it can apply for A publication."""
    from credit.models import Grade

    created = []
    for username, role, jurisdiction, name in DEMO_STAFF:
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            create_user(username, DEMO_PASSWORD, role=role, jurisdiction=jurisdiction, name=name)
            created.append((username, role.value, DEMO_PASSWORD))
    if enterprise and db.session.scalar(
            select(User.id).where(User.username == "enterprise")) is None:
        free = select(Enterprise.uscc).where(
            ~select(User.id).where(User.enterprise_id == Enterprise.id).exists())
        uscc = db.session.scalar(
            free.join(Grade, Grade.enterprise_id == Enterprise.id).where(Grade.grade == "A")
            .order_by(Enterprise.id).limit(1)
        ) or db.session.scalar(free.order_by(Enterprise.id).limit(1))
        if uscc is not None:
            create_user("enterprise", DEMO_PASSWORD, role=Role.ENTERPRISE, uscc=uscc,
                        name="演示企业")
            created.append(("enterprise", Role.ENTERPRISE.value, DEMO_PASSWORD))
    return created
