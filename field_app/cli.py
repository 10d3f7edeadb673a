"""The `langnghe` command: run the field app, back up and restore."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import backup as backups
from .config import default_data_dir


def _make_app(data: Path | None, role: str = "field", database: str | None = None):
    from . import create_app

    config: dict = {"ROLE": role}
    if data is not None:
        config["DATA_DIR"] = data
    if database:
        config["SQLALCHEMY_DATABASE_URI"] = database
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
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        database = backups.sqlite_path(uri) if uri.startswith("sqlite") else None
        if database and database.exists() and inspect(db.engine).has_table("alembic_version"):
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
    if os.name != "nt":
        # Everything this process writes (database, backups, photos, thumbnails, USB
        # bundles, SQLite's -wal/-shm) holds citizens' data or the device's secret: for
        # this user only. One umask covers the files made later by SQLite, Pillow and
        # zipfile too, which take no mode argument; config.py also sets the modes
        # explicitly, for the app used without this command (tests, embedding).
        os.umask(0o077)


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
        urls = lan_mode.address_urls(port)
        for url in urls:
            click.echo(f"Phones on the hotspot: {url}")
        if not urls:
            click.echo("No network address found: turn on the hotspot or join the Wi-Fi, "
                       "then start again with --lan.")
        click.echo(f"PIN for phones: {pin} (shown at the top of every page on this laptop, "
                   "with a QR code of the address)")
    from .outbox.auto import start_auto_sync

    start_auto_sync(app)
    _serve(app, host, port, threads)


def _serve(app, host: str, port: int, threads: int, trusted_proxy: str | None = None) -> None:
    import waitress

    # Behind a reverse proxy every request comes from the proxy's address: take the
    # client's from X-Forwarded-For, but only from that proxy (the login limits count
    # tries per address).
    proxy = {"trusted_proxy": trusted_proxy, "trusted_proxy_count": 1,
             "trusted_proxy_headers": "x-forwarded-for",
             "clear_untrusted_proxy_headers": True} if trusted_proxy else {}
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="langnghe", **proxy)
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


DATABASE_OPTION = click.option(
    "--database", default=None, metavar="URL",
    help="Database URL: a SQLite file by default (in the data folder), or "
         "postgresql+psycopg://user@host/db for a province server.")


@main.group(invoke_without_command=True)
@click.option("--port", default=8090, show_default=True, help="Port to serve on.")
@click.option("--host", default="0.0.0.0", show_default=True,
              help="Address to listen on (the laptops reach the central over the network).")
@click.option("--threads", default=8, show_default=True, help="Waitress worker threads.")
@click.option("--trusted-proxy", default=None, metavar="ADDR",
              help="Address of the reverse proxy in front of this server (e.g. 127.0.0.1): "
                   "the client's address is then read from its X-Forwarded-For header.")
@DATABASE_OPTION
@DATA_OPTION
@click.pass_context
def central(ctx, port: int, host: str, threads: int, trusted_proxy: str | None,
            database: str | None, data: Path | None) -> None:
    """Serve the central office (sync API and office pages)."""
    ctx.obj = {"database": database, "data": data}
    if ctx.invoked_subcommand is not None:
        return
    app = _make_app(data, "central", database)
    upgrade_database(app)
    click.echo(f"Lắng Nghe (central) — http://127.0.0.1:{port}/central/ ; laptops sync to "
               f"http://<this server's address>:{port}/")
    _serve(app, host, port, threads, trusted_proxy)


@central.command("create-admin")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", default="admin", show_default=True)
@click.pass_obj
def create_admin(obj, username: str, password: str, role: str) -> None:
    """Create an office account (administrator by default)."""
    from .central.logic import create_account
    from .errors import AppError
    from .extensions import db

    app = _make_app(obj["data"], "central", obj["database"])
    upgrade_database(app)
    with app.app_context():
        try:
            create_account(username, password, role)
        except AppError as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
    click.echo(f"Account {username} ({role}) created.")


@central.command("import-bundle")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_bundle_command(obj, path: Path) -> None:
    """Import a bundle file carried from a laptop on a USB stick."""
    from sync import bundle, store
    from sync.errors import SyncError

    from .extensions import db

    app = _make_app(obj["data"], "central", obj["database"])
    upgrade_database(app)
    with app.app_context(), open(path, "rb") as stream:
        try:
            result = bundle.import_bundle(db.engine, stream,
                                          store.BlobStore(app.config["CENTRAL_BLOBS"]))
        except SyncError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"{result['label']} ({result['device']}): {result['records']} records — "
               f"{result['stored']} stored, {result['unchanged']} already held, "
               f"{result['rejected']} rejected; {result['blobs']} photos.")
    for item in result["rejected_records"]:
        click.echo(f"  rejected {item['id']}: {item['message']}")


def _field_context(data: Path | None):
    app = _make_app(data)
    upgrade_database(app)
    return app


@main.command()
@click.argument("url")
@click.argument("code")
@click.option("--label", default=None, help="Name the office sees for this laptop.")
@DATA_OPTION
def enroll(url: str, code: str, label: str | None, data: Path | None) -> None:
    """Enrol this laptop with the central at URL using the office's one-time CODE."""
    from sync.errors import SyncError

    from .outbox import logic

    app = _field_context(data)
    with app.app_context():
        try:
            row = logic.enroll(url, code, label)
        except SyncError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"Enrolled as device {row.device_id} (commune {row.commune_code}).")


