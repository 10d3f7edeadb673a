"""Real parts for sync tests: a central in its own waitress process, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from sync import store

from .browser import free_port, wait_until_up

PG_ADMIN_URL = os.environ.get("LANGNGHE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def make_pg_database() -> str:
    """Create an empty PostgreSQL database for one test; return its URL."""
    name = f"ln_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


class Central:
    """`langnghe central` in a subprocess on 127.0.0.1 (SQLite file or PostgreSQL)."""

    def __init__(self, data_dir: Path, database: str | None = None,
                 options: tuple[str, ...] = ()) -> None:
        self.data_dir = data_dir
        self.options = options  # more `langnghe central` options, e.g. --trusted-proxy
        self.database = database or "sqlite:///" + (data_dir / "langnghe.sqlite3").as_posix()
        self.backend = "postgresql" if self.database.startswith("postgresql") else "sqlite"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.engine = None

    def start(self) -> Central:
        with open(self.data_dir / "central.log", "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "field_app.cli", "central", "--host", "127.0.0.1",
                 "--port", str(self.port), "--data", str(self.data_dir),
                 "--database", self.database, *self.options],
                stdout=subprocess.DEVNULL, stderr=log)
        wait_until_up(self.url + "/healthz", seconds=60)
        if self.engine is None:
            self.engine = create_engine(self.database)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def kill(self) -> None:
        """kill -9: no clean shutdown, as a power cut or the OOM killer."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)

    def close(self) -> None:
        self.stop()
        if self.engine is not None:
            self.engine.dispose()

    def enrolment_code(self, commune_code: int = 3808, villages=None, label="Máy bản") -> str:
        with self.engine.begin() as conn:
            return store.create_enrolment(conn, commune_code, label, villages)

    def records(self, collection: str | None = None) -> list:
        query = select(store.record)
        if collection:
            query = query.where(store.record.c.collection == collection)
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def count(self, collection: str | None = None) -> int:
        query = select(func.count()).select_from(store.record)
        if collection:
            query = query.where(store.record.c.collection == collection)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()
