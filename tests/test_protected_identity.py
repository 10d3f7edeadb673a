"""A denouncer's identity (tố cáo) at the central: sealed apart, encrypted with a key kept
outside the database, shown only to the role the law allows, never on any other page,
API answer, pull, USB file, forwarding slip, nor in the database file's bytes.

Real databases (a SQLite file and the real PostgreSQL), records through the real
ingest (`sync.store.ingest_batch`), pages through the real office app; a real laptop
syncing with a real central for the edit after the strip.
"""

from __future__ import annotations

import copy
import json
import os
import stat
import time
import uuid
from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from field_app.central.catalogue.logic import add_unit
from field_app.central.identity.keys import KEY_FILE, Sealer, load_key
from field_app.central.identity.logic import seal_existing
from field_app.central.identity.models import ProtectedIdentity
from field_app.central.inbox import logic as inbox
from field_app.central.inbox.models import AuditEntry, OfficeOpinion
from field_app.extensions import db
from field_app.models_base import utcnow
from sync import bundle, store

from .office_support import MUONG_LA, Laptop, account, login, office_app

NAME, PHONE, ADDRESS = "Cầm Văn Tố", "0987654321", "Tổ 3, bản Hốc"
OTHER_NAME = "Lò Văn Panh"  # an ordinary speaker: shown to whom may see names
ROLES = ("viewer", "handler", "mttq", "admin", "officer")


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request, tmp_path):
    """A central app on a fresh SQLite file or PostgreSQL database, migrated for real."""
    with office_app(tmp_path / "office", request.param) as app:
        yield app


def denounce(laptop: Laptop, record_id: uuid.UUID | None = None, **extra) -> uuid.UUID:
    return laptop.opinion("Bản Hốc", "Tố cáo trưởng bản thu tiền sai quy định TOCAO1",
                          record_id=record_id, kind="denunciation", raiser_name=NAME,
                          raiser_phone=PHONE, raiser_gender="male", raiser_address=ADDRESS,
                          **extra)


def world(app) -> SimpleNamespace:
    """One laptop's denunciation and one ordinary opinion; every role's account."""
    laptop = Laptop(app, MUONG_LA, "Máy bản Hốc")
    laptop.village("Bản Hốc")
    secret = denounce(laptop)
    plain = laptop.opinion("Bản Hốc", "Xin sửa đường vào bản THUONG1", raiser_name=OTHER_NAME)
    laptop.push()
    with app.app_context():
        unit = add_unit(MUONG_LA, "Công an xã").id
        db.session.commit()
    for role in ROLES:
        account(app, role, role, unit_id=unit if role == "handler" else None)
    with app.app_context():
        for key in (secret, plain):
            inbox.update_opinion(SETUP, key, {"unit_id": unit})
        db.session.commit()
    return SimpleNamespace(laptop=laptop, secret=secret, plain=plain, unit=unit)


SETUP = SimpleNamespace(id=None, username="chuan-bi", role="admin", commune_code=None,
                        unit_id=None, is_authenticated=True, is_active=True)


def assert_hidden(body: str) -> None:
    assert NAME not in body and PHONE not in body and ADDRESS not in body
    # Nor written another way: JSON's \\u escapes.
    assert json.dumps(NAME)[1:-1] not in body


def office_bodies(app, w, role: str) -> dict[str, str]:
    client = login(app, role)
    token_headers = {}
    with app.app_context():
        from field_app.central.accounts.logic import create_token
        from field_app.central.accounts.models import Account

        holder = db.session.execute(select(Account).where(Account.username == role)).scalar()
        token_headers = {"Authorization": f"Bearer {create_token(holder, 'thu')}"}
        db.session.commit()
    pages = {
        "inbox": client.get("/central/inbox"),
        "inbox by name": client.get("/central/inbox?q=cam+van+to"),
        "opinion": client.get(f"/central/opinions/{w.secret}"),
        "forwarding slip": client.get(f"/central/forwarding-slip?unit={w.unit}"
                                      f"&opinion={w.secret}&opinion={w.plain}"),
        "api list": client.get("/central/api/v1/opinions", headers=token_headers),
        "api search": client.get("/central/api/v1/opinions?q=cam+van+to",
                                 headers=token_headers),
        "api opinion": client.get(f"/central/api/v1/opinions/{w.secret}",
                                  headers=token_headers),
        "api slip": client.get(f"/central/api/v1/forwarding-slip?unit={w.unit}"
                               f"&opinion={w.secret}&opinion={w.plain}", headers=token_headers),
        "api identity": client.post(f"/central/api/v1/opinions/{w.secret}/identity",
                                    headers=token_headers),
        "notifications": client.get("/central/notifications"),
        "devices": client.get("/central/"),
    }
    bodies = {name: answer.get_data(as_text=True) for name, answer in pages.items()}
    bodies["_statuses"] = json.dumps({name: answer.status_code
                                      for name, answer in pages.items()})
    return bodies


