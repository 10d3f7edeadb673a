"""Office accounts: create, log in (throttled), sessions, API tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app, request
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user
from sqlalchemy import delete, func, or_, select
from werkzeug.security import check_password_hash

from ...errors import AppError, NotFound, ValidationFailed
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


MIN_PASSWORD = 8


def create_account(username: str, password: str, role: str = "admin",
                   commune_code: int | None = None, unit_id: int | None = None) -> Account:
    """Add an office account; refuse a short password, a taken name, a handler without a unit.

    Every error names its field (`details["fields"]`): the pages show it next to it.
    """
    username = (username or "").strip()
    errors = account_errors(username, password, role)
    if not errors:
        try:
            unit_id = check_assignment(role, commune_code, unit_id)
        except ValidationFailed as exc:
            errors.update(exc.details["fields"])
    if errors:
        raise _invalid(errors)
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


_CACHE_KEY = "langnghe.office_account"


def office_account() -> Account | None:
    """Return the account this request acts for: its API token's, else the logged-in one.

    A request carrying an `Authorization` header is judged by its token alone,
    and so is any call under /central/api/: a wrong token is never saved by a
    session cookie.
    """
    # Kept on the request, not on `g`: `g` belongs to the app context, which a test or a
    # command may hold across several requests (a page's answer before a login would stick).
    cache = request.environ.get(_CACHE_KEY)
    if cache is not None:
        return cache[0]
    header = request.headers.get("Authorization", "")
    if header or request.path.startswith("/central/api/"):
        scheme, _sep, token = header.partition(" ")
        account = account_for_token(token.strip()) if scheme.lower() == "bearer" else None
    else:
        account = current_user._get_current_object() if current_user.is_authenticated \
            else None
    request.environ[_CACHE_KEY] = (account,)
    return account


# --- administration: what an admin may do to accounts (the pages and the CLI call these) ---


class OutsideCommune(ValidationFailed):
    """An admin of a commune named another commune (or none): shown by the field, 403."""

    status = 403
    code = "forbidden"


def _invalid(errors: dict[str, str], kind: type[ValidationFailed] = ValidationFailed
             ) -> ValidationFailed:
    """Return one error naming every wrong field, its first message as the summary."""
    return kind(next(iter(errors.values())), {"fields": errors})


def parse_commune(typed: str | None) -> int | None:
    """Return the commune code a form's "commune" names (a code or a name); None if empty."""
    from ...areas.logic import find_commune

    if not (typed or "").strip():
        return None
    try:
        return find_commune(typed or "")
    except ValidationFailed as exc:
        raise _invalid({"commune": exc.message}) from None


