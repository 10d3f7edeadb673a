"""What keeps the field app quick (issue 13) without changing what it does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from field_app import MIGRATIONS_DIR
from field_app.cli import version_heads
from field_app.extensions import db
from field_app.opinions import logic as opinions
from field_app.outbox import logic as outbox
from sync.protocol import EncodedRecords, dumps, envelope_body

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("role", "wanted"), [("field", "core@head"), ("central", "heads")])
def test_heads_read_from_the_headers_are_alembics(role, wanted):
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert version_heads(MIGRATIONS_DIR, role) == {
        revision.revision for revision in script.get_revisions(wanted)}


def test_a_header_that_cannot_be_read_leaves_the_decision_to_alembic(tmp_path):
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "0001_x.py").write_text("revision = make_id()\n")
    assert version_heads(tmp_path, "field") is None


def _fresh_process(data: Path, body: str, heavy: list[str]) -> dict:
    """Upgrade a laptop's database at `data`, then run `body` in a new Python process;
    return the JSON it leaves in `result`, with which of the `heavy` modules it loaded."""
    subprocess.run([sys.executable, "-m", "field_app.cli", "upgrade-db", "--data", str(data)],
                   check=True, capture_output=True, cwd=ROOT)
    probe = (f"import json, sys\nfrom pathlib import Path\ndata = Path({str(data)!r})\n"
             f"{body}\n"
             f"result['loaded'] = [name for name in {heavy!r} if name in sys.modules]\n"
             "print(json.dumps(result))\n")
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                          text=True, cwd=ROOT)
    return json.loads(done.stdout.splitlines()[-1])


def test_a_field_start_at_head_imports_no_heavy_module(tmp_path):
    started = _fresh_process(tmp_path / "data", (
        "from field_app import create_app\n"
        "from field_app.cli import upgrade_database\n"
        "app = create_app({'DATA_DIR': data})\n"
        "saved = upgrade_database(app)\n"
        "answer = app.test_client().get('/healthz')\n"
        "result = {'saved': saved, 'status': answer.status_code}"),
        ["alembic", "docx", "requests", "apispec", "vietnam_provinces", "psycopg"])
    assert started == {"saved": None, "status": 200, "loaded": []}


def test_a_laptop_command_loads_no_page_and_no_office_code(tmp_path):
    """`langnghe sync` and the other laptop commands that serve nothing start without the
    views, the forms, the office's models or the central's ingest (a third of their
    start-up), and still record every change in the outbox."""
    started = _fresh_process(tmp_path / "data", (
        "from field_app.cli import _field_context\n"
        "from field_app.areas import logic as areas\n"
        "from field_app.outbox import logic as outbox\n"
        "app = _field_context(data)\n"
        "with app.app_context():\n"
        "    commune = areas.choose_commune(3808)\n"
        "    areas.add_village(commune, 'Bản Nà Lò', households=80)\n"
        "    result = {'waiting': outbox.pending_count()}"),
        ["field_app.forums.views", "field_app.central.inbox.models", "field_app.opinions.forms",
         "sync.store", "sync.tables", "requests"])
    assert started == {"waiting": 1, "loaded": []}


def test_an_envelope_of_encoded_records_is_the_canonical_body():
    records = [{"c": "opinion", "id": "a", "data": {"content": "Đường đất lầy"}},
               {"c": "forum", "id": "b", "fields": ["title"]}]
    envelope = {"protocol": 1, "device": "d1", "replica": "r", "batch": "x",
                "records": EncodedRecords(records, [dumps(item) for item in records])}
    assert envelope_body(envelope, envelope["records"].encoded) == dumps(envelope)
    assert json.loads(dumps(envelope))["records"] == records


def _badge(client) -> int:
    page = client.get("/").get_data(as_text=True)
    shown = page.split('class="sync-count"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    return int(shown.rsplit(":", 1)[1])


def test_top_bar_count_follows_new_records_and_a_sync_in_another_process(app, client, forum):
    waiting = outbox.pending_count()
    assert _badge(client) == waiting
    opinions.create_opinion({"content": "Xin sửa cầu treo", "kind": "petition",
                             "category_code": "construction"}, forum)
    db.session.commit()
    assert _badge(client) == waiting + 1
    # `langnghe sync` beside the running app acknowledges everything and moves the
    # checkpoint, in its own connection.
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET state = 'acked'"))
        conn.execute(text("UPDATE sync_state SET held_seq = held_seq + 1000, "
                          "last_sync_at = CURRENT_TIMESTAMP"))
    engine.dispose()
    db.session.remove()
    assert _badge(client) == 0 == outbox.pending_count()


def test_top_bar_count_is_counted_again_after_an_acknowledgement_file(app, client, forum):
    assert _badge(client) == outbox.pending_count() > 0
    db.session.execute(db.update(outbox.Outbox).values(state="acked"))
    db.session.commit()
    outbox.forget_badge_count()  # what import_ack does once it marked the records
    assert _badge(client) == 0