def test_the_identity_is_sealed_apart_and_shown_only_on_request(office):
    app = office
    w = world(app)
    with app.app_context():
        row = db.session.get(OfficeOpinion, w.secret)
        assert (row.raiser_name, row.raiser_phone, row.raiser_gender) == (None, None, None)
        assert row.kind == "denunciation" and row.identity_protected
        assert db.session.get(OfficeOpinion, w.plain).raiser_name == OTHER_NAME
        wire = db.session.execute(select(store.record.c.data).where(
            store.record.c.id == w.secret)).scalar()
        assert not {"raiser_name", "raiser_phone", "raiser_gender", "raiser_address"} & set(wire)
        assert wire["content"].endswith("TOCAO1")
        sealed = db.session.get(ProtectedIdentity, w.secret)
        assert NAME not in sealed.sealed and PHONE not in sealed.sealed
        key = (app.config["DATA_DIR"] / KEY_FILE)
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
        assert Sealer(load_key(app.config)).open(sealed.sealed) == {
            "raiser_name": NAME, "raiser_phone": PHONE, "raiser_gender": "male",
            "raiser_address": ADDRESS}

    for role in ROLES:
        bodies = office_bodies(app, w, role)
        statuses = json.loads(bodies.pop("_statuses"))
        for name, body in bodies.items():
            if role == "officer" and name == "api identity":
                continue  # the one answer allowed to carry it, below
            assert_hidden(body)
        assert statuses["opinion"] == 200 and statuses["api opinion"] == 200
        assert statuses["api identity"] == (200 if role == "officer" else 403)
        assert ("reveal-identity" in bodies["opinion"]) == (role == "officer")
        # A search by the denouncer's name finds nothing, whoever searches.
        assert "TOCAO1" not in bodies["inbox by name"]
        assert json.loads(bodies["api search"])["total"] == 0
        if role in ("officer", "mttq", "admin", "handler"):  # may see other citizens' names
            assert OTHER_NAME in bodies["forwarding slip"]
            assert "Đã che danh tính" in bodies["forwarding slip"]
            slip = json.loads(bodies["api slip"])
            assert [item["identity_protected"] for item in slip["items"]] == [True, False]
            assert [item["raiser_name"] for item in slip["items"]] == [None, OTHER_NAME]

    officer = login(app, "officer")
    shown = officer.post(f"/central/opinions/{w.secret}/identity")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    body = shown.get_data(as_text=True)
    assert NAME in body and PHONE in body and ADDRESS in body
    with app.app_context():
        looks = db.session.execute(select(AuditEntry).where(
            AuditEntry.record_id == w.secret, AuditEntry.action == "identity_viewed")).all()
        assert len(looks) == 2  # the page's button and the officer's API call above
    history = officer.get(f"/central/opinions/{w.secret}").get_data(as_text=True)
    assert "xem danh tính người tố cáo" in history
    assert_hidden(history)
    # A viewer pressing the button by hand is refused, and nothing is recorded.
    assert login(app, "viewer").post(f"/central/opinions/{w.secret}/identity").status_code \
        == 403


def test_no_pull_nor_usb_acknowledgement_carries_it(office):
    app = office
    w = world(app)
    with app.app_context():
        inbox.update_opinion(SETUP, w.secret, {"status": "in_progress",
                                                "answer_text": "Đang xác minh"})
        inbox.update_opinion(SETUP, w.secret, {"category_code": "security"})
        db.session.commit()
        with db.engine.begin() as conn:
            dev = store.get_device(conn, w.laptop.device_id)
            page = store.pull_changes(conn, dev, 0, remember=False)
            ack = bundle.ack_file(conn, w.laptop.device_id)
            secret = dev.secret
    pulled = json.dumps(page, ensure_ascii=False, default=str)
    assert str(w.secret) in pulled and "Đang xác minh" in pulled
    assert_hidden(pulled)
    # The file is encrypted for the laptop: what the laptop reads from it hides it too.
    held, changes, extras = bundle.read_ack(ack, w.laptop.device_id, secret)
    opened = json.dumps([held, changes, extras], ensure_ascii=False, default=str)
    assert str(w.secret) in opened and "Đang xác minh" in opened
    assert_hidden(opened)


