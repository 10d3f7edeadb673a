"""What the sync benchmarks share: a laptop and a real central in a temporary folder."""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

from field_app import create_app
from field_app.cli import upgrade_database
from tests.sync_support import Central


@contextlib.contextmanager
def laptop_and_central() -> Iterator[tuple]:
    """Yield (laptop app, started central, laptop data folder); clean all up after."""
    with tempfile.TemporaryDirectory() as tmp:
        central_dir, laptop_dir = Path(tmp) / "central", Path(tmp) / "laptop"
        central_dir.mkdir()
        app = create_app({"DATA_DIR": laptop_dir})
        with contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
            upgrade_database(app)
        central = Central(central_dir)
        try:
            central.start()
            yield app, central, laptop_dir
        finally:
            central.close()
