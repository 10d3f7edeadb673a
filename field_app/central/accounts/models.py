"""Accounts of the central office, their API tokens, and failed logins."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ...extensions import db
from ...models_base import utcnow
from .permissions import ROLES  # noqa: F401

# Werkzeug's default, named so the stand-in hash for unknown names costs exactly the same.
PASSWORD_METHOD = "scrypt:32768:8:1"


@cache
def stand_in_hash() -> str:
    """Return a hash of the accounts' method and cost that no password matches.

    Checked when the name is unknown, so that a wrong name takes as long as a
    wrong password and the time of the answer does not tell which names exist.
    """
    import secrets

    return generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)


class Account(UserMixin, db.Model):
    """A person who logs in to the central office."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(300), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="officer")
    # None: every commune this server serves (a province administrator).
    commune_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Part of the id kept in the session cookie: raised at logout, so that a cookie
    # saved before it (copied, or left in another browser) no longer logs anyone in.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                 server_default="0")
    # A unit handler's unit (office_unit.id): no foreign key, the unit table is the
    # office's and a laptop's database never has it.
    unit_id: Mapped[int | None] = mapped_column(Integer)
    # Set: the account can no longer log in, and its sessions and tokens stop at once.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the account last opened the inbox: what arrived since is "new".
    inbox_seen_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account is logged out
        return self.disabled_at is None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Return the session's id for this account: "<id>:<session version>"."""
        return f"{self.id}:{self.session_version}"


class LoginFailure(db.Model):
    """One wrong name or password at the office's login, kept to slow down guessing.

    In the database, not in memory: several `langnghe central` processes share
    one PostgreSQL and must count the same tries.
    """

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The name as typed (folded to lower case), known or not: counting only known
    # names would tell a guesser which names exist.
    username: Mapped[str] = mapped_column(String(80), nullable=False)
    address: Mapped[str] = mapped_column(String(45), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    __table_args__ = (
        Index("ix_login_failure_username_at", "username", "at"),
        Index("ix_login_failure_address_at", "address", "at"),
    )


class ApiToken(db.Model):
    """A bearer token for the office API; it acts with its account's role and commune.

    Only the token's SHA-256 is kept: the token itself is shown once, when made.
    """

    __tablename__ = "office_api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), nullable=False,
                                            index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
