"""The `langnghe` command: run the field app, back up and restore."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import backup as backups
from .config import default_data_dir


def _make_app(data: Path | None, role: str = "field"):
    from . import create_app

    config = {"ROLE": role}
    if data is not None:
        config["DATA_DIR"] = data
    return create_app(config)


def upgrade_database(app) -> Path | None:
    """Bring the database schema up to date, backing it up first if it exists.

    Laptops run old versions for months: a new version upgrades their
    database in place, and the copy taken first makes that reversible.
    """
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from .extensions import db

    saved = None
    with app.app_context():
        database = backups.sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
        if database.exists() and inspect(db.engine).has_table("alembic_version"):
            current = db.session.execute(db.text("SELECT version_num FROM alembic_version"))\
                .scalar()
            from alembic.script import ScriptDirectory

            script = ScriptDirectory(str(app.extensions["migrate"].directory))
            if current != script.get_current_head():
                saved = backups.backup(database, app.config["DATA_DIR"] / "backups"
                                       / f"before-upgrade-{current}.sqlite3")
        upgrade(directory=app.extensions["migrate"].directory)
    return saved


@click.group()
def main() -> None:
    """Lắng Nghe: record village forums offline and sync them to the commune."""


DATA_OPTION = click.option(
    "--data", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Data folder (database, attachments, backups). Default: per-user data folder "
         "or $LANGNGHE_DATA.")


@main.command()
@click.option("--port", default=8080, show_default=True, help="Port to serve on.")
@click.option("--lan", is_flag=True,
              help="Also serve phones on this laptop's hotspot/LAN, behind a PIN shown on "
                   "screen. Without it only this laptop can open the app.")
@click.option("--threads", default=4, show_default=True, help="Waitress worker threads.")
@DATA_OPTION
def field(port: int, lan: bool, threads: int, data: Path | None) -> None:
    """Serve the field app on this laptop (http://127.0.0.1:8080)."""
    import waitress

    from .pwa import lan as lan_mode

    app = _make_app(data)
    saved = upgrade_database(app)
    if saved:
        click.echo(f"Database upgraded; the previous version is saved in {saved}")
    click.echo(f"Lắng Nghe (field) — data in {app.config['DATA_DIR']}")
    host = lan_mode.listen_address(lan)
    click.echo(f"Open http://127.0.0.1:{port}/ in the browser. Ctrl+C stops.")
    if lan:
        pin = lan_mode.enable_lan(app, lan_mode.new_pin()).pin
        for address in lan_mode.lan_addresses() or ["<this laptop's IP address>"]:
            click.echo(f"Phones on the hotspot: http://{address}:{port}/")
        click.echo(f"PIN for phones: {pin} (also shown at the top of every page on this laptop)")
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="langnghe")
    except OSError as exc:
        raise click.ClickException(
            f"Cannot listen on {host}:{port} ({exc.strerror}). Lắng Nghe may already be "
            f"running: open http://{host}:{port}/ — or start it with another --port."
        ) from None


@main.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@DATA_OPTION
@click.option("--force", is_flag=True, help="Overwrite PATH if it is an existing file.")
def backup_command(path: Path, data: Path | None, force: bool) -> None:
    """Copy the database to PATH (a file, or a folder to put a dated file in)."""
    data_dir = data or default_data_dir()
    if path.is_file() and not force:
        raise click.ClickException(f"{path} already exists; choose another name or add --force.")
    try:
        target = backups.backup(data_dir / "langnghe.sqlite3", path)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up to {target}")
    click.echo(f"Photos and scans are not in this file: copy the folder "
               f"{data_dir / 'attachments'} as well.")


@main.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@DATA_OPTION
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, data: Path | None, yes: bool) -> None:
    """Replace the database with the backup at PATH (stop the app first)."""
    data_dir = data or default_data_dir()
    database = data_dir / "langnghe.sqlite3"
    if not yes and not click.confirm(f"Replace {database} with {path}?", default=False):
        raise click.Abort()
    try:
        safety = backups.restore(database, path, data_dir / "backups")
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored from {path}. The replaced database is saved in {safety}")
    app = _make_app(data_dir)
    upgrade_database(app)


@main.command("upgrade-db")
@DATA_OPTION
def upgrade_db(data: Path | None) -> None:
    """Upgrade the database schema in place (done by `langnghe field` too)."""
    saved = upgrade_database(_make_app(data))
    click.echo("Database is up to date." + (f" Previous version saved in {saved}" if saved else ""))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