def test_a_laptop_edit_after_the_strip_lands_once_and_keeps_the_identity(office):
    app = office
    w = world(app)
    laptop = w.laptop
    # The village head corrects the content; the laptop sends the whole record again.
    denounce(laptop, record_id=w.secret)
    laptop.waiting[-1]["data"]["content"] = "Tố cáo trưởng bản thu tiền sai (bổ sung) TOCAO1"
    laptop.waiting[-1]["fields"] = ["content"]
    again = copy.deepcopy(laptop.waiting)
    assert laptop.push().results == ["S"]
    # The same batch replayed (a lost answer): stored once, nothing changes.
    laptop.waiting = again
    assert laptop.push().results == ["U"]
    with app.app_context():
        row = db.session.get(OfficeOpinion, w.secret)
        assert row.content.startswith("Tố cáo trưởng bản thu tiền sai (bổ sung)")
        assert row.raiser_name is None
        assert db.session.get(ProtectedIdentity, w.secret) is not None
        history = db.session.execute(select(AuditEntry.changes).where(
            AuditEntry.record_id == w.secret)).scalars().all()
        assert_hidden(json.dumps(history, ensure_ascii=False))


def test_a_kind_changed_to_and_from_tố_cáo_moves_the_identity(office):
    app = office
    laptop = Laptop(app, MUONG_LA, "Máy bản Hốc")
    laptop.village("Bản Hốc")
    said = laptop.opinion("Bản Hốc", "Ông trưởng bản thu tiền", raiser_name="Cầm Văn Tò",
                          raiser_phone=PHONE)
    laptop.push()
    # The laptop corrects the name: the history holds both, as for any speaker.
    laptop.opinion("Bản Hốc", "Ông trưởng bản thu tiền", record_id=said, raiser_name=NAME,
                   raiser_phone=PHONE)
    laptop.push()
    with app.app_context():
        assert NAME in json.dumps(db.session.execute(select(AuditEntry.changes).where(
            AuditEntry.record_id == said)).scalars().all(), ensure_ascii=False)
        # The office reclassifies it as a tố cáo: sealed, and the history scrubbed.
        inbox.update_opinion(SETUP, said, {"kind": "denunciation"}, "đơn có nội dung tố cáo")
        db.session.commit()
        row = db.session.get(OfficeOpinion, said)
        assert (row.kind, row.raiser_name, row.raiser_phone, row.raiser_folded) == (
            "denunciation", None, None, None)
        assert not {"raiser_name", "raiser_phone"} & set(_wire(said))
        assert_hidden(json.dumps(db.session.execute(select(AuditEntry.changes).where(
            AuditEntry.record_id == said)).scalars().all(), ensure_ascii=False))
        assert _identity(app, said)["raiser_name"] == NAME
    # The laptop, after its pull, edits the content: still protected.
    laptop.opinion("Bản Hốc", "Ông trưởng bản thu tiền, có biên lai", record_id=said,
                   kind="denunciation", raiser_name=NAME, raiser_phone=PHONE)
    laptop.waiting[-1]["fields"] = ["content"]
    laptop.push()
    with app.app_context():
        assert db.session.get(OfficeOpinion, said).raiser_name is None
        assert "raiser_name" not in _wire(said)
        # Back to a petition: the identity returns to the opinion and the log.
        inbox.update_opinion(SETUP, said, {"kind": "petition"})
        db.session.commit()
        row = db.session.get(OfficeOpinion, said)
        assert (row.kind, row.raiser_name, row.raiser_phone) == ("petition", NAME, PHONE)
        assert _wire(said)["raiser_name"] == NAME
        assert db.session.get(ProtectedIdentity, said) is None
        actions = db.session.execute(select(AuditEntry.action).where(
            AuditEntry.record_id == said)).scalars().all()
        assert "identity_sealed" in actions and "identity_released" in actions
    # A laptop that has not pulled yet sends it back as a tố cáo: the office's newer
    # correction stands, and the identity the ingest took out is put back in clear.
    laptop.opinion("Bản Hốc", "Ông trưởng bản thu tiền, có biên lai", record_id=said,
                   kind="denunciation", raiser_name=NAME, raiser_phone=PHONE)
    laptop.push()
    with app.app_context():
        row = db.session.get(OfficeOpinion, said)
        assert (row.kind, row.raiser_name) == ("petition", NAME)
        assert _wire(said)["raiser_phone"] == PHONE
        assert db.session.get(ProtectedIdentity, said) is None
    # The laptop itself makes another opinion a tố cáo, then a complaint.
    other = laptop.opinion("Bản Hốc", "Cán bộ địa chính nhận quà", raiser_name=NAME,
                           raiser_phone=PHONE)
    laptop.push()
    laptop.opinion("Bản Hốc", "Cán bộ địa chính nhận quà", record_id=other,
                   kind="denunciation", raiser_name=NAME, raiser_phone=PHONE)
    laptop.push()
    with app.app_context():
        assert db.session.get(OfficeOpinion, other).raiser_name is None
        assert "raiser_phone" not in _wire(other)
        assert _identity(app, other)["raiser_phone"] == PHONE
    laptop.opinion("Bản Hốc", "Cán bộ địa chính nhận quà", record_id=other,
                   kind="complaint", raiser_name=NAME, raiser_phone=PHONE)
    laptop.push()
    with app.app_context():
        row = db.session.get(OfficeOpinion, other)
        assert (row.kind, row.raiser_name) == ("complaint", NAME)
        assert db.session.get(ProtectedIdentity, other) is None


