"""The `langnghe` command: run the field app, back up and restore."""

from __future__ import annotations

import ast
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import click

from .backup import logic as backups
from .cli_text import _
from .config import default_data_dir

VERBOSE = "langnghe.verbose"


def _make_app(data: Path | None, role: str = "field", database: str | None = None,
              pages: bool = True):
    from . import create_app

    config: dict = {"ROLE": role}
    context = click.get_current_context(silent=True)
    config["VERBOSE"] = bool(context and context.meta.get(VERBOSE))
    if data is not None:
        # A relative folder is the user's current folder, wherever the app looks later.
        config["DATA_DIR"] = data.expanduser().resolve()
    if database:
        config["SQLALCHEMY_DATABASE_URI"] = database
    return create_app(config, pages)


_HEADER = re.compile(r"^(revision|down_revision|branch_labels)\s*(?::[^=]*)?=\s*(.+?)\s*$",
                     re.MULTILINE)


def version_heads(directory: Path, role: str) -> set[str] | None:
    """Return the revisions a database of `role` is at when up to date; None if unsure.

    Read from the version files' headers, without importing alembic: the
    start-up check only. Whenever this says anything else than the database,
    alembic itself decides (`upgrade_database`), so a header this cannot read
    costs time, never a missed migration.
    """
    parents: dict[str, tuple[str, ...]] = {}
    labels: dict[str, tuple[str, ...]] = {}
    try:
        for path in (directory / "versions").glob("*.py"):
            header = dict(_HEADER.findall(path.read_text(encoding="utf-8")))
            revision = ast.literal_eval(header["revision"])
            down = ast.literal_eval(header.get("down_revision", "None"))
            label = ast.literal_eval(header.get("branch_labels", "None"))
            parents[revision] = (down,) if isinstance(down, str) else tuple(down or ())
            labels[revision] = (label,) if isinstance(label, str) else tuple(label or ())
    except (OSError, KeyError, ValueError, SyntaxError, TypeError):
        return None
    heads = set(parents) - {parent for down in parents.values() for parent in down}
    if role == "central":
        return heads

    def roots(revision: str) -> set[str]:
        found, todo = set(), [revision]
        while todo:
            name = todo.pop()
            if name not in parents:
                return {"?"}  # a parent with no file: let alembic judge
            found.add(name)
            todo.extend(parents[name])
        return {name for name in found if not parents[name]}

    core = {name for name, label in labels.items() if "core" in label and not parents[name]}
    return {head for head in heads if roots(head) <= core} if core else None


def upgrade_database(app) -> Path | None:
    """Bring the database schema up to date, backing it up first if it exists.

    Laptops run old versions for months: a new version upgrades their
    database in place, and the copy taken first makes that reversible. A
    laptop's database follows the "core" branch of the migrations; a
    central's takes the "office" branch too. Nothing runs when the database
    is already there: start-up stays quick.
    """
    from sqlalchemy import inspect

    from .extensions import db

    saved = None
    directory = app.extensions["migrate"].directory
    wanted = ("heads",) if app.config["ROLE"] == "central" else ("core@head",)
    with app.app_context():
        current: set[str] = set()
        if inspect(db.engine).has_table("alembic_version"):
            current = set(db.session.execute(
                db.text("SELECT version_num FROM alembic_version")).scalars())
        db.session.remove()
        if current and current == version_heads(Path(directory), app.config["ROLE"]):
            return None  # at head: alembic is not even imported (~0.3 s of every start)
        from alembic.script import ScriptDirectory

        script = ScriptDirectory(str(directory))
        targets = {revision.revision for name in wanted
                   for revision in script.get_revisions(name)}
        if current == targets:
            return None
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        database = backups.sqlite_path(uri) if uri.startswith("sqlite") else None
        if database and database.exists() and current:
            saved = backups.backup(database, app.config["DATA_DIR"] / "backups"
                                   / f"before-upgrade-{'-'.join(sorted(current))}.sqlite3")
        from flask_migrate import upgrade

        for name in wanted:
            upgrade(directory=directory, revision=name)
    return saved