@main.command()
@DATA_OPTION
def sync(data: Path | None) -> None:
    """Push what this laptop recorded to the central, then pull the answers."""
    from sync.errors import SyncError

    from .outbox import logic

    app = _field_context(data)
    with app.app_context():
        total = logic.pending_count()
        with click.progressbar(length=max(total, 1), label="Syncing",
                               show_pos=True) as bar:
            seen = {"push": 0}

            def progress(stage: str, done: int, whole: int) -> None:
                if stage == "push":
                    bar.update(done - seen["push"])
                    seen["push"] = done
            try:
                summary = logic.run_sync(progress)
            except SyncError as exc:
                raise click.ClickException(exc.message) from None
        click.echo(f"Sent {summary.pushed} records ({summary.stored} new, {summary.unchanged} "
                   f"already there, {summary.rejected} rejected), {summary.blobs} photos; "
                   f"{summary.pulled} changes from the commune; {summary.round_trips} round "
                   f"trips, {summary.bytes_sent} bytes sent.")
        for item in logic.rejected_records():
            click.echo(f"  rejected {item.collection} {item.record_id}: {item.reject_message}")


@main.command("export-bundle")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@DATA_OPTION
def export_bundle(path: Path, data: Path | None) -> None:
    """Write what the central has not acknowledged to a signed file (for a USB stick)."""
    from sync.errors import SyncError

    from .outbox import logic

    app = _field_context(data)
    with app.app_context():
        try:
            made = logic.export_bundle(path)
        except SyncError as exc:
            raise click.ClickException(exc.message) from None
        except OSError as exc:
            raise click.ClickException(
                f"Không ghi được {path} ({exc.strerror}). USB đã cắm chưa, thư mục có đúng "
                f"không? Dữ liệu trên máy không bị ảnh hưởng.") from None
    click.echo(f"Wrote {made['records']} records and {made['blobs']} photos to {path}.")


@main.command("import-ack")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@DATA_OPTION
def import_ack(path: Path, data: Path | None) -> None:
    """Read the central's acknowledgement file (after a USB bundle was imported)."""
    from sync.errors import SyncError

    from .outbox import logic

    app = _field_context(data)
    with app.app_context():
        try:
            count, answers = logic.import_ack(path.read_bytes())
        except SyncError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"{count} records acknowledged; {logic.pending_count()} still waiting; "
                   f"{answers} answers from the commune applied.")


@main.command()
@click.option("--central-port", default=8090, show_default=True)
@click.option("--field-port", default=8080, show_default=True)
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for both nodes' data (default: a new temporary folder).")
@click.option("--once", is_flag=True, help="Sync, print the figures and stop (no serving).")
def demo(central_port: int, field_port: int, data: Path | None, once: bool) -> None:
    """Start a central and a field node on this machine with sample data, and sync them."""
    from .demo import run_demo

    run_demo(central_port, field_port, data, once)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
