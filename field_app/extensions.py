"""Flask extensions, created unbound and attached in `create_app`."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import click
from flask import Flask
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names so Alembic migrations can alter SQLite tables.
naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class MigrateConfig:
    """What flask_migrate keeps in `app.extensions["migrate"]`, its `Migrate` made on use.

    Importing flask_migrate imports alembic (~0.3 s); a laptop whose database
    is at head (every start but the first after an update) never needs it.
    """

    def __init__(self, db: SQLAlchemy, directory: str, **configure_args: Any) -> None:
        self.db = db
        self.directory = directory
        self.configure_args = configure_args

    @cached_property
    def migrate(self):
        from flask_migrate import Migrate

        return Migrate(db=self.db, directory=self.directory, **self.configure_args)

    @property
    def metadata(self) -> MetaData:
        return self.db.metadata


class _DbCommands(click.Group):
    """`flask db …`, flask_migrate's commands loaded when first asked for."""

    def _real(self) -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._real().get_command(ctx, name)


class Migrations:
    """flask_migrate's `Migrate`, without importing alembic until a migration runs."""

    def init_app(self, app: Flask, db: SQLAlchemy, directory: str, **configure_args: Any) -> None:
        app.extensions["migrate"] = MigrateConfig(
            db, directory, **{"compare_type": True, "render_as_batch": True, **configure_args})
        app.cli.add_command(_DbCommands("db", help="Perform database migrations."))


db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention))
migrate = Migrations()
csrf = CSRFProtect()
babel = Babel()
