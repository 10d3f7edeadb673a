"""The office's tables follow what laptops send, inside the ingest's transaction.

Real databases (a SQLite file and the real PostgreSQL), records through
`sync.store.ingest_batch` as a push or a USB bundle stores them.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from field_app import create_app
from field_app.central.accounts.logic import create_account, create_token
from field_app.central.catalogue.logic import add_unit
from field_app.central.inbox import logic as inbox
from field_app.central.inbox.models import AuditEntry, OfficeForum, OfficeOpinion
from field_app.cli import upgrade_database
from field_app.errors import Forbidden, ValidationFailed
from field_app.extensions import db
from sync import store

from .sync_support import drop_pg_database, make_pg_database

WALL = 1_780_000_000_000


def stamp(n: int) -> str:
    return f"{WALL + n:013d}-0000-laptopnode01"


@contextmanager
def office_app(tmp_path, backend: str, migrate_to: str | None = None):
    """A central app on a fresh database of `backend`, migrated (to head, or `migrate_to`)."""
    url = make_pg_database() if backend == "postgresql" else None
    config = {"ROLE": "central", "DATA_DIR": tmp_path / "central", "TESTING": True,
              "WTF_CSRF_ENABLED": False}
    if url:
        config["SQLALCHEMY_DATABASE_URI"] = url
    app = create_app(config)
    try:
        if migrate_to:
            with app.app_context():
                upgrade(directory=app.extensions["migrate"].directory, revision=migrate_to)
        else:
            upgrade_database(app)
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        if url:
            drop_pg_database(url)


def enrolled(conn, commune: int = 3808):
    code = store.create_enrolment(conn, commune, "Máy bản Nà Lò")
    return store.get_device(conn, store.enrol(conn, code, "Máy bản Nà Lò", None)["device_id"])


def push(device_id: str, records: list[dict]) -> store.BatchResult:
    with db.engine.begin() as conn:
        return store.ingest_batch(conn, store.get_device(conn, device_id), {"records": records})


def village(record_id: str, seq: int, name: str = "Bản Nà Lò") -> dict:
    return {"c": "village", "id": record_id, "seq": seq, "hlc": stamp(seq), "op": "put",
            "data": {"commune_code": 3808, "name": name, "kind": "ban"}}


def forum(record_id: str, village_id: str, seq: int) -> dict:
    return {"c": "forum", "id": record_id, "seq": seq, "hlc": stamp(seq), "op": "put",
            "data": {"kind": "listening", "village_id": village_id,
                     "started_at": "2026-03-05T08:00:00", "status": "draft",
                     "attendance_total": 60}}


def opinion(record_id: str, village_id: str, seq: int, forum_id: str | None = None,
            **data) -> dict:
    return {"c": "opinion", "id": record_id, "seq": seq, "hlc": stamp(seq), "op": "put",
            "data": {"kind": "petition", "channel": "forum" if forum_id else "direct",
                     "village_id": village_id, "forum_id": forum_id, "category_code": "land",
                     "category_name": "Đất đai", "content": "Đường vào bản bị sạt lở",
                     "level": "commune", "raiser_name": "Lò Văn Pọm",
                     "raiser_phone": "0912345678", "created_at": "2026-03-05T08:30:00",
                     **data}}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_push_fills_the_office_tables_and_the_history(tmp_path, backend):
    with office_app(tmp_path, backend):
        with db.engine.begin() as conn:
            device = enrolled(conn)
        v, f, o, d = (str(uuid.uuid4()) for _ in range(4))
        result = push(device.id, [village(v, 1), forum(f, v, 2), opinion(o, v, 3, f),
                                  opinion(d, v, 4, kind="denunciation")])
        assert "".join(result.results) == "SSSS"

        said = db.session.get(OfficeOpinion, uuid.UUID(o))
        assert (said.commune_code, str(said.village_id), str(said.forum_id)) == (3808, v, f)
        assert said.spoken_on.isoformat() == said.received_on.isoformat() == "2026-03-05"
        assert said.status == "received" and said.device_id == device.id
        assert "duong vao ban bi sat lo" in said.folded and said.raiser_folded == "lo van pom"
        assert "pom" not in said.folded  # the name is searched apart, by roles that may
        assert db.session.get(OfficeForum, uuid.UUID(f)).attendance_total == 60
        # A denouncer's name is not even searchable.
        assert db.session.get(OfficeOpinion, uuid.UUID(d)).raiser_folded is None
        first = inbox.history(uuid.UUID(o))
        assert [(h.source, h.action, h.device_id) for h in first] == [
            ("laptop", "received", device.id)]
        assert first[0].push_id is not None

        # The laptop corrects the content, then deletes the denunciation.
        changed = opinion(o, v, 5, f, content="Đường vào bản sạt lở nặng")
        gone = {"c": "opinion", "id": d, "seq": 6, "hlc": stamp(6), "op": "delete"}
        assert "".join(push(device.id, [changed, gone]).results) == "SS"
        db.session.expire_all()
        lines = inbox.history(uuid.UUID(o))
        assert lines[-1].action == "changed"
        assert lines[-1].changes == {"content": ["Đường vào bản bị sạt lở",
                                                 "Đường vào bản sạt lở nặng"]}
        assert lines[-1].push_id > first[0].push_id
        assert db.session.get(OfficeOpinion, uuid.UUID(d)).deleted
        assert inbox.history(uuid.UUID(d))[-1].action == "deleted"

        # Replaying the same push changes nothing and writes no history.
        before = db.session.execute(select(db.func.count()).select_from(AuditEntry)).scalar()
        assert "".join(push(device.id, [changed, gone]).results) == "UU"
        assert db.session.execute(select(db.func.count()).select_from(AuditEntry)).scalar() \
            == before


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_office_edit_keeps_its_history_and_reaches_the_laptops(tmp_path, backend):
    with office_app(tmp_path, backend):
        with db.engine.begin() as conn:
            device = enrolled(conn)
        v, o = str(uuid.uuid4()), str(uuid.uuid4())
        push(device.id, [village(v, 1), opinion(o, v, 2)])
        officer = create_account("canbo", "mat-khau-xa-2026", "officer", 3808)
        other = create_account("canbo-khac", "mat-khau-xa-2026", "officer", 3809)
        viewer = create_account("xem", "mat-khau-xa-2026", "viewer", 3808)
        unit = add_unit(3808, "Phòng Kinh tế")
        db.session.commit()

        inbox.update_opinion(officer, uuid.UUID(o), {
            "status": "forwarded", "unit_id": str(unit.id), "due_on": "2026-04-05",
            "category_code": "construction"}, reason="Giao thông, không phải đất đai")
        db.session.commit()
        said = db.session.get(OfficeOpinion, uuid.UUID(o))
        assert (said.status, said.unit_id, said.category_code) == (
            "forwarded", unit.id, "construction")
        assert said.category_name == "Giao thông – xây dựng – thủy lợi"
        last = inbox.history(said.id)[-1]
        assert (last.source, last.actor, last.reason) == (
            "office", "canbo", "Giao thông, không phải đất đai")
        assert last.changes["status"] == ["received", "forwarded"]
        # On the wire: one change the laptop pulls, with the unit's name.
        with db.engine.connect() as conn:
            page = store.pull_changes(conn, store.get_device(conn, device.id), 0)
        change = page["changes"][-1]
        assert change["central"]["status"] == "forwarded"
        assert change["central"]["responsible_unit"] == "Phòng Kinh tế"
        assert change["central"]["due_date"] == "2026-04-05"
        assert change["corrections"]["category_code"] == "construction"

        # Refused: bad values, another commune's officer, a viewer. Nothing changes.
        for account, values, error in (
                (officer, {"status": "done"}, ValidationFailed),
                (officer, {"due_on": "31/12/2026"}, ValidationFailed),
                (officer, {"category_code": "no-such"}, ValidationFailed),
                (officer, {"content": "Sửa lời dân"}, ValidationFailed),
                (viewer, {"status": "closed"}, Forbidden)):
            with pytest.raises(error):
                inbox.update_opinion(account, uuid.UUID(o), values)
            db.session.rollback()
        with pytest.raises(Exception) as refused:
            inbox.update_opinion(other, uuid.UUID(o), {"status": "closed"})
        assert refused.value.status == 404
        db.session.rollback()
        assert db.session.get(OfficeOpinion, uuid.UUID(o)).status == "forwarded"


def test_a_central_upgraded_with_records_gets_its_office_tables_filled(tmp_path):
    """A central that held records before the office tables existed loses none of them."""
    with office_app(tmp_path, "sqlite", migrate_to="core@head") as app:
        hooked = store._listeners.pop(db.engine)  # stored as an older central stored them
        try:
            with db.engine.begin() as conn:
                device = enrolled(conn)
            v, f, o = (str(uuid.uuid4()) for _ in range(3))
            push(device.id, [village(v, 1), forum(f, v, 2), opinion(o, v, 3, f)])
        finally:
            store._listeners[db.engine] = hooked
        upgrade_database(app)
        said = db.session.get(OfficeOpinion, uuid.UUID(o))
        assert said is not None and said.spoken_on.isoformat() == "2026-03-05"
        assert db.session.get(OfficeForum, uuid.UUID(f)) is not None
        assert [h.action for h in inbox.history(said.id)] == ["received"]


def test_search_words_are_the_runs_of_a_to_z_and_digits_each_once():
    """projection.words_of splits bytes (a letter outside ASCII is bytes ≥ 0x80): it finds
    what the WORD pattern finds, in order, each once, none over 200 long."""
    import random
    import re

    from field_app.central.inbox.models import NAME_MARK, WORD
    from field_app.central.inbox.projection import words_of

    def expected(text: str) -> list[str]:
        return [word for word in dict.fromkeys(re.findall(WORD, text)) if len(word) <= 200]

    rng = random.Random(2026)
    letters = "abcxyz0189 .,;–—“”đéÁ~\t\n-_/\u00a0\u200b"
    for _ in range(3000):
        text = "".join(rng.choice(letters) for _ in range(rng.randint(0, 60)))
        if rng.random() < 0.1:
            text += " " + "a" * rng.randint(195, 205) + " b"
        name = "".join(rng.choice(letters) for _ in range(rng.randint(0, 12)))
        assert words_of(text, name or None) == " ".join(
            expected(text) + [NAME_MARK + word for word in expected(name)])
    assert words_of("đường vào bản – duong vao ban 2026", "lo van pom") == \
        "ng v o b n duong vao ban 2026 ~lo ~van ~pom"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_forum_page_numbers_its_opinions_as_its_minutes_do(tmp_path, backend):
    """The office listed a forum's opinions by arrival: "ý kiến số 2" of the minutes could
    be the office's third. Its number comes with it, also for what an older central held."""
    with office_app(tmp_path, backend) as app:
        with db.engine.begin() as conn:
            device = enrolled(conn)
        v, f = str(uuid.uuid4()), str(uuid.uuid4())
        said = {n: str(uuid.uuid4()) for n in (1, 2, 3)}
        # Sent in the order 2, 3, 1 (the first one edited last, re-sent after the others).
        push(device.id, [village(v, 1), forum(f, v, 2),
                         opinion(said[2], v, 3, f, position=2, content="Ý kiến thứ hai"),
                         opinion(said[3], v, 4, f, position=3, content="Ý kiến thứ ba")])
        push(device.id, [opinion(said[1], v, 5, f, position=1, content="Ý kiến thứ nhất"),
                         opinion(str(uuid.uuid4()), v, 6, None, position=0,
                                 content="Gửi thẳng, ngoài hội nghị")])
        # As a central before o023 held them: no number; the upgrade fills them in from
        # the wire's log.
        downgrade(directory=app.extensions["migrate"].directory, revision="o022")
        db.session.remove()
        assert "position" not in {column["name"] for column in
                                  inspect(db.engine).get_columns("office_opinion")}
        upgrade_database(app)
        numbers = dict(db.session.execute(
            select(OfficeOpinion.id, OfficeOpinion.position)).all())
        assert {str(key): value for key, value in numbers.items() if value} == {
            said[n]: n for n in (1, 2, 3)}
        assert sorted(numbers.values(), key=str) == [1, 2, 3, None]
        # A new opinion of the forum, pushed after the upgrade, comes with its number.
        fourth = str(uuid.uuid4())
        push(device.id, [opinion(fourth, v, 7, f, position=4, content="Ý kiến thứ tư")])
        assert db.session.get(OfficeOpinion, uuid.UUID(fourth)).position == 4

        officer = create_account("canbo", "mat-khau-du-dai-1", role="officer",
                                 commune_code=3808)
        token = create_token(officer, "kiểm thử")
        db.session.commit()
        client = app.test_client()
        client.post("/central/login", data={"username": "canbo",
                                            "password": "mat-khau-du-dai-1"})
        page = client.get(f"/central/forums/{f}").get_data(as_text=True)
        listed = [page.index(text) for text in ("thứ nhất", "thứ hai", "thứ ba", "thứ tư")]
        assert listed == sorted(listed)
        for n in (1, 2, 3):
            assert f'id="r-{said[n]}" value="{n}"' in page
        shown = client.get(f"/central/opinions/{said[2]}").get_data(as_text=True)
        assert "ý kiến số 2 trong biên bản" in shown
        api = client.get(f"/central/api/v1/opinions/{said[3]}",
                         headers={"Authorization": f"Bearer {token}"}).get_json()
        assert api["position"] == 3
