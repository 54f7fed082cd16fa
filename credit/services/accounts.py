"""User accounts: creation and sign-in checks."""

from __future__ import annotations

from functools import cache

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from credit.extensions import db, login_manager
from credit.models import Enterprise, Role, User
from credit.services import audit
from credit.vocabulary import DISTRICTS


@cache
def _dummy_hash() -> str:
    """A hash to check against when the user does not exist, so timing tells nothing."""
    return generate_password_hash("not a password")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


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
    """An account that cannot be created as asked; the message says why."""


def create_user(username: str, password: str, *, role: Role, jurisdiction: str | None = None,
                uscc: str | None = None, name: str = "", actor_id: int | None = None) -> User:
    """Create an account (flushes, does not commit) and log it."""
    username = username.strip()
    if not username or len(username) > 80:
        raise AccountError("the username must be 1-80 characters")
    if len(password) < 8:
        raise AccountError("the password must be at least 8 characters")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError("that username is taken")
    if jurisdiction is not None and jurisdiction not in DISTRICTS:
        raise AccountError(f"{jurisdiction!r} is not one of the 11 jurisdictions")
    enterprise_id = None
    if role is Role.ENTERPRISE:
        if not uscc:
            raise AccountError("an enterprise account needs --enterprise USCC")
        if jurisdiction:
            raise AccountError("an enterprise account has no jurisdiction")
        enterprise_id = db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc))
        if enterprise_id is None:
            raise AccountError(f"no enterprise with USCC {uscc}")
        if db.session.scalar(select(User.id).where(User.enterprise_id == enterprise_id)):
            raise AccountError(f"enterprise {uscc} already has an account")
    elif uscc:
        raise AccountError("only an enterprise account is bound to an enterprise")
    user = User(username=username, name=name, role=role.value, jurisdiction=jurisdiction,
                enterprise_id=enterprise_id, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, actor_id=actor_id,
                 after={"username": username, "role": role.value,
                        "jurisdiction": jurisdiction, "enterprise": uscc})
    return user


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
