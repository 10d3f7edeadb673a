"""Fixtures: a fresh data folder and SQLite file per test, migrated for real."""

from __future__ import annotations

import contextlib
import os
from datetime import datetime

import pytest

from field_app import create_app
from field_app.areas import logic as areas
from field_app.cli import upgrade_database
from field_app.extensions import db
from field_app.forums import logic as forums

MUONG_LA = 3808  # Xã Mường La, Sơn La (official code after the 2025 reform)

# The command line speaks the user's language (LANGNGHE_LANG, else the locale): the tests
# read its Vietnamese default, whatever the machine's locale; subprocesses inherit it.
os.environ["LANGNGHE_LANG"] = "vi"


@pytest.fixture
def app(tmp_path):
    """Return a field app on its own SQLite file, schema built by the migrations."""
    app = create_app({"DATA_DIR": tmp_path / "data", "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    upgrade_database(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def commune(app):
    commune = areas.choose_commune(MUONG_LA)
    db.session.commit()
    return commune


@pytest.fixture
def villages(commune):
    """Three villages of Mường La with their households."""
    made = [areas.add_village(commune, name, None, households)
            for name, households in (("Bản Nà Lò", 120), ("Bản Đán", 85), ("Tiểu khu 1", 300))]
    db.session.commit()
    return made


@pytest.fixture
def forum(villages):
    """A draft listening forum in Bản Nà Lò."""
    made = forums.create_forum({
        "kind": "listening", "village_id": villages[0].id,
        "started_at": datetime(2026, 11, 20, 8, 0), "venue": "Nhà văn hóa bản Nà Lò",
        "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa",
        "officials_present": "Phó Chủ tịch UBND xã Cầm Văn Sơn",
        "attendance_total": 64, "attendance_women": 30, "attendance_ethnic_minority": 60,
        "households_represented": 70, "agenda": "Nghe ý kiến của Nhân dân",
    })
    db.session.commit()
    return made


@contextlib.contextmanager
def laptop_folder(data_dir, villages=(("Bản Nà Lò", 120),)):
    """Make a laptop's data folder for Xã Mường La; yield its villages, in its app context.

    For a server started on that folder afterwards: the engine is let go at the end.
    """
    setup = create_app({"DATA_DIR": data_dir})
    upgrade_database(setup)
    with setup.app_context():
        commune = areas.choose_commune(MUONG_LA)
        made = [areas.add_village(commune, name, None, households)
                for name, households in villages]
        db.session.commit()
        yield made
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def field_server(tmp_path):
    """A real field server on 127.0.0.1, set up for Xã Mường La with two villages."""
    from .browser import FieldServer

    data_dir = tmp_path / "server-data"
    with laptop_folder(data_dir, (("Bản Nà Lò", 120), ("Bản Đán", 85))):
        pass
    server = FieldServer(data_dir).start()
    yield server
    server.stop()


@pytest.fixture
def page(tmp_path):
    """A headless Chromium page (Debian's Chromium driven by Playwright)."""
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM_FLAGS, chromium_path

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture(autouse=True, scope="session")
def artifacts_dir():
    from .browser import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def central(request, tmp_path):
    """A real central (`langnghe central`, waitress) on SQLite or on the real PostgreSQL."""
    from .sync_support import Central, drop_pg_database, make_pg_database

    data_dir = tmp_path / "central"
    data_dir.mkdir()
    database = make_pg_database() if request.param == "postgresql" else None
    server = Central(data_dir, database).start()
    yield server
    server.close()
    if database:
        drop_pg_database(database)


@pytest.fixture
def sqlite_central(tmp_path):
    """A real central on a SQLite file (for tests that copy or restore its database)."""
    from .sync_support import Central

    data_dir = tmp_path / "central"
    data_dir.mkdir()
    server = Central(data_dir).start()
    yield server
    server.close()


@pytest.fixture
def laptop(tmp_path):
    """A field app in this process, its own SQLite file, set up for Mường La (3 villages)."""
    app = create_app({"DATA_DIR": tmp_path / "laptop", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "SYNC_BACKOFF": 0.01, "SYNC_ATTEMPTS": 4,
                      "SYNC_TIMEOUT": (5.0, 30.0)})
    upgrade_database(app)
    with app.app_context():
        commune = areas.choose_commune(MUONG_LA)
        for name, households in (("Bản Nà Lò", 120), ("Bản Đán", 85), ("Tiểu khu 1", 300)):
            areas.add_village(commune, name, None, households)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()