def test_an_anonymous_tố_cáo_is_worked_as_a_petition(office):
    app = office
    laptop = Laptop(app, MUONG_LA, "Máy bản Hốc")
    laptop.village("Bản Hốc")
    said = laptop.opinion("Bản Hốc", "Tố cáo nặc danh: cán bộ thu tiền", kind="denunciation",
                          anonymous=True, raiser_name=None, raiser_phone=PHONE)
    laptop.push()
    account(app, "officer", "officer")
    with app.app_context():
        row = db.session.get(OfficeOpinion, said)
        assert (row.kind, row.anonymous_denunciation, row.raiser_phone) == (
            "petition", True, None)
        assert row.identity_protected  # the phone it carried is sealed all the same
        assert _identity(app, said) == {"raiser_phone": PHONE, "raiser_gender": "male"}
        assert _wire(said)["kind"] == "denunciation"  # what the village said stays
        found = inbox.find_opinions(SETUP, inbox.Filters(kind="petition"))
        assert [item.id for item in found.items] == [said]
    page = login(app, "officer").get(f"/central/opinions/{said}").get_data(as_text=True)
    assert 'id="anonymous-denunciation"' in page and PHONE not in page
    # Given a name later, it is a tố cáo again.
    laptop.opinion("Bản Hốc", "Tố cáo: cán bộ thu tiền", record_id=said, kind="denunciation",
                   raiser_name=NAME, raiser_phone=PHONE)
    laptop.push()
    with app.app_context():
        row = db.session.get(OfficeOpinion, said)
        assert (row.kind, row.anonymous_denunciation) == ("denunciation", False)


def test_a_central_holding_identities_in_clear_gets_them_sealed(office):
    """What an older version kept in clear (office_opinion, the wire's log, the history)."""
    app = office
    laptop = Laptop(app, MUONG_LA, "Máy bản Hốc")
    laptop.village("Bản Hốc")
    said = laptop.opinion("Bản Hốc", "Tố cáo cán bộ", raiser_name=NAME, raiser_phone=PHONE)
    laptop.push()
    with app.app_context(), db.engine.begin() as conn:
        # As an older central stored a tố cáo: the kind set, the identity everywhere.
        data = dict(_wire(said, conn), kind="denunciation")
        conn.execute(store.record.update().where(store.record.c.id == said).values(data=data))
        conn.execute(OfficeOpinion.__table__.update().where(OfficeOpinion.id == said)
                     .values(kind="denunciation"))
        conn.execute(AuditEntry.__table__.insert().values(
            collection="opinion", record_id=said, commune_code=MUONG_LA, at=utcnow(),
            source="laptop", action="changed", changes={"raiser_name": ["X", NAME]}))
        assert seal_existing(conn, Sealer(load_key(app.config))) == 1
    with app.app_context():
        assert db.session.get(OfficeOpinion, said).raiser_name is None
        assert "raiser_name" not in _wire(said)
        assert _identity(app, said)["raiser_name"] == NAME
        assert_hidden(json.dumps(db.session.execute(select(AuditEntry.changes).where(
            AuditEntry.record_id == said)).scalars().all(), ensure_ascii=False))