def parse_unit(value: str | int | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _invalid({"unit_id": _("Đơn vị xử lý không hợp lệ.")}) from None


def check_assignment(role: str, commune_code: int | None, unit_id: int | None) -> int | None:
    """Check a role, commune and unit go together; return the unit the account keeps.

    A unit handler must have a unit of its commune (or a unit every commune
    shares); other roles keep none.
    """
    from ..catalogue.models import Unit

    if role not in ROLES:
        raise _invalid({"role": _("Vai trò không hợp lệ.")})
    if role != "handler":
        return None
    if unit_id is None:
        raise _invalid({"unit_id": _("Cán bộ đơn vị xử lý phải thuộc một đơn vị: hãy chọn "
                                     "đơn vị.")})
    unit = db.session.get(Unit, unit_id)
    if unit is None or not unit.active or unit.commune_code not in (None, commune_code):
        raise _invalid({"unit_id": _("Đơn vị này không thuộc xã của tài khoản.")})
    return unit_id


def check_commune_for(admin: Account, commune_code: int | None) -> None:
    """Refuse an admin of a commune who gives an account another commune, or none."""
    if admin.commune_code is None:
        return
    if commune_code is None:
        raise _invalid({"commune": _("Quản trị của xã không tạo được tài khoản cho mọi xã; "
                                     "hãy nhập xã của mình.")}, OutsideCommune)
    if commune_code != admin.commune_code:
        raise _invalid({"commune": _("Bạn chỉ quản lý tài khoản của xã mình.")},
                       OutsideCommune)


def manageable_accounts(admin: Account) -> list[Account]:
    """Return the accounts this admin manages: its commune's, or every one for a server admin."""
    query = select(Account).order_by(Account.commune_code.nulls_first(), Account.username)
    if admin.commune_code is not None:
        query = query.where(Account.commune_code == admin.commune_code)
    return list(db.session.execute(query).scalars())


def managed_account(admin: Account, account_id: int) -> Account:
    """Return an account this admin manages; 404 otherwise (another commune's is not told)."""
    account = db.session.get(Account, account_id)
    if account is None or (admin.commune_code is not None
                           and account.commune_code != admin.commune_code):
        raise NotFound(_("Không có tài khoản này (hoặc không thuộc xã của bạn)."))
    return account


def units_for(admin: Account) -> list:
    """Return the active units an admin may give a handler: its commune's and the shared ones."""
    from ..catalogue.models import Unit

    query = select(Unit).where(Unit.active.is_(True))
    if admin.commune_code is not None:
        query = query.where(Unit.commune_code.is_(None)
                            | (Unit.commune_code == admin.commune_code))
    return list(db.session.execute(query.order_by(Unit.commune_code.nulls_first(), Unit.name))
                .scalars())


def add_account(admin: Account, username: str, password: str, role: str,
                commune: str | None, unit: str | int | None) -> Account:
    """Create an account from the admin's form: its commune must be the admin's own."""
    errors = account_errors(username, password, role)
    kind: type[ValidationFailed] = ValidationFailed
    try:
        commune_code = parse_commune(commune)
        check_commune_for(admin, commune_code)
        unit_id = check_assignment(role, commune_code, parse_unit(unit))
    except ValidationFailed as exc:
        errors.update(exc.details["fields"])
        kind = type(exc)
    if errors:
        raise _invalid(errors, kind)
    return create_account(username, password, role, commune_code, unit_id)


def account_errors(username: str, password: str, role: str) -> dict[str, str]:
    """Return what is wrong with a new account's name, password and role, by field."""
    username = (username or "").strip()
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("Hãy nhập tên đăng nhập.")
    elif len(username) > 80:
        errors["username"] = _("Tên đăng nhập tối đa 80 ký tự.")
    elif db.session.execute(select(Account.id).where(Account.username == username)).first():
        errors["username"] = _("Tên đăng nhập này đã có.")
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = _("Mật khẩu phải có ít nhất %(n)s ký tự.", n=MIN_PASSWORD)
    if role not in ROLES:
        errors["role"] = _("Vai trò không hợp lệ.")
    return errors


def change_account(admin: Account, account: Account, role: str, commune: str | None,
                   unit: str | int | None) -> Account:
    """Change an account's role, commune and unit; never leave a commune without an admin."""
    commune_code = parse_commune(commune)
    check_commune_for(admin, commune_code)
    unit_id = check_assignment(role, commune_code, parse_unit(unit))
    _keep_an_admin(account, role=role, commune_code=commune_code, active=account.is_active)
    changed = (account.role, account.commune_code, account.unit_id) != (
        role, commune_code, unit_id)
    account.role, account.commune_code, account.unit_id = role, commune_code, unit_id
    if changed:
        end_sessions(account)  # pages open under the old role see the new one at once
    db.session.flush()
    return account


def set_disabled(admin: Account, account: Account, disabled: bool) -> Account:
    """Disable an account (its sessions and API tokens stop at once) or enable it again."""
    if disabled and account.is_active:
        _keep_an_admin(account, role=account.role, commune_code=account.commune_code,
                       active=False)
        account.disabled_at = utcnow()
        # Enabled again later, it needs a new login: a cookie copied before does not revive.
        end_sessions(account)
    elif not disabled:
        account.disabled_at = None
    db.session.flush()
    return account


def reset_password(admin: Account, account: Account, password: str) -> None:
    """Set a new password and end every session of the account."""
    if len(password or "") < MIN_PASSWORD:
        raise _invalid({"password": _("Mật khẩu phải có ít nhất %(n)s ký tự.",
                                      n=MIN_PASSWORD)})
    account.set_password(password)
    end_sessions(account)


def tokens_of(account: Account) -> list[ApiToken]:
    return list(db.session.execute(select(ApiToken).where(ApiToken.account_id == account.id)
                                   .order_by(ApiToken.id.desc())).scalars())


def revoke_token(account: Account, token_id: int) -> ApiToken:
    """Revoke one of the account's API tokens; it stops working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.account_id != account.id:
        raise NotFound(_("Không có mã truy cập này."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
    return token


def _keep_an_admin(account: Account, role: str, commune_code: int | None,
                   active: bool) -> None:
    """Refuse a change that leaves the account's commune with no active admin to manage it.

    An admin of a commune is replaceable by a server-wide admin; the last
    server-wide admin is not replaceable at all.
    """
    if not (account.is_active and account.role == "admin"):
        return
    if active and role == "admin" and commune_code == account.commune_code:
        return
    managers = [Account.commune_code.is_(None)]
    if account.commune_code is not None:
        managers.append(Account.commune_code == account.commune_code)
    others = db.session.execute(select(func.count()).select_from(Account).where(
        Account.id != account.id, Account.role == "admin", Account.disabled_at.is_(None),
        or_(*managers))).scalar_one()
    if not others:
        raise _invalid({"role": _("Đây là quản trị viên cuối cùng còn hoạt động: hãy tạo hoặc "
                                  "mở khoá một quản trị viên khác trước.")})