class Refused(click.ClickException):
    """A command that cannot do what was asked: one line, in the user's language."""

    def show(self, file=None) -> None:
        click.echo(_("Lỗi: %(message)s", message=self.format_message()), file=file, err=True)


class OneLineWarning(logging.Handler):
    """Print a library's warning as one line the user can read: never a traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None and \
                type(record.exc_info[1]).__name__ == "HeaderParsingError":
            text = _("Máy chủ xã trả lời có phần đầu (header) không chuẩn; đã bỏ qua, dữ "
                     "liệu không bị ảnh hưởng.")
        else:
            text = _("Cảnh báo mạng: %(m)s", m=record.getMessage().splitlines()[0][:200])
        click.echo(text, err=True)


def quiet_logs(verbose: bool) -> None:
    """Keep library chatter off the console unless --verbose.

    Alembic's INFO lines are left out by the migrations' env.py (the app's
    VERBOSE setting); urllib3 logs a cut response's headers with a traceback,
    which reaches a village head as a wall of English: one line instead.
    """
    pool = logging.getLogger("urllib3.connectionpool")
    if verbose:
        return
    pool.handlers[:] = [OneLineWarning(logging.WARNING)]
    pool.propagate = False


def quiet_queue_warnings() -> None:
    """Keep waitress's "Task queue depth is 1" off the laptop's window unless --verbose.

    The browser asks for a page's files side by side and fills the few threads for a
    moment: waitress then warns at nearly every page, which tells a village head
    nothing and buries the lines that matter. Its errors still show.
    """
    if not click.get_current_context().meta.get(VERBOSE):
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)


@click.group()
@click.option("--verbose", "-v", is_flag=True,
              help="Show the details: database migrations, network warnings in full.")
@click.pass_context
def main(ctx, verbose: bool) -> None:
    """Lắng Nghe: record village forums offline and sync them to the commune."""
    ctx.meta[VERBOSE] = verbose
    quiet_logs(verbose)
    if os.name != "nt":
        # Everything this process writes (database, backups, photos, thumbnails, USB
        # bundles, SQLite's -wal/-shm) holds citizens' data or the device's secret: for
        # this user only. One umask covers the files made later by SQLite, Pillow and
        # zipfile too, which take no mode argument; config.py also sets the modes
        # explicitly, for the app used without this command (tests, embedding).
        os.umask(0o077)


DATA_OPTION = click.option(
    "--data", type=click.Path(file_okay=False, path_type=Path, resolve_path=True), default=None,
    help="Data folder (database, attachments, backups). Default: per-user data folder "
         "or $LANGNGHE_DATA.")


@main.command()
@click.option("--port", default=8080, show_default=True, help="Port to serve on.")
@click.option("--lan", is_flag=True,
              help="Open the app to phones on this laptop's hotspot/LAN at start, behind a "
                   "PIN shown on screen (the Điện thoại page turns it on and off too). "
                   "Without it only this laptop can open the app until then.")
@click.option("--threads", default=4, show_default=True, help="Waitress worker threads.")
@click.option("--open", "open_browser", is_flag=True,
              help="Open the app in the browser once it listens; when Lắng Nghe already "
                   "runs on PORT, only open the browser (the desktop icon does this).")
@DATA_OPTION
def field(port: int, lan: bool, threads: int, open_browser: bool, data: Path | None) -> None:
    """Serve the field app on this laptop (http://127.0.0.1:8080)."""
    _few_malloc_arenas()
    address = f"http://127.0.0.1:{port}/"
    if open_browser and _field_app_answers(port):
        # A second double-click on the icon: the app is there, show it.
        click.echo(_("Lắng Nghe đang chạy rồi: mở %(url)s trong trình duyệt.", url=address))
        _open_in_browser(address, wait=True)
        return
    from .pwa import lan as lan_mode

    app = _make_app(data)
    saved = upgrade_database(app)
    if saved:
        click.echo(_("Đã nâng cấp cơ sở dữ liệu; bản trước được lưu ở %(path)s", path=saved))
    click.echo(_("Lắng Nghe (máy bản) — dữ liệu ở %(path)s", path=app.config["DATA_DIR"]))
    # The laptop only, until phone access is turned on (pwa/lan.py: open_to_phones).
    host = lan_mode.LOOPBACK_HOST
    click.echo(_("Mở http://127.0.0.1:%(port)s/ trong trình duyệt. Ctrl+C để dừng.", port=port))
    if lan:
        pin = lan_mode.enable_lan(app, lan_mode.new_pin()).pin
        for failed in lan_mode.open_to_phones(app, port):
            click.echo(_("Không mở được cho điện thoại qua %(address)s.", address=failed),
                       err=True)
        urls = lan_mode.address_urls(port)
        for url in urls:
            click.echo(_("Điện thoại trong mạng phát: %(url)s", url=url))
        if not urls:
            click.echo(_("Không tìm thấy địa chỉ mạng nào: hãy bật điểm phát Wi-Fi hoặc kết "
                         "nối Wi-Fi; địa chỉ sẽ hiện ở trang Điện thoại."))
        click.echo(_("Mã PIN cho điện thoại: %(pin)s (hiện ở đầu mọi trang trên máy này, "
                     "kèm mã QR của địa chỉ)", pin=pin))
    else:
        click.echo(_("Điện thoại chưa vào được: bấm “Điện thoại” ở thanh trên cùng để mở."))
    from .outbox.auto import start_auto_sync

    start_auto_sync(app)
    quiet_queue_warnings()
    _serve(app, host, port, threads,
           on_listening=(lambda: _open_in_browser(address)) if open_browser else None)


def _field_app_answers(port: int) -> bool:
    """Tell whether a Lắng Nghe field app already answers on 127.0.0.1:`port`."""
    import json
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as answer:
            body = json.loads(answer.read(4096))
    except (OSError, ValueError):
        return False
    return isinstance(body, dict) and body.get("status") == "ok" and body.get("role") == "field"


def _open_in_browser(url: str, wait: bool = False) -> None:
    """Open `url` in the user's browser (a new tab). Unless `wait`, without holding up
    the caller: a console browser chosen on a machine with no desktop would otherwise
    hold the server."""
    import threading
    import webbrowser

    if wait:
        webbrowser.open(url, new=2)
    else:
        threading.Thread(target=webbrowser.open, args=(url, 2), daemon=True,
                         name="open-browser").start()


def _few_malloc_arenas(most: int = 2) -> None:
    """Let at most `most` glibc malloc arenas serve this process's threads.

    glibc gives a thread its own arena (up to 8 a core), and a push's memory, freed, stays
    in the arena of the waitress thread that served it: a central climbed to 310 MB over
    a 100,000-record sync on PostgreSQL, and peaked at 172 MB with two arenas (the GIL
    lets one thread at a time run Python anyway). Call before any thread starts: the
    limit is read when a thread first needs an arena. Other C libraries: nothing to do.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None).mallopt(-8, most)  # -8: M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc
        pass


def _serve(app, host: str, port: int, threads: int, trusted_proxy: str | None = None,
           on_listening: Callable[[], None] | None = None) -> None:
    """Serve `app` with waitress until stopped; `on_listening` runs once the port is open."""
    import waitress

    # Behind a reverse proxy every request comes from the proxy's address: take the
    # client's from X-Forwarded-For, but only from that proxy (the login limits count
    # tries per address).
    proxy = {"trusted_proxy": trusted_proxy, "trusted_proxy_count": 1,
             "trusted_proxy_headers": "x-forwarded-for",
             "clear_untrusted_proxy_headers": True} if trusted_proxy else {}
    logging.basicConfig()  # waitress's own warnings, as waitress.serve shows them
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads,
                                        ident="langnghe", **proxy)
    except OSError as exc:
        raise Refused(_(
            "Không mở được cổng %(host)s:%(port)s (%(reason)s). Có thể Lắng Nghe đang chạy "
            "rồi: mở http://%(host)s:%(port)s/ — hoặc chạy với --port khác.",
            host=host, port=port, reason=exc.strerror)) from None
    server.print_listen("Serving on http://{}:{}")
    if on_listening is not None:
        on_listening()
    server.run()


@main.command("shortcut")
@click.option("--port", default=8080, show_default=True,
              help="The port the icon starts the field app on.")
@DATA_OPTION
def shortcut_command(port: int, data: Path | None) -> None:
    """Put a "Lắng Nghe" icon on the desktop: a double-click starts the field app and
    opens it in the browser (the forum list offers the same button)."""
    from .launcher import logic as launcher

    try:
        made = launcher.make_shortcut(port, data)
    except launcher.LauncherError as exc:
        raise Refused(_("Không tạo được biểu tượng trên màn hình nền (%(error)s).",
                        error=exc)) from None
    click.echo(_("Đã tạo biểu tượng trên màn hình nền: %(path)s", path=made.desktop))
    if made.menu is not None:
        click.echo(_("… và trong danh sách ứng dụng: %(path)s", path=made.menu))


@main.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@DATA_OPTION
@click.option("--force", is_flag=True, help="Overwrite PATH if it is an existing file.")
def backup_command(path: Path, data: Path | None, force: bool) -> None:
    """Copy the database to PATH (a file, or a folder to put a dated file in)."""
    data_dir = data or default_data_dir()
    if path.is_file() and not force:
        raise Refused(_("%(path)s đã có; hãy chọn tên khác hoặc thêm --force.",
                                     path=path))
    try:
        target = backups.backup(data_dir / "langnghe.sqlite3", path)
    except backups.BackupError as exc:
        raise Refused(str(exc)) from None
    click.echo(_("Đã sao lưu vào %(path)s", path=target))
    click.echo(_("Ảnh và bản quét không nằm trong tệp này: hãy chép cả thư mục %(path)s.",
                 path=data_dir / "attachments"))


@main.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@DATA_OPTION
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, data: Path | None, yes: bool) -> None:
    """Replace the database with the backup at PATH (stop the app first)."""
    data_dir = data or default_data_dir()
    database = data_dir / "langnghe.sqlite3"
    if not yes and not click.confirm(_("Thay %(database)s bằng %(path)s?", database=database,
                                       path=path), default=False):
        raise click.Abort()
    try:
        safety = backups.restore(database, path, data_dir / "backups")
    except backups.BackupError as exc:
        raise Refused(str(exc)) from None
    click.echo(_("Đã khôi phục từ %(path)s. Cơ sở dữ liệu bị thay được lưu ở %(safety)s",
                 path=path, safety=safety))
    app = _make_app(data_dir)
    upgrade_database(app)


@main.command("upgrade-db")
@DATA_OPTION
def upgrade_db(data: Path | None) -> None:
    """Upgrade the database schema in place (done by `langnghe field` too)."""
    saved = upgrade_database(_make_app(data))
    click.echo(_("Cơ sở dữ liệu đã là bản mới nhất.") + (
        " " + _("Bản trước được lưu ở %(path)s", path=saved) if saved else ""))


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
    _few_malloc_arenas()
    app = _make_app(data, "central", database)
    upgrade_database(app)
    from .central import start_workers

    start_workers(app)
    click.echo(_("Lắng Nghe (máy chủ xã) — http://127.0.0.1:%(port)s/central/ ; các máy bản "
                 "đồng bộ tới http://<địa chỉ máy chủ này>:%(port)s/", port=port))
    _serve(app, host, port, threads, trusted_proxy)


@central.command("create-admin")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", default="admin", show_default=True)
@click.pass_obj
def create_admin(obj, username: str, password: str, role: str) -> None:
    """Create an office account (administrator by default)."""
    from .central.accounts.logic import create_account
    from .errors import AppError
    from .extensions import db

    app = _make_app(obj["data"], "central", obj["database"])
    upgrade_database(app)
    with app.app_context():
        try:
            create_account(username, password, role)
        except AppError as exc:
            raise Refused(exc.message) from None
        db.session.commit()
    click.echo(_("Đã tạo tài khoản %(name)s (%(role)s).", name=username, role=role))


@central.command("create-account")
@click.argument("username")
@click.option("--role", required=True,
              help="admin, officer (commune officer), mttq, handler (a unit's cases only), "
                   "viewer (read-only, no personal data).")
@click.option("--commune", default=None, metavar="CODE",
              help="The commune's code (or name). Without it: every commune of this server.")
@click.option("--unit", default=None, metavar="NAME",
              help="A handler's unit: found by name in the commune, or added.")
@click.option("--password", default=None, help="Asked for (hidden, twice) when not given.")
@click.pass_obj
def create_account_command(obj, username: str, role: str, commune: str | None,
                           unit: str | None, password: str | None) -> None:
    """Create an office account with a role, scoped to a commune (and a unit for a handler)."""
    from .central.accounts.logic import create_account, parse_commune
    from .central.accounts.permissions import ROLES
    from .central.catalogue.logic import add_unit
    from .errors import AppError
    from .extensions import db

    if role not in ROLES:
        raise Refused(_("Vai trò phải là một trong: %(roles)s.", roles=", ".join(ROLES)))
    if unit and role != "handler":
        raise Refused(_("--unit chỉ dùng cho vai trò handler (cán bộ đơn vị xử lý)."))
    if role == "handler" and not unit:  # said before the password is asked for
        raise Refused(_("Cán bộ đơn vị xử lý phải thuộc một đơn vị: thêm --unit TÊN."))
    if password is None:
        password = click.prompt(_("Mật khẩu"), hide_input=True, confirmation_prompt=True)
    app = _make_app(obj["data"], "central", obj["database"])
    upgrade_database(app)
    with app.app_context():
        try:
            commune_code = parse_commune(commune)
            unit_id = add_unit(commune_code, unit).id if unit else None
            account = create_account(username, password, role, commune_code, unit_id)
        except AppError as exc:
            db.session.rollback()
            raise Refused(exc.message) from None
        db.session.commit()
        click.echo(_("Đã tạo tài khoản %(name)s (%(role)s, %(scope)s).", name=account.username,
                     role=role, scope=_commune_text(commune_code)
                     + (f", {unit}" if unit else "")))


@central.command("create-token")
@click.argument("username")
@click.option("--label", default=None, help="What the token is for (e.g. the province's system).")
@click.pass_obj
def create_token_command(obj, username: str, label: str | None) -> None:
    """Make an office API token for an account and print it (shown this once only)."""
    from sqlalchemy import select

    from .central.accounts.logic import create_token
    from .central.accounts.models import Account
    from .extensions import db

    app = _make_app(obj["data"], "central", obj["database"])
    upgrade_database(app)
    with app.app_context():
        account = db.session.execute(select(Account).where(
            Account.username == username.strip())).scalar()
        if account is None:
            raise Refused(_("Không có tài khoản %(name)s.", name=username))
        if not account.is_active:
            raise Refused(_("Tài khoản %(name)s đã bị khoá: mã API của nó sẽ không dùng được.",
                            name=username))
        token = create_token(account, label)
        db.session.commit()
    click.echo(_("Mã truy cập API cho %(name)s (chỉ hiện một lần; hãy lưu lại):",
                 name=username), err=True)
    click.echo(token)


def _commune_text(commune_code: int | None) -> str:
    from .areas.logic import commune_label

    return commune_label(commune_code) if commune_code else _("mọi xã")


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
            raise Refused(exc.message) from None
    click.echo(_("%(label)s (%(device)s): %(records)s bản ghi — %(stored)s xã lưu (mới hoặc "
                 "có sửa), %(unchanged)s xã đã có, %(rejected)s bị từ chối; %(blobs)s ảnh.",
                 label=result["label"], device=result["device"], records=result["records"],
                 stored=result["stored"], unchanged=result["unchanged"],
                 rejected=result["rejected"], blobs=result["blobs"]))
    for item in result["rejected_records"]:
        click.echo(_("  bị từ chối %(id)s: %(message)s", id=item["id"], message=item["message"]))


def _field_context(data: Path | None):
    """The laptop's app for a command that serves no page."""
    app = _make_app(data, pages=False)
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
            raise Refused(exc.message) from None
        click.echo(_("Đã đăng ký: máy số %(device)s (xã %(commune)s).", device=row.device_id,
                     commune=row.commune_code))


@main.command()
@DATA_OPTION
def sync(data: Path | None) -> None:
    """Push what this laptop recorded to the central, then pull the answers."""
    from sync.errors import SyncError

    from .outbox import logic

    app = _field_context(data)
    with app.app_context():
        total = logic.pending_count()
        with click.progressbar(length=max(total, 1), label=_("Đang đồng bộ"),
                               show_pos=True) as bar:
            seen = {"push": 0}

            def progress(stage: str, done: int, whole: int) -> None:
                if stage == "push":
                    bar.update(done - seen["push"])
                    seen["push"] = done
            try:
                summary = logic.run_sync(progress)
            except SyncError as exc:
                raise Refused(exc.message) from None
            except Exception as exc:
                # A village head reads this console: one line, the details with --verbose.
                if click.get_current_context().meta.get(VERBOSE):
                    raise
                raise Refused(_(
                    "Đồng bộ dừng vì một lỗi không lường trước (%(error)s). Dữ liệu trên máy "
                    "không bị ảnh hưởng; chạy lại với --verbose để xem chi tiết.",
                    error=type(exc).__name__)) from None
        click.echo(_("Đã gửi %(pushed)s bản ghi (%(stored)s mới, %(unchanged)s đã có, "
                     "%(rejected)s bị từ chối), %(blobs)s ảnh; %(pulled)s thay đổi từ xã; "
                     "%(trips)s lượt gửi nhận, %(bytes)s byte.", pushed=summary.pushed,
                     stored=summary.stored, unchanged=summary.unchanged,
                     rejected=summary.rejected, blobs=summary.blobs, pulled=summary.pulled,
                     trips=summary.round_trips, bytes=summary.bytes_sent))
        for item in logic.rejected_records():
            click.echo(_("  bị từ chối %(collection)s %(id)s: %(message)s",
                         collection=item.collection, id=item.record_id,
                         message=item.reject_message))


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
            raise Refused(exc.message) from None
        except OSError as exc:
            raise Refused(_(
                "Không ghi được %(path)s (%(reason)s). USB đã cắm chưa, thư mục có đúng "
                "không? Dữ liệu trên máy không bị ảnh hưởng.", path=path,
                reason=exc.strerror)) from None
        if not made["records"]:
            click.echo(str(logic.NOTHING_WAITING))
    click.echo(_("Đã ghi %(records)s bản ghi và %(blobs)s ảnh vào %(path)s.",
                 records=made["records"], blobs=made["blobs"], path=path))


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
            raise Refused(exc.message) from None
        click.echo(_("%(count)s bản ghi đã được xã xác nhận; %(waiting)s bản ghi còn chờ; "
                     "đã cập nhật %(answers)s trả lời của xã.", count=count,
                     waiting=logic.pending_count(), answers=answers))


@main.command()
@click.option("--central-port", default=8090, show_default=True)
@click.option("--field-port", default=8080, show_default=True)
@click.option("--data", type=click.Path(file_okay=False, path_type=Path, resolve_path=True),
              default=None,
              help="Folder for both nodes' data (default: a new temporary folder).")
@click.option("--once", is_flag=True, help="Sync, print the figures and stop (no serving).")
def demo(central_port: int, field_port: int, data: Path | None, once: bool) -> None:
    """Start a central and a field node on this machine with sample data, and sync them."""
    from .demo import run_demo

    _few_malloc_arenas()
    run_demo(central_port, field_port, data, once)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