def test_the_database_file_holds_no_denouncer_in_clear(office):
    """Search the bytes: the SQLite file (and its WAL), or every PostgreSQL table dumped."""
    app = office
    w = world(app)
    denounce(w.laptop, record_id=w.secret)  # an edit, stripped again
    w.laptop.push()
    login(app, "officer").post(f"/central/opinions/{w.secret}/identity")
    with app.app_context():
        inbox.update_opinion(SETUP, w.secret, {"answer_text": "Đã xác minh, xử lý kỷ luật"})
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            db.session.remove()
            with db.engine.connect() as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.engine.dispose()
            path = app.config["DATA_DIR"] / "langnghe.sqlite3"
            found = b"".join(candidate.read_bytes() for candidate in (
                path, path.with_name(path.name + "-wal")) if candidate.exists())
        else:
            found = b""
            with db.engine.connect() as conn:
                tables = conn.execute(text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
                for table in tables.all():
                    rows = conn.execute(text(f'SELECT t::text FROM "{table}" t')).scalars()
                    found += "\n".join(rows).encode("utf-8")
    assert OTHER_NAME.encode("utf-8") in found  # the search sees names when they are there
    assert b"TOCAO1" in found
    for needle in (NAME, PHONE, ADDRESS, json.dumps(NAME)[1:-1], "cam van to"):
        assert needle.encode("utf-8") not in found, needle


def test_a_real_laptop_s_edit_of_a_tố_cáo_lands_after_the_strip(central, laptop):
    """`langnghe sync` against a real central: the edit is stored, nothing is refused, the
    laptop keeps the identity and its queue empties."""
    from field_app.opinions import logic as opinions
    from field_app.opinions.models import Opinion
    from field_app.outbox import logic as outbox

    from .test_sync import assert_same_records, record_forum
    from .test_sync_merge import langnghe_sync

    forum, _said = record_forum(2)
    made = opinions.create_opinion({
        "kind": "denunciation", "content": "Tố cáo trưởng bản thu tiền sai quy định",
        "raiser_name": NAME, "raiser_phone": PHONE, "raiser_gender": "male",
        "category_code": "security"}, forum)
    db.session.commit()
    made_id = made.id
    outbox.enroll(central.url, central.enrolment_code())
    assert "0 bị từ chối" in langnghe_sync(laptop)
    time.sleep(0.01)
    # The edit form, as the village head sends it: the hidden identity left empty (kept).
    opinions.update_opinion(db.session.get(Opinion, made_id), {
        "kind": "denunciation", "category_code": "security",
        "content": "Tố cáo trưởng bản thu tiền sai quy định (bổ sung biên lai)"})
    db.session.commit()
    assert "0 bị từ chối" in langnghe_sync(laptop)

    stored = next(row for row in central.records("opinion") if row.id == made_id).data
    assert stored["content"].endswith("(bổ sung biên lai)")
    assert not {"raiser_name", "raiser_phone", "raiser_gender"} & set(stored)
    with central.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ProtectedIdentity.__table__)
                            .where(ProtectedIdentity.opinion_id == made_id)).scalar() == 1
        office_row = conn.execute(select(OfficeOpinion.__table__.c.raiser_name).where(
            OfficeOpinion.__table__.c.id == made_id)).scalar()
    assert office_row is None
    db.session.expire_all()
    kept = db.session.get(Opinion, made_id)
    assert (kept.raiser_name, kept.raiser_phone) == (NAME, PHONE)
    assert outbox.pending_count() == 0
    assert_same_records(central)


def _wire(record_id: uuid.UUID, conn=None) -> dict:
    query = select(store.record.c.data).where(store.record.c.id == record_id)
    if conn is not None:
        return dict(conn.execute(query).scalar())
    return dict(db.session.execute(query).scalar())


def _identity(app, record_id: uuid.UUID) -> dict:
    held = db.session.get(ProtectedIdentity, record_id)
    db.session.refresh(held)
    return Sealer(load_key(app.config)).open(held.sealed)


_ = datetime  # dates come from the laptop's records


def test_the_key_comes_from_the_environment_or_is_made_once_private(tmp_path, monkeypatch):
    from cryptography.fernet import Fernet, InvalidToken

    given = Fernet.generate_key().decode("ascii")
    monkeypatch.setenv("LANGNGHE_IDENTITY_KEY", given)
    assert load_key({"DATA_DIR": tmp_path}) == given.encode("ascii")
    assert not (tmp_path / KEY_FILE).exists()
    monkeypatch.delenv("LANGNGHE_IDENTITY_KEY")
    made = load_key({"DATA_DIR": tmp_path})
    assert load_key({"DATA_DIR": tmp_path}) == made  # the same key at every start
    assert stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode) == 0o600
    sealed = Sealer(made).seal({"raiser_name": NAME})
    with pytest.raises(InvalidToken):
        Sealer(given.encode("ascii")).open(sealed)  # another key opens nothing
