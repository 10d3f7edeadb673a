"""Office accounts: create, log in (throttled), sessions, API tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user
from sqlalchemy import delete, select
from werkzeug.security import check_password_hash

from ...errors import AppError, ValidationFailed
from ...extensions import db
from ...models_base import utcnow
from .models import ROLES, Account, ApiToken, LoginFailure, stand_in_hash


class BadLogin(AppError):
    """The name or the password is wrong (which one is never said)."""

    status = 401
    code = "bad_login"


class LoginThrottled(AppError):
    """Too many wrong tries for this name or from this address: wait until `retry_at`."""

    status = 429
    code = "too_many_login_attempts"

    def __init__(self, retry_at: datetime, now: datetime):
        self.retry_at = retry_at
        self.retry_after = max(1, math.ceil((retry_at - now).total_seconds()))
        shown = to_user_timezone(retry_at.replace(tzinfo=UTC)).strftime("%H:%M")
        super().__init__(_("Đã nhập sai quá nhiều lần. Hãy thử lại sau %(time)s "
                           "(khoảng %(minutes)s phút nữa).", time=shown,
                           minutes=math.ceil(self.retry_after / 60)))


def create_account(username: str, password: str, role: str = "admin",
                   commune_code: int | None = None, unit_id: int | None = None) -> Account:
    """Add an office account; refuse a short password or a taken name."""
    username = (username or "").strip()
    if not username or len(password or "") < 8:
        raise ValidationFailed(_("Tên đăng nhập bắt buộc; mật khẩu ít nhất 8 ký tự."))
    if role not in ROLES:
        raise ValidationFailed(_("Vai trò không hợp lệ."))
    if db.session.execute(select(Account).where(Account.username == username)).first():
        raise ValidationFailed(_("Tên đăng nhập này đã có."))
    account = Account(username=username, role=role, commune_code=commune_code,
                      unit_id=unit_id)
    account.set_password(password)
    db.session.add(account)
    db.session.flush()
    return account


def authenticate(username: str, password: str, address: str | None) -> Account:
    """Return the account these credentials open, or raise BadLogin or LoginThrottled.

    Refused while the name or the address has too many recent failures, even
    with the right password: otherwise a guesser would only need to wait for
    the one answer that differs. Names are counted whether they exist or not.
    The try itself is committed here, before the password is checked; the
    caller commits the outcome.
    """
    name = (username or "").strip()
    key, address = name.lower()[:80], (address or "?")[:45]
    now = utcnow()
    # Counted as a failure until proven right, and committed before the slow hash
    # check: tries racing in other threads or processes see it and are counted too.
    attempt = LoginFailure(username=key, address=address, at=now)
    db.session.add(attempt)
    if secrets.randbelow(100) == 0:  # failures out of the window count for nothing
        window = timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW"])
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - window))
    db.session.commit()
    retry_at = login_blocked_until(key, address, now, before=attempt.id)
    if retry_at is not None:
        # A refused try is not a failure: a guesser who keeps trying does not keep
        # the officer out for ever.
        db.session.delete(attempt)
        db.session.flush()
        raise LoginThrottled(retry_at, now)
    account = db.session.execute(select(Account).where(Account.username == name)).scalar()
    # An unknown name costs one hash check too: the answer's time must not tell.
    hashed = account.password_hash if account is not None else stand_in_hash()
    if not check_password_hash(hashed, password or "") or account is None:
        raise BadLogin(_("Sai tên đăng nhập hoặc mật khẩu."))
    if not account.is_active:
        raise BadLogin(_("Tài khoản này đã bị khoá; hãy hỏi quản trị viên của xã."))
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == key))
    return account


def login_blocked_until(username: str, address: str, now: datetime,
                        before: int | None = None) -> datetime | None:
    """Return when a try is allowed, or None if it is allowed now.

    A name may fail LOGIN_MAX_FAILURES_PER_ACCOUNT times and an address
    LOGIN_MAX_FAILURES_PER_ADDRESS times within LOGIN_FAILURE_WINDOW seconds;
    the block lifts when the oldest failure that counts leaves the window.
    `before`: count only the tries recorded before this one (the try being decided).
    """
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_FAILURE_WINDOW"])
    until = None
    for column, value, limit in (
            (LoginFailure.username, username, config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
            (LoginFailure.address, address, config["LOGIN_MAX_FAILURES_PER_ADDRESS"])):
        query = select(LoginFailure.at).where(column == value, LoginFailure.at > now - window)
        if before is not None:
            query = query.where(LoginFailure.id < before)
        oldest_counted = db.session.execute(
            query.order_by(LoginFailure.id.desc()).offset(limit - 1).limit(1)).scalar()
        if oldest_counted is not None:
            until = max(until or now, oldest_counted + window)
    return until


def end_sessions(account: Account) -> None:
    """End every session of this account, saved cookies included (logout, password change)."""
    account.session_version = Account.session_version + 1
    db.session.flush()


def account_for_session(session_id: str) -> Account | None:
    """Return the account a session's "<id>:<version>" names, if that session is still valid."""
    account_id, _sep, version = session_id.partition(":")
    if not (account_id.isdigit() and version.isdigit()):
        return None  # a cookie made before session versions: log in again
    account = db.session.get(Account, int(account_id))
    if account is None or account.session_version != int(version) or not account.is_active:
        return None
    return account


def account_for_token(token: str) -> Account | None:
    """Return the active account an API token acts for, or None (wrong, revoked, disabled)."""
    if not token:
        return None
    digest = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    row = db.session.execute(select(ApiToken).where(ApiToken.token_hash == digest,
                                                    ApiToken.revoked_at.is_(None))).scalar()
    if row is None:
        return None
    account = db.session.get(Account, row.account_id)
    if account is None or not account.is_active:
        return None
    return account


def create_token(account: Account, label: str | None = None) -> str:
    """Make an API token for the account; return it (only its hash is kept)."""
    token = "ln_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(account_id=account.id, label=(label or "")[:120] or None,
                            token_hash=hashlib.sha256(token.encode()).hexdigest()))
    db.session.flush()
    return token


def office_account() -> Account | None:
    """Return the account this request acts for: its API token's, else the logged-in one.

    A request carrying an `Authorization` header is judged by its token alone,
    and so is any call under /central/api/: a wrong token is never saved by a
    session cookie.
    """
    if "office_account" in g:
        return g.office_account
    header = request.headers.get("Authorization", "")
    if header or request.path.startswith("/central/api/"):
        scheme, _sep, token = header.partition(" ")
        account = account_for_token(token.strip()) if scheme.lower() == "bearer" else None
    else:
        account = current_user._get_current_object() if current_user.is_authenticated \
            else None
    g.office_account = account
    return account
