"""Migrations, WAL mode, backups and restores of the laptop's SQLite file."""

import sqlite3
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from field_app import create_app
from field_app.cli import main, upgrade_database
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.models import OFFICE_TABLES
from field_app.opinions.models import Opinion
from sync.store import metadata as sync_metadata


def _table_of(change) -> str:
    item = change[0] if isinstance(change, list) else change
    target = item[1]
    return getattr(target, "name", None) if item[0].endswith("table") else target.table.name


def test_migrations_from_empty_database_match_the_models(app):
    """A laptop's database: every model's table except the office's, which it never gets."""
    with db.engine.connect() as conn:
        # The app's models and the central's sync tables (sync/ keeps its own metadata).
        diff = compare_metadata(MigrationContext.configure(conn), [db.metadata, sync_metadata])
    assert {change[0] for change in diff} <= {"add_table", "add_index"}
    assert {_table_of(change) for change in diff} == OFFICE_TABLES


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_central_migrations_match_the_models(tmp_path, backend):
    """A central's database has the office's tables too, on both backends."""
    from .sync_support import drop_pg_database, make_pg_database

    url = make_pg_database() if backend == "postgresql" else None
    config = {"ROLE": "central", "DATA_DIR": tmp_path / "central"}
    if url:
        config["SQLALCHEMY_DATABASE_URI"] = url
    central = create_app(config)
    try:
        upgrade_database(central)
        with central.app_context(), db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn),
                                    [db.metadata, sync_metadata])
            # Search's GIN index is PostgreSQL's own, not a model's (o012).
            diff = [change for change in diff if not (
                isinstance(change, tuple) and change[0] == "remove_index"
                and change[1].name == "ix_office_opinion_search_words")]
            assert diff == []
            if url:
                # Each statement planned for its values, however often it runs (config.py).
                for _ in range(12):
                    mode = conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
                assert mode == "force_custom_plan"
        with central.app_context():
            db.engine.dispose()
    finally:
        if url:
            drop_pg_database(url)


def test_migrations_seed_the_categories(app):
    names = [row[0] for row in db.session.execute(db.text(
        "SELECT name FROM category ORDER BY position"))]
    assert names[0] == "Đất đai" and names[-1] == "Khác" and len(names) == 13


def test_database_runs_in_wal_mode_with_foreign_keys(app):
    assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1


def test_old_laptop_database_is_backed_up_and_upgraded_in_place(tmp_path):
    """A laptop still on revision 0001 keeps its data when a new version starts."""
    from flask_migrate import upgrade

    data_dir = tmp_path / "old"
    old = create_app({"DATA_DIR": data_dir})
    with old.app_context():
        upgrade(directory=old.extensions["migrate"].directory, revision="0001")
        db.engine.dispose()
    with sqlite3.connect(data_dir / "langnghe.sqlite3") as conn:
        conn.execute("INSERT INTO commune VALUES (3808, 'Xã Mường La', 14, 'Sơn La')")
        conn.execute("INSERT INTO village (id, commune_code, kind, name, name_folded, created_at,"
                     " updated_at) VALUES ('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 3808, 'ban',"
                     " 'Bản Nà Lò', 'ban na lo', '2026-01-01', '2026-01-01')")
    new = create_app({"DATA_DIR": data_dir})
    saved = upgrade_database(new)
    assert saved == data_dir / "backups" / "before-upgrade-0001.sqlite3"
    with sqlite3.connect(saved) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    with new.app_context():
        script = ScriptDirectory(new.extensions["migrate"].directory)
        head = script.get_revision("core@head").revision
        assert db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar() \
            == head
        assert db.session.execute(db.text("SELECT name FROM village")).scalar() == "Bản Nà Lò"
        # What the old version recorded never left the laptop: it waits in the outbox.
        queued = db.session.execute(db.text("SELECT collection, record_id FROM outbox")).all()
        assert [(c, str(i).replace("-", "")) for c, i in queued] == [
            ("village", "0f1e2d3c4b5a69788796a5b4c3d2e1f0")]
        db.engine.dispose()
    assert upgrade_database(new) is None  # Already at head: no needless copy.


def test_backup_and_restore_commands(tmp_path, forum):
    from field_app.opinions import logic as opinions

    opinions.create_opinion({"content": "Xin sửa đường"}, forum=forum)
    db.session.commit()
    data_dir = tmp_path / "data"
    runner = CliRunner()
    result = runner.invoke(main, ["backup", str(tmp_path / "copy.sqlite3"),
                                  "--data", str(data_dir)])
    assert result.exit_code == 0, result.output
    # Lose an opinion after the backup, then restore.
    db.session.execute(db.delete(Opinion))
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    result = runner.invoke(main, ["restore", str(tmp_path / "copy.sqlite3"),
                                  "--data", str(data_dir), "--yes"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(data_dir / "langnghe.sqlite3") as conn:
        assert conn.execute("SELECT content FROM opinion").fetchall() == [("Xin sửa đường",)]
    assert list((data_dir / "backups").glob("before-restore-*.sqlite3"))


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100])
def test_restore_refuses_a_file_that_is_not_a_langnghe_database(tmp_path, forum, content):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(content)
    result = CliRunner().invoke(main, ["restore", str(bad), "--data",
                                       str(tmp_path / "data"), "--yes"])
    assert result.exit_code != 0
    assert "không phải tệp sao lưu của Lắng Nghe" in result.output
    assert db.session.execute(db.text("SELECT count(*) FROM forum")).scalar() == 1


def test_restore_refuses_a_foreign_sqlite_file(tmp_path, forum):
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    result = CliRunner().invoke(main, ["restore", str(other), "--data",
                                       str(tmp_path / "data"), "--yes"])
    assert result.exit_code != 0 and "không phải tệp sao lưu của Lắng Nghe" in result.output
    assert "thiếu bảng" in result.output


def test_data_survive_a_restart(tmp_path, forum):
    db.session.remove()
    db.engine.dispose()
    again = create_app({"DATA_DIR": tmp_path / "data"})
    upgrade_database(again)
    with again.app_context():
        stored = forums.list_forums()
        assert [f.started_at for f in stored] == [datetime(2026, 11, 20, 8, 0)]
        db.engine.dispose()


def test_backup_does_not_overwrite_an_existing_file(tmp_path, forum):
    existing = tmp_path / "keep.sqlite3"
    existing.write_bytes(b"precious")
    result = CliRunner().invoke(main, ["backup", str(existing), "--data", str(tmp_path / "data")])
    assert result.exit_code != 0 and "đã có" in result.output
    assert existing.read_bytes() == b"precious"
