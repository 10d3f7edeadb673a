"""Every office route × every role × own / other commune (and a handler's own / other unit).

The routes are read from the app's URL map (blueprints "central" and
"central_api"): a route added without a line in ROUTES fails this file. The
data comes in through the real ingest path (store.enrol, store.ingest_batch)
from a laptop of commune A and one of commune B; the central is a real SQLite
file, copied fresh for each test from one prepared per module.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from field_app import create_app
from field_app.central.accounts import logic as accounts
from field_app.central.accounts.models import Account, ApiToken
from field_app.central.cases import logic as cases
from field_app.central.cases.models import DeadlineRule, OfficeCase
from field_app.central.catalogue import logic as catalogue
from field_app.central.catalogue.logic import add_unit
from field_app.central.catalogue.models import OfficeCategory, OfficeVillage, Unit
from field_app.central.inbox import logic as inbox
from field_app.central.inbox.models import AuditEntry, OfficeOpinion
from field_app.central.notify.models import Notification
from field_app.cli import upgrade_database
from field_app.extensions import db
from sync import bundle, store

from .sync_support import drop_pg_database, make_pg_database

COMMUNE_A, COMMUNE_B = 3808, 3646  # Xã Mường La, Phường Tô Hiệu (Sơn La)
PASSWORD = "mat-khau-xa-2026"
NAME, NEW_NAME, PHONE = "Lò Văn Khăm", "Cầm Thị Nhung", "0912345678"
MARKERS = {"own": "MARKERA1", "other_unit": "MARKERA2", "other": "MARKERB1"}
LONG_AGO = datetime(2026, 1, 1, 8, 0)  # every account's last look at its inbox

# Who may do what: the product's expectation, written out here on purpose (not read from
# the permission map) so that a change of the map is a change of this table too.
ALLOWED = {
    "admin": {"inbox.view", "personal.view", "opinion.edit", "devices.view", "devices.manage",
              "catalogue.manage", "accounts.manage", "cases.manage", "cases.work",
              "reports.view", "notify.manage"},
    "officer": {"inbox.view", "personal.view", "identity.view", "opinion.edit", "devices.view",
                "devices.manage", "catalogue.manage", "cases.manage", "cases.work",
                "reports.view", "notify.manage"},
    "mttq": {"inbox.view", "personal.view", "opinion.edit", "devices.view", "devices.manage",
             "cases.manage", "cases.work", "reports.view", "notify.manage"},
    "handler": {"inbox.view", "personal.view", "opinion.edit", "cases.work", "reports.view"},
    "viewer": {"inbox.view", "devices.view", "reports.view"},
}
# The accounts the table acts as: every role in commune A, and a server-wide admin.
ACTORS = ("admin", "officer", "mttq", "handler", "viewer", "province_admin")


def role_of(actor: str) -> str:
    return "admin" if actor == "province_admin" else actor


def in_scope(actor: str, where: str) -> bool:
    """Tell whether the record `where` names is the actor's to see and change."""
    if actor == "province_admin" or where == "own":
        return True
    return where == "other_unit" and actor != "handler"


# --- the world: two communes' laptops, their records, units and accounts -------------------


@dataclass
class World:
    data_dir: Path
    opinions: dict[str, uuid.UUID] = field(default_factory=dict)  # by where
    devices: dict[str, dict] = field(default_factory=dict)  # "A"/"B": device_id, secret
    seq: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)  # by name
    tokens: dict[str, str] = field(default_factory=dict)  # by actor, and spare ones
    token_ids: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    forums: dict[str, uuid.UUID] = field(default_factory=dict)  # "A"/"B"
    attachments: dict[str, uuid.UUID] = field(default_factory=dict)  # by where
    villages: dict[str, list[uuid.UUID]] = field(default_factory=dict)  # "A"/"B": 3 each
    categories: dict[str, int] = field(default_factory=dict)  # "A"/"B"
    cases: dict[str, int] = field(default_factory=dict)  # by where: a case of that opinion
    spares: dict[str, uuid.UUID] = field(default_factory=dict)  # "A"/"B": in no case
    app: Any = None
    actor: str | None = None  # who the test acts as


def stamp(n: int, node: str) -> str:
    wall = int(time.time() * 1000) - 600_000
    return f"{wall + n:013d}-{n % 16:04x}-{node}"


def opinion_data(village: str, content: str, name: str,
                 forum: str | None = None) -> dict[str, Any]:
    return {"kind": "petition", "channel": "forum" if forum else "direct",
            "village_id": village, "category_code": "land", "level": "commune",
            "content": content, "anonymous": False, "raiser_name": name,
            "raiser_phone": PHONE, "raiser_gender": "male",
            **({"forum_id": forum} if forum else {})}


def attachment_content(where: str) -> bytes:
    return f"Biên bản TEPDINHKEM-{where}".encode()


def laptop_records(commune: int, key: str, contents: dict[str, str], node: str) -> list[dict]:
    """A laptop's first batch: its village, a forum there, the opinions said at the forum
    (one per `where`), three more villages (to merge) and a file of each opinion."""
    village, forum = str(uuid.uuid4()), str(uuid.uuid4())
    records = []

    def add(collection: str, record_id: str, data: dict) -> str:
        n = len(records) + 1
        records.append({"c": collection, "id": record_id, "seq": n, "hlc": stamp(n, node),
                        "op": "put", "data": data})
        return record_id

    add("village", village, {"commune_code": commune, "name": "Bản Nà Lò", "kind": "ban"})
    add("forum", forum, {"kind": "listening", "village_id": village,
                         "title": f"Hội nghị HOINGHI{key}",
                         "started_at": "2026-11-20T08:00:00", "status": "draft"})
    for content in contents.values():
        add("opinion", str(uuid.uuid4()), opinion_data(village, content, NAME, forum))
    for n, name in enumerate(("Bản Hua Păng", "Bản Co Mạ", "Bản Phiêng Ban"), 1):
        add("village", str(uuid.uuid4()), {"commune_code": commune, "kind": "ban",
                                           "name": f"{name} VIL{key}{n}"})
    for index, where in enumerate(contents):
        content = attachment_content(where)
        add("attachment", str(uuid.uuid4()), {
            "sha256": hashlib.sha256(content).hexdigest(), "mime_type": "text/plain",
            "size": len(content), "filename": f"bien-ban-{where}.txt",
            "opinion_id": records[2 + index]["id"]})
    return records


def upload(app, device_id: str, content: bytes) -> None:
    """Store a file's bytes as /sync/v1/blobs does."""
    blobs = store.BlobStore(app.config["CENTRAL_BLOBS"])
    with db.engine.begin() as conn:
        blobs.append(conn, store.get_device(conn, device_id), hashlib.sha256(
            content).hexdigest(), 0, content)


def ingest(device_id: str, records: list[dict]) -> None:
    with db.engine.begin() as conn:
        dev = store.get_device(conn, device_id)
        result = store.ingest_batch(conn, dev, {"records": records, "batch": str(uuid.uuid4())})
    assert not result.rejected, result.rejected


def office_app(data_dir: Path, database: str | None = None):
    config = {"ROLE": "central", "DATA_DIR": data_dir, "TESTING": True,
              "WTF_CSRF_ENABLED": False}
    if database:
        config["SQLALCHEMY_DATABASE_URI"] = database
    return create_app(config)


def build_world(data_dir: Path, database: str | None = None) -> World:
    world = World(data_dir)
    app = office_app(data_dir, database)
    upgrade_database(app)
    with app.app_context():
        batches = {}
        for key, commune, contents in (
                ("A", COMMUNE_A, {"own": f"Đường vào bản sạt lở {MARKERS['own']}",
                                  "other_unit": f"Xin cấp sổ đỏ {MARKERS['other_unit']}"}),
                ("B", COMMUNE_B, {"other": f"Thiếu nước sinh hoạt {MARKERS['other']}"})):
            with db.engine.begin() as conn:
                code = store.create_enrolment(conn, commune, f"Máy bản {key}")
                device = store.enrol(conn, code, f"Máy bản {key}", f"replica-{key}")
            world.devices[key] = device
            node = f"laptop{key.lower()}"
            records = laptop_records(commune, key, contents, node)
            ingest(device["device_id"], records)
            batches[key] = records
            world.forums[key] = uuid.UUID(records[1]["id"])
            world.villages[key] = [uuid.UUID(r["id"]) for r in records
                                   if r["c"] == "village"][1:]
            for record, where in zip([r for r in records if r["c"] == "opinion"], contents,
                                     strict=True):
                world.opinions[where] = uuid.UUID(record["id"])
            for record, where in zip([r for r in records if r["c"] == "attachment"],
                                     contents, strict=True):
                world.attachments[where] = uuid.UUID(record["id"])
                upload(app, device["device_id"], attachment_content(where))
        # The laptop corrects the speaker's name: the history now holds both names.
        seq = len(batches["A"]) + 1
        fixed = dict(batches["A"][2], seq=seq, hlc=stamp(seq, "laptopa"))
        fixed["data"] = dict(fixed["data"], raiser_name=NEW_NAME)
        ingest(world.devices["A"]["device_id"], [fixed])
        world.seq = {"A": seq, "B": len(batches["B"])}

        world.units = {"A1": add_unit(COMMUNE_A, "Địa chính xã").id,
                       "A2": add_unit(COMMUNE_A, "Văn hóa - Xã hội").id,
                       "B1": add_unit(COMMUNE_B, "Địa chính phường").id}
        province = accounts.create_account("province_admin", PASSWORD, "admin")
        for key, commune in (("A", COMMUNE_A), ("B", COMMUNE_B)):
            world.categories[key] = catalogue.add_category(
                province, commune, f"Lĩnh vực riêng LVRIENG{key}").id
            keep, _merge, merged = world.villages[key]
            catalogue.merge_villages(province, keep, merged, "trùng tên")
        for role in ALLOWED:
            accounts.create_account(role, PASSWORD, role, COMMUNE_A,
                                    world.units["A1"] if role == "handler" else None)
        accounts.create_account("admin_b", PASSWORD, "admin", COMMUNE_B)
        for key, commune in (("A", COMMUNE_A), ("B", COMMUNE_B)):
            accounts.create_account(f"target_{key}", PASSWORD, "officer", commune)
            off = accounts.create_account(f"disabled_{key}", PASSWORD, "officer", commune)
            off.disabled_at = off.created_at
        for where, unit in (("own", "A1"), ("other_unit", "A2"), ("other", "B1")):
            inbox.update_opinion(province, world.opinions[where],
                                 {"unit_id": world.units[unit]})
        world.units["P"] = add_unit(None, "Điện lực tỉnh", "utility").id
        db.session.commit()  # the ingest below writes on a connection of its own
        for key in ("A", "B"):  # an opinion in no case yet, to add to one
            world.seq[key] += 1
            spare = {"c": "opinion", "id": str(uuid.uuid4()), "seq": world.seq[key],
                     "hlc": stamp(world.seq[key], f"laptop{key.lower()}"), "op": "put",
                     "data": opinion_data(str(world.villages[key][0]), "Ý kiến lẻ",
                                          "Lường Văn Sơn")}
            ingest(world.devices[key]["device_id"], [spare])
            world.spares[key] = uuid.UUID(spare["id"])
        for where, unit in (("own", "A1"), ("other_unit", "A2"), ("other", "B1")):
            made = cases.merge(province, [world.opinions[where]])
            cases.assign(province, made.id, world.units[unit])
            made.due_on = date(2026, 11, 2)  # overdue
            world.cases[where] = made.id
        for key, days in (("A", 211), ("B", 212)):
            cases.save_rule(province, COMMUNE_A if key == "A" else COMMUNE_B, "feedback",
                            {"days": str(days)})
        world.accounts = {}
        for row in db.session.execute(select(Account)).scalars():
            world.accounts[row.username] = row.id
            row.inbox_seen_at = LONG_AGO
        for actor in ACTORS:
            world.tokens[actor] = accounts.create_token(db.session.get(
                Account, world.accounts[actor]), "bảng quyền")
        for key in ("A", "B"):
            target = db.session.get(Account, world.accounts[f"target_{key}"])
            world.tokens[f"target_{key}"] = accounts.create_token(target, "để thu hồi")
        world.token_ids = {f"target_{key}": db.session.execute(
            select(ApiToken.id).where(ApiToken.account_id == world.accounts[f"target_{key}"])
        ).scalar_one() for key in ("A", "B")}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return world


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> World:
    """The world, built once per module through migrations and ingest (copied per test)."""
    return build_world(tmp_path_factory.mktemp("roles") / "central")


@pytest.fixture
def world(prepared, tmp_path):
    """A fresh copy of the prepared central for one test.

    No app context stays pushed: each request gets its own, as in production (a
    request inside a pushed context would share its `g` and session).
    """
    data_dir = tmp_path / "central"
    shutil.copytree(prepared.data_dir, data_dir)
    app = office_app(data_dir)
    copy = World(data_dir, **{name: getattr(prepared, name) for name in (
        "opinions", "devices", "seq", "accounts", "tokens", "token_ids", "units", "forums",
        "attachments", "villages", "categories", "cases", "spares")}, app=app)
    yield app, copy
    with app.app_context():
        db.engine.dispose()


def client_as(app, world: World, actor: str | None, api: bool = False):
    """Return a test client logged in as `actor` (a session cookie, or a bearer token)."""
    client = app.test_client()
    if actor is None:
        return client, {}
    if api:
        return client, {"Authorization": f"Bearer {world.tokens[actor]}"}
    with app.app_context():
        session_id = db.session.get(Account, world.accounts[actor]).get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client, {}


# --- what each route is, how to call it, and how to tell it did something ------------------


def fresh(world: World, query):
    """Return what the database holds now (in a context of its own)."""
    with world.app.app_context():
        return db.session.execute(query).scalar()


def enrolments(world: World, commune: int) -> int:
    return fresh(world, select(func.count()).select_from(store.enrolment).where(
        store.enrolment.c.commune_code == commune))


def account_row(world: World, name: str) -> Account:
    with world.app.app_context():
        account = db.session.get(Account, world.accounts[name])
        db.session.expunge(account)
        return account


def token_works(world: World, name: str) -> bool:
    with world.app.app_context():
        return accounts.account_for_token(world.tokens[name]) is not None


def commune_of(where: str) -> int:
    return COMMUNE_B if where == "other" else COMMUNE_A


def key_of(where: str) -> str:
    return "B" if where == "other" else "A"


@dataclass
class Route:
    """One office route: its permission, how it is called, and what it changes or shows.

    kind: "list" (a page or API list: `shows` tells whether the `where` record is in it),
    "read" (one record: 403/404 outside the scope), "write" (`changed` tells whether the
    change happened), "public" (no login: `expect` is its status).
    """

    action: str | None
    kind: str
    call: Callable[[World, str], tuple[str, str, dict]]
    wheres: tuple[str, ...] = ("own", "other")
    shows: Callable[[str, World, str], bool] | None = None
    changed: Callable[[World, str], bool] | None = None
    expect: int = 200
    api: bool = False
    # A list asked for another commune by name (`?commune=`): refused outright (403),
    # not answered empty, for an account of one commune.
    refuses_other_commune: bool = False
    # `shows` reads the answer's bytes (a workbook), not its text.
    raw: bool = False


UNIT_SCOPED = ("own", "other_unit", "other")


def page_shows(body: str, world: World, where: str) -> bool:
    return MARKERS[where] in body


def account_shows(body: str, world: World, where: str) -> bool:
    return f"target_{key_of(where)}" in body


def api_items_show(body: str, world: World, where: str) -> bool:
    return str(world.opinions[where]) in body


def api_devices_show(body: str, world: World, where: str) -> bool:
    return world.devices[key_of(where)]["device_id"] in body


def device_page_shows(body: str, world: World, where: str) -> bool:
    return world.devices[key_of(where)]["device_id"] in body


def bundle_of(world: World, where: str) -> str:
    """Write a USB bundle of laptop A (own) or B (other) carrying one new opinion."""
    key = key_of(where)
    device = world.devices[key]
    seq = world.seq[key] + 1
    village = fresh(world, select(OfficeOpinion.village_id).where(
        OfficeOpinion.commune_code == commune_of(where)).limit(1))
    record = {"c": "opinion", "id": str(uuid.uuid4()), "seq": seq,
              "hlc": stamp(seq, f"laptop{key.lower()}"), "op": "put",
              "data": opinion_data(str(village), f"Qua USB BUNDLE{key}", NAME)}
    path = world.data_dir / f"{key}.bundle"
    bundle.write_bundle(path, device["device_id"], device["secret"], f"replica-{key}",
                        [record], [])
    return str(path)


def post_bundle(world: World, where: str):
    path = bundle_of(world, where)
    return "POST", "/central/bundle", {"data": {"bundle": (open(path, "rb"), "usb.bundle")},
                                       "content_type": "multipart/form-data"}


def bundle_stored(world: World, where: str) -> bool:
    return bool(fresh(world, select(func.count()).select_from(OfficeOpinion).where(
        OfficeOpinion.content.contains(f"BUNDLE{key_of(where)}"))))


def device_revoked(world: World, where: str) -> bool:
    return fresh(world, select(store.device.c.revoked_at).where(
        store.device.c.id == world.devices[key_of(where)]["device_id"])) is not None


def target(world: World, where: str, prefix: str = "target") -> int:
    return world.accounts[f"{prefix}_{key_of(where)}"]


def tokens_count(world: World, where: str) -> int:
    return fresh(world, select(func.count()).select_from(ApiToken).where(
        ApiToken.account_id == target(world, where)))


def category_name(world: World, where: str) -> str | None:
    return fresh(world, select(OfficeCategory.name).where(
        OfficeCategory.id == world.categories[key_of(where)]))


def category_added(world: World, where: str) -> bool:
    return fresh(world, select(OfficeCategory.id).where(
        OfficeCategory.commune_code == commune_of(where),
        OfficeCategory.name == f"Lĩnh vực mới MOI{key_of(where)}")) is not None


def merged_into(world: World, where: str, index: int) -> uuid.UUID | None:
    return fresh(world, select(OfficeVillage.merged_into).where(
        OfficeVillage.id == world.villages[key_of(where)][index]))


def inbox_seen_moved(world: World, where: str) -> bool:
    seen = fresh(world, select(Account.inbox_seen_at).where(
        Account.id == world.accounts[world.actor]))
    return seen is not None and seen > LONG_AGO


def forum_page_shows(body: str, world: World, where: str) -> bool:
    """The forum, and the opinions said there that the actor may see (a handler: its
    unit's only; the forum itself is the whole commune's)."""
    key = key_of(where)
    if f"HOINGHI{key}" not in body:
        return False
    if where == "other":
        return MARKERS["other"] in body
    return MARKERS["own"] in body and (
        (MARKERS["other_unit"] in body) == (world.actor != "handler"))


def report_shows(body: str, world: World, where: str) -> bool:
    return f"VIL{key_of(where)}1" in body


def attachment_shows(body: str, world: World, where: str) -> bool:
    return body == attachment_content(where).decode()


# --- cases ----------------------------------------------------------------------------------


def case_value(world: World, where: str, column: str):
    return fresh(world, select(getattr(OfficeCase, column)).where(
        OfficeCase.id == world.cases[where]))


def case_of_opinion(world: World, record_id: uuid.UUID):
    return fresh(world, select(OfficeOpinion.case_id).where(OfficeOpinion.id == record_id))


def with_spare_in_case(world: World, where: str) -> None:
    """Put the commune's spare opinion in the case of `where` (a case of two, to split);
    set in the table, whoever acts (even a disabled account)."""
    with world.app.app_context():
        db.session.get(OfficeOpinion, world.spares[key_of(where)]).case_id = world.cases[where]
        db.session.commit()


def as_denunciation(world: World, where: str) -> None:
    """Make the case of `where` a tố cáo: one that may be extended."""
    with world.app.app_context():
        db.session.get(OfficeCase, world.cases[where]).kind = "denunciation"
        db.session.commit()


def split_call(world: World, where: str, api: bool = False):
    with_spare_in_case(world, where)
    ids = [str(world.spares[key_of(where)])]
    path = f"/central{'/api/v1' if api else ''}/cases/{world.cases[where]}/split"
    return "POST", path, {"json": {"opinion_ids": ids}} if api else {
        "data": {"opinion_ids": ids}}


def spare_split(world: World, where: str) -> bool:
    return case_of_opinion(world, world.spares[key_of(where)]) not in (None, world.cases[where])


def extend_call(world: World, where: str):
    as_denunciation(world, where)
    return "POST", f"/central/cases/{world.cases[where]}/extend", {
        "data": {"reason": "cần xác minh thêm"}}


def unit_of(where: str) -> str:
    return {"own": "A1", "other_unit": "A2", "other": "B1"}[where]


def rule_days(world: World, where: str) -> int | None:
    return fresh(world, select(DeadlineRule.days).where(
        DeadlineRule.commune_code == commune_of(where), DeadlineRule.kind == "opinion"))


def unit_added(world: World, where: str) -> bool:
    return fresh(world, select(Unit.id).where(Unit.commune_code == commune_of(where),
                                              Unit.name == f"Điện lực MOI{key_of(where)}")
                 ) is not None


CASE_LATE = {"late_explanation": "Mưa lũ", "late_explained_by": "Trưởng ban",
             "apology_on": "2026-11-21", "apology_how": "Gặp tại nhà văn hóa",
             "apology_by": "Lò Văn Minh"}


# Prepares a route's record before the call, whatever the tested accounts' state.
SETUP = SimpleNamespace(id=None, username="chuan-bi", role="admin", commune_code=None,
                        unit_id=None, is_authenticated=True, is_active=True)


def denounced(world: World, where: str) -> uuid.UUID:
    """Make the opinion a tố cáo (the office's reclassification seals its identity)."""
    with world.app.app_context():
        inbox.update_opinion(SETUP, world.opinions[where], {"kind": "denunciation"})
        db.session.commit()
    return world.opinions[where]


def identity_viewed(world: World, where: str) -> bool:
    return bool(fresh(world, select(func.count()).select_from(AuditEntry).where(
        AuditEntry.record_id == world.opinions[where], AuditEntry.action == "identity_viewed")))


SLIP_UNIT = {"own": "A1", "other_unit": "A2", "other": "B1"}


def answered(world: World, where: str, failed: bool = False) -> int:
    """Answer the opinion (a message to its citizen is queued and sent); return its id."""
    with world.app.app_context():
        # As its case's answer reaches it (the opinion is in a case of its own).
        inbox.update_opinion(SETUP, world.opinions[where],
                             {"answer_text": f"Trả lời TRALOI{key_of(where)}",
                              "answer_by": "Chủ tịch UBND xã", "status": "answered"},
                             from_case=True)
        db.session.commit()
        message = db.session.execute(select(Notification).where(
            Notification.opinion_id == world.opinions[where])).scalar_one()
        if failed:
            message.status, message.last_error = "failed", "gateway down"
        db.session.commit()
        return message.id


def message_sent(world: World, where: str) -> bool:
    """Tell whether the message went to the sender (the log file: written down)."""
    return fresh(world, select(Notification.status).where(
        Notification.opinion_id == world.opinions[where])) in ("sent", "logged")


def workbook_text(data: bytes) -> str:
    """Return every cell of an XLSX workbook's sheets as one text."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return " ".join(str(value) for sheet in book.worksheets
                    for row in sheet.iter_rows(values_only=True) for value in row
                    if value is not None)


def sent_by_hand(world: World, where: str) -> bool:
    return fresh(world, select(Notification.sent_by).where(
        Notification.opinion_id == world.opinions[where])) is not None


ROUTES: dict[tuple[str, str], Route] = {
    ("central.login", "GET"): Route(None, "public", lambda w, x: ("GET", "/central/login", {})),
    ("central.login", "POST"): Route(None, "public", lambda w, x: (
        "POST", "/central/login", {"data": {"username": "admin", "password": "sai-mat-khau"}}),
        expect=401),
    ("central.logout", "POST"): Route(None, "public",
                                      lambda w, x: ("POST", "/central/logout", {}), expect=302),
    ("central.index", "GET"): Route("devices.view", "list", lambda w, x: (
        "GET", "/central/", {}), shows=device_page_shows),
    ("central.create_enrolment", "POST"): Route("devices.manage", "write", lambda w, x: (
        "POST", "/central/enrolments", {"data": {"commune": str(commune_of(x)),
                                                 "label": "Máy mới"}}),
        changed=lambda w, x: enrolments(w, commune_of(x)) > 1),
    ("central.revoke", "POST"): Route("devices.manage", "write", lambda w, x: (
        "POST", f"/central/devices/{w.devices[key_of(x)]['device_id']}/revoke", {}),
        changed=device_revoked),
    ("central.bundle", "GET"): Route("devices.manage", "read", lambda w, x: (
        "GET", "/central/bundle", {}), wheres=("own",)),
    ("central.bundle", "POST"): Route("devices.manage", "write", post_bundle,
                                      changed=bundle_stored),
    ("central.device_ack", "GET"): Route("devices.manage", "read", lambda w, x: (
        "GET", f"/central/devices/{w.devices[key_of(x)]['device_id']}/ack", {})),
    ("central.inbox", "GET"): Route("inbox.view", "list", lambda w, x: (
        "GET", "/central/inbox" + ("?commune=3646" if x == "other" else ""), {}),
        wheres=UNIT_SCOPED, shows=page_shows, refuses_other_commune=True),
    ("central.opinion", "GET"): Route("inbox.view", "read", lambda w, x: (
        "GET", f"/central/opinions/{w.opinions[x]}", {}), wheres=UNIT_SCOPED,
        shows=page_shows),
    ("central.update_opinion", "POST"): Route("opinion.edit", "write", lambda w, x: (
        # Its classification: the workflow of an opinion in a case is the case's.
        "POST", f"/central/opinions/{w.opinions[x]}", {"data": {"level": "province"}}),
        wheres=UNIT_SCOPED, changed=lambda w, x: fresh(w, select(OfficeOpinion.level).where(
            OfficeOpinion.id == w.opinions[x])) == "province"),
    ("central.reveal_identity", "POST"): Route("identity.view", "write", lambda w, x: (
        "POST", f"/central/opinions/{denounced(w, x)}/identity", {}), wheres=UNIT_SCOPED,
        changed=identity_viewed),
    ("central_api.api_reveal_identity", "POST"): Route("identity.view", "write", lambda w, x: (
        "POST", f"/central/api/v1/opinions/{denounced(w, x)}/identity", {}),
        wheres=UNIT_SCOPED, changed=identity_viewed, api=True),
    ("central.forwarding_slip", "GET"): Route("opinion.edit", "read", lambda w, x: (
        "GET", f"/central/forwarding-slip?unit={w.units[SLIP_UNIT[x]]}&opinion={w.opinions[x]}",
        {}), wheres=UNIT_SCOPED, shows=page_shows),
    ("central_api.api_forwarding_slip", "GET"): Route("opinion.edit", "read", lambda w, x: (
        "GET", f"/central/api/v1/forwarding-slip?unit={w.units[SLIP_UNIT[x]]}"
        f"&opinion={w.opinions[x]}", {}), wheres=UNIT_SCOPED, shows=api_items_show, api=True),
    ("central_api.api_notifications", "GET"): Route("notify.manage", "list", lambda w, x: (
        "GET", f"/central/api/v1/notifications?per_page={answered(w, x) and 100}", {}),
        shows=lambda b, w, x: f"TRALOI{key_of(x)}" in b, api=True),
    ("central_api.api_retry_notification", "POST"): Route("notify.manage", "write", lambda w, x: (
        "POST", f"/central/api/v1/notifications/{answered(w, x, failed=True)}/retry", {}),
        changed=message_sent, api=True),
    ("central.notifications", "GET"): Route("notify.manage", "list", lambda w, x: (
        "GET", f"/central/notifications?answered={answered(w, x)}", {}),
        shows=lambda b, w, x: f"TRALOI{key_of(x)}" in b),
    ("central.retry_notification", "POST"): Route("notify.manage", "write", lambda w, x: (
        "POST", f"/central/notifications/{answered(w, x, failed=True)}/retry", {}),
        changed=message_sent),
    ("central.send_notifications", "POST"): Route("notify.manage", "write", lambda w, x: (
        "POST", f"/central/notifications/send?answered={answered(w, x, failed=True)}", {}),
        wheres=("own",), changed=message_sent),
    ("central.notifications_by_hand", "GET"): Route("notify.manage", "list", lambda w, x: (
        "GET", f"/central/notifications/by-hand?answered={answered(w, x)}", {}),
        shows=lambda b, w, x: f"TRALOI{key_of(x)}" in b),
    ("central.notifications_by_hand_csv", "GET"): Route("notify.manage", "list", lambda w, x: (
        "GET", f"/central/notifications/by-hand.csv?answered={answered(w, x)}", {}),
        shows=lambda b, w, x: f"TRALOI{key_of(x)}" in b),
    ("central.notifications_by_hand_xlsx", "GET"): Route("notify.manage", "list", lambda w, x: (
        "GET", f"/central/notifications/by-hand.xlsx?answered={answered(w, x)}", {}),
        shows=lambda b, w, x: f"TRALOI{key_of(x)}" in workbook_text(b), raw=True),
    ("central.mark_notifications_sent", "POST"): Route("notify.manage", "write", lambda w, x: (
        "POST", "/central/notifications/mark-sent", {"data": {"ids": [answered(w, x)]}}),
        changed=sent_by_hand),
    ("central.inbox_seen", "POST"): Route("inbox.view", "write", lambda w, x: (
        "POST", "/central/inbox/seen", {}), wheres=("own",), changed=inbox_seen_moved),
    ("central.forums", "GET"): Route("inbox.view", "list", lambda w, x: (
        "GET", "/central/forums", {}), shows=lambda b, w, x: f"HOINGHI{key_of(x)}" in b),
    ("central.forum", "GET"): Route("inbox.view", "read", lambda w, x: (
        "GET", f"/central/forums/{w.forums[key_of(x)]}", {}), shows=forum_page_shows),
    ("central.attachment", "GET"): Route("inbox.view", "read", lambda w, x: (
        "GET", f"/central/attachments/{w.attachments[x]}", {}), wheres=UNIT_SCOPED,
        shows=attachment_shows),
    ("central.category_list", "GET"): Route("catalogue.manage", "list", lambda w, x: (
        "GET", f"/central/categories?commune={commune_of(x)}", {}),
        shows=lambda b, w, x: f"LVRIENG{key_of(x)}" in b),
    ("central.add_category", "POST"): Route("catalogue.manage", "write", lambda w, x: (
        "POST", "/central/categories", {"data": {
            "commune": str(commune_of(x)), "name": f"Lĩnh vực mới MOI{key_of(x)}"}}),
        changed=category_added),
    ("central.change_category", "POST"): Route("catalogue.manage", "write", lambda w, x: (
        "POST", f"/central/categories/{w.categories[key_of(x)]}", {"data": {
            "action": "rename", "name": f"Đổi tên DOITEN{key_of(x)}"}}),
        changed=lambda w, x: category_name(w, x) == f"Đổi tên DOITEN{key_of(x)}"),
    ("central.village_list", "GET"): Route("catalogue.manage", "list", lambda w, x: (
        "GET", f"/central/villages?commune={commune_of(x)}", {}),
        shows=lambda b, w, x: f"VIL{key_of(x)}1" in b and f"VIL{key_of(x)}2" in b),
    ("central.merge_villages", "POST"): Route("catalogue.manage", "write", lambda w, x: (
        "POST", "/central/villages/merge", {"data": {
            "commune": str(commune_of(x)), "keep": str(w.villages[key_of(x)][0]),
            "merge": str(w.villages[key_of(x)][1]), "reason": "cùng một bản"}}),
        changed=lambda w, x: merged_into(w, x, 1) == w.villages[key_of(x)][0]),
    ("central.unmerge_village", "POST"): Route("catalogue.manage", "write", lambda w, x: (
        "POST", f"/central/villages/{w.villages[key_of(x)][2]}/unmerge", {"data": {
            "commune": str(commune_of(x)), "reason": "gộp nhầm"}}),
        changed=lambda w, x: merged_into(w, x, 2) is None),
    ("central.accounts", "GET"): Route("accounts.manage", "list", lambda w, x: (
        "GET", "/central/accounts", {}), shows=account_shows),
    ("central.create_account", "POST"): Route("accounts.manage", "write", lambda w, x: (
        "POST", "/central/accounts", {"data": {
            "username": f"moi_{x}", "password": PASSWORD, "role": "officer",
            "commune": str(commune_of(x))}}),
        changed=lambda w, x: fresh(w, select(Account.id).where(
            Account.username == f"moi_{x}")) is not None),
    ("central.account", "GET"): Route("accounts.manage", "read", lambda w, x: (
        "GET", f"/central/accounts/{target(w, x)}", {})),
    ("central.change_account", "POST"): Route("accounts.manage", "write", lambda w, x: (
        "POST", f"/central/accounts/{target(w, x)}", {"data": {
            "role": "viewer", "commune": str(commune_of(x))}}),
        changed=lambda w, x: account_row(w, f"target_{key_of(x)}").role == "viewer"),
    ("central.disable_account", "POST"): Route("accounts.manage", "write", lambda w, x: (
        "POST", f"/central/accounts/{target(w, x)}/disable", {}),
        changed=lambda w, x: not account_row(w, f"target_{key_of(x)}").is_active),
    ("central.enable_account", "POST"): Route("accounts.manage", "write", lambda w, x: (
        "POST", f"/central/accounts/{target(w, x, 'disabled')}/enable", {}),
        changed=lambda w, x: account_row(w, f"disabled_{key_of(x)}").is_active),
    ("central.reset_password", "POST"): Route("accounts.manage", "write", lambda w, x: (
        "POST", f"/central/accounts/{target(w, x)}/password",
        {"data": {"password": "mat-khau-moi-2027"}}),
        changed=lambda w, x: account_row(w, f"target_{key_of(x)}").check_password(
            "mat-khau-moi-2027")),
    ("central.create_token", "POST"): Route("accounts.manage", "write", lambda w, x: (
        "POST", f"/central/accounts/{target(w, x)}/tokens", {"data": {"label": "mới"}}),
        changed=lambda w, x: tokens_count(w, x) > 1),
    ("central.revoke_token", "POST"): Route("accounts.manage", "write", lambda w, x: (
        "POST", f"/central/accounts/{target(w, x)}/tokens/"
                f"{w.token_ids['target_' + key_of(x)]}/revoke", {}),
        changed=lambda w, x: not token_works(w, "target_" + key_of(x))),
    ("central_api.opinions", "GET"): Route("inbox.view", "list", lambda w, x: (
        "GET", "/central/api/v1/opinions" + ("?commune=3646" if x == "other" else ""), {}),
        wheres=UNIT_SCOPED, shows=api_items_show, api=True, refuses_other_commune=True),
    ("central_api.opinion", "GET"): Route("inbox.view", "read", lambda w, x: (
        "GET", f"/central/api/v1/opinions/{w.opinions[x]}", {}), wheres=UNIT_SCOPED,
        api=True),
    ("central_api.similar", "GET"): Route("inbox.view", "read", lambda w, x: (
        "GET", f"/central/api/v1/opinions/{w.opinions[x]}/similar", {}), wheres=UNIT_SCOPED,
        api=True),
    ("central_api.enrolment", "POST"): Route("devices.manage", "write", lambda w, x: (
        "POST", "/central/api/v1/enrolments", {"json": {
            "commune_code": commune_of(x), "label": "Máy mới"}}),
        changed=lambda w, x: enrolments(w, commune_of(x)) > 1, api=True),
    ("central_api.device_list", "GET"): Route("devices.view", "list", lambda w, x: (
        "GET", "/central/api/v1/devices", {}), shows=api_devices_show, api=True),
    ("central.cases", "GET"): Route("inbox.view", "list", lambda w, x: (
        "GET", "/central/cases", {}), wheres=UNIT_SCOPED, shows=page_shows),
    ("central.overdue_cases", "GET"): Route("inbox.view", "list", lambda w, x: (
        "GET", "/central/cases/overdue", {}), wheres=UNIT_SCOPED, shows=page_shows),
    ("central.case_queue", "GET"): Route("cases.work", "list", lambda w, x: (
        "GET", f"/central/cases/queue?unit={w.units[unit_of(x)]}", {}), wheres=UNIT_SCOPED,
        shows=page_shows),
    ("central.case", "GET"): Route("inbox.view", "read", lambda w, x: (
        "GET", f"/central/cases/{w.cases[x]}", {}), wheres=UNIT_SCOPED, shows=page_shows),
    # A case ticked with a loose opinion: the opinion joins that case.
    ("central.merge_cases", "POST"): Route("cases.manage", "write", lambda w, x: (
        "POST", "/central/cases", {"data": {"opinion_ids": [
            str(w.opinions[x]), str(w.spares[key_of(x)])]}}), wheres=UNIT_SCOPED,
        changed=lambda w, x: case_of_opinion(w, w.spares[key_of(x)]) == w.cases[x]),
    ("central.add_to_case", "POST"): Route("cases.manage", "write", lambda w, x: (
        "POST", f"/central/cases/{w.cases[x]}/opinions",
        {"data": {"opinion_ids": [str(w.spares[key_of(x)])]}}), wheres=UNIT_SCOPED,
        changed=lambda w, x: case_of_opinion(w, w.spares[key_of(x)]) == w.cases[x]),
    ("central.join_case", "POST"): Route("cases.manage", "write", lambda w, x: (
        "POST", f"/central/opinions/{w.spares[key_of(x)]}/case",
        {"data": {"case_id": str(w.cases[x])}}), wheres=UNIT_SCOPED,
        changed=lambda w, x: case_of_opinion(w, w.spares[key_of(x)]) == w.cases[x]),
    ("central.merge_with", "POST"): Route("cases.manage", "write", lambda w, x: (
        "POST", f"/central/opinions/{w.opinions[x]}/merge-with/{w.spares[key_of(x)]}", {}),
        wheres=UNIT_SCOPED,
        changed=lambda w, x: case_of_opinion(w, w.spares[key_of(x)]) == w.cases[x]),
    ("central.split_case", "POST"): Route("cases.manage", "write", split_call,
                                          wheres=UNIT_SCOPED, changed=spare_split),
    ("central.assign_case", "POST"): Route("cases.manage", "write", lambda w, x: (
        "POST", f"/central/cases/{w.cases[x]}/assign", {"data": {"unit_id": w.units["P"]}}),
        wheres=UNIT_SCOPED, changed=lambda w, x: case_value(w, x, "unit_id") == w.units["P"]),
    ("central.case_flags", "POST"): Route("cases.manage", "write", lambda w, x: (
        "POST", f"/central/cases/{w.cases[x]}/flags", {"data": {"complex": "on"}}),
        wheres=UNIT_SCOPED, changed=lambda w, x: case_value(w, x, "complex") is True),
    ("central.extend_case", "POST"): Route("cases.manage", "write", extend_call,
                                           wheres=UNIT_SCOPED,
                                           changed=lambda w, x: bool(case_value(
                                               w, x, "extensions"))),
    ("central.case_status", "POST"): Route("cases.work", "write", lambda w, x: (
        "POST", f"/central/cases/{w.cases[x]}/status", {"data": {"status": "in_progress"}}),
        wheres=UNIT_SCOPED, changed=lambda w, x: case_value(w, x, "status") == "in_progress"),
    ("central.answer_case", "POST"): Route("cases.work", "write", lambda w, x: (
        "POST", f"/central/cases/{w.cases[x]}/answer", {"data": {
            "text": "Đã sửa", "by": "Chủ tịch UBND", "doc_number": "12/UBND"}}),
        wheres=UNIT_SCOPED, changed=lambda w, x: case_value(w, x, "answer_text") == "Đã sửa"),
    ("central.case_late", "POST"): Route("cases.work", "write", lambda w, x: (
        "POST", f"/central/cases/{w.cases[x]}/late", {"data": CASE_LATE}), wheres=UNIT_SCOPED,
        changed=lambda w, x: case_value(w, x, "late_explanation") == "Mưa lũ"),
    ("central.deadline_rules", "GET"): Route("catalogue.manage", "list", lambda w, x: (
        "GET", f"/central/deadline-rules?commune={commune_of(x)}", {}),
        shows=lambda b, w, x: f'value="{211 if key_of(x) == "A" else 212}"' in b),
    ("central.save_deadline_rule", "POST"): Route("catalogue.manage", "write", lambda w, x: (
        "POST", "/central/deadline-rules", {"data": {
            "commune": str(commune_of(x)), "kind": "opinion", "days": "33"}}),
        changed=lambda w, x: rule_days(w, x) == 33),
    ("central.units", "GET"): Route("catalogue.manage", "list", lambda w, x: (
        "GET", f"/central/units?commune={commune_of(x)}", {}),
        shows=lambda b, w, x: ("Địa chính phường" if x == "other" else "Địa chính xã") in b),
    ("central.add_unit", "POST"): Route("catalogue.manage", "write", lambda w, x: (
        "POST", "/central/units", {"data": {"commune": str(commune_of(x)), "kind": "utility",
                                            "name": f"Điện lực MOI{key_of(x)}"}}),
        changed=unit_added),
    ("central_api.cases", "GET"): Route("inbox.view", "list", lambda w, x: (
        "GET", "/central/api/v1/cases" + ("?commune=3646" if x == "other" else ""), {}),
        wheres=UNIT_SCOPED, shows=page_shows, api=True, refuses_other_commune=True),
    ("central_api.case", "GET"): Route("inbox.view", "read", lambda w, x: (
        "GET", f"/central/api/v1/cases/{w.cases[x]}", {}), wheres=UNIT_SCOPED, api=True),
    ("central_api.merge", "POST"): Route("cases.manage", "write", lambda w, x: (
        "POST", "/central/api/v1/cases", {"json": {"opinion_ids": [
            str(w.opinions[x]), str(w.spares[key_of(x)])]}}), wheres=UNIT_SCOPED, api=True,
        changed=lambda w, x: case_of_opinion(w, w.spares[key_of(x)]) == w.cases[x]),
    ("central_api.add", "POST"): Route("cases.manage", "write", lambda w, x: (
        "POST", f"/central/api/v1/cases/{w.cases[x]}/opinions",
        {"json": {"opinion_ids": [str(w.spares[key_of(x)])]}}), wheres=UNIT_SCOPED, api=True,
        changed=lambda w, x: case_of_opinion(w, w.spares[key_of(x)]) == w.cases[x]),
    ("central_api.split", "POST"): Route("cases.manage", "write",
                                         lambda w, x: split_call(w, x, api=True),
                                         wheres=UNIT_SCOPED, changed=spare_split, api=True),
    ("central_api.assign", "POST"): Route("cases.manage", "write", lambda w, x: (
        "POST", f"/central/api/v1/cases/{w.cases[x]}/assign", {"json": {"unit_id": w.units["P"]}}),
        wheres=UNIT_SCOPED, api=True,
        changed=lambda w, x: case_value(w, x, "unit_id") == w.units["P"]),
    ("central_api.status", "POST"): Route("cases.work", "write", lambda w, x: (
        "POST", f"/central/api/v1/cases/{w.cases[x]}/status", {"json": {"status": "in_progress"}}),
        wheres=UNIT_SCOPED, api=True,
        changed=lambda w, x: case_value(w, x, "status") == "in_progress"),
    ("central_api.answer", "POST"): Route("cases.work", "write", lambda w, x: (
        "POST", f"/central/api/v1/cases/{w.cases[x]}/answer", {"json": {
            "text": "Đã sửa", "by": "Chủ tịch UBND", "doc_number": "12/UBND"}}),
        wheres=UNIT_SCOPED, api=True,
        changed=lambda w, x: case_value(w, x, "answer_text") == "Đã sửa"),
    ("central_api.openapi", "GET"): Route(None, "public", lambda w, x: (
        "GET", "/central/api/openapi.json", {}), api=True),
    # Reports of 2026 (the world's forum and opinions are of 20 November 2026); the villages
    # without a forum ("VILA1"…) are listed in their commune's report only.
    ("central.reports", "GET"): Route("reports.view", "list", lambda w, x: (
        "GET", f"/central/reports?period=2026-Y&commune={commune_of(x)}", {}),
        shows=report_shows, refuses_other_commune=True),
    ("central.report_file", "GET"): Route("reports.view", "read", lambda w, x: (
        "GET", f"/central/reports/file.xlsx?period=2026-Y&commune={commune_of(x)}", {})),
    ("central_api.report_json", "GET"): Route("reports.view", "list", lambda w, x: (
        "GET", f"/central/api/v1/reports?period=2026-Y&commune={commune_of(x)}", {}),
        shows=report_shows, refuses_other_commune=True, api=True),
    ("central_api.report_xlsx", "GET"): Route("reports.view", "read", lambda w, x: (
        "GET", f"/central/api/v1/reports.xlsx?period=2026-Y&commune={commune_of(x)}", {}),
        api=True),
    ("central_api.report_docx", "GET"): Route("reports.view", "read", lambda w, x: (
        "GET", f"/central/api/v1/reports.docx?period=2026-Y&commune={commune_of(x)}", {}),
        api=True),
    ("central_api.report_csv", "GET"): Route("reports.view", "read", lambda w, x: (
        "GET", f"/central/api/v1/reports.csv?period=2026-Y&commune={commune_of(x)}", {}),
        shows=report_shows, api=True),
    # Công khai: no login, any commune's page (no personal data: tests/test_reports.py).
    ("public.public_results", "GET"): Route(None, "public", lambda w, x: (
        "GET", f"/public/{commune_of(x)}?period=2026-Y", {})),
}


def office_routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            if rule.endpoint.split(".")[0] in ("central", "central_api", "public")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_office_route_is_in_the_table_with_its_permission(tmp_path):
    app = create_app({"ROLE": "central", "DATA_DIR": tmp_path / "c", "TESTING": True})
    assert office_routes(app) == set(ROUTES), "a route without its line in ROUTES (or gone)"
    for (endpoint, _method), route in ROUTES.items():
        view = app.view_functions[endpoint]
        assert getattr(view, "required_action", None) == route.action, endpoint
    with app.app_context():
        db.engine.dispose()


CASES = [pytest.param(key, actor, where, id=f"{key[0]}-{key[1]}-{actor}-{where}")
         for key, route in ROUTES.items() for actor in ACTORS for where in route.wheres]


@pytest.mark.parametrize(("key", "actor", "where"), CASES)
def test_route_holds_its_role_and_scope(world, key, actor, where):
    app, w = world
    route = ROUTES[key]
    w.actor = actor
    client, headers = client_as(app, w, actor, route.api)
    method, path, kwargs = route.call(w, where)
    answer = client.open(path, method=method, headers=headers, **kwargs)
    data = answer.get_data()
    body = data.decode("utf-8", "replace")  # a report may be an XLSX
    answer.close()  # a file is sent from an open stream
    status = answer.status_code
    if route.kind == "public":
        assert status == route.expect, body[:500]
        return
    if route.action not in ALLOWED[role_of(actor)]:
        assert status == 403, body[:500]
        if route.changed is not None:
            assert not route.changed(w, where)
        if route.api:
            assert answer.get_json()["code"] == "forbidden"
        return
    allowed = in_scope(actor, where)
    if route.kind == "list" and route.refuses_other_commune and where == "other" \
            and actor != "province_admin":
        assert status == 403, body[:500]
    elif route.kind == "list":
        assert status == 200, body[:500]
        assert route.shows(data if route.raw else body, w, where) == allowed
    elif route.kind == "read":
        assert (status == 200) if allowed else (status in (403, 404)), body[:500]
        if allowed and route.shows is not None:
            assert route.shows(body, w, where)
    else:
        if allowed:
            assert 200 <= status < 400, body[:500]
            assert route.changed(w, where)
        else:
            assert status in (403, 404), body[:500]
            assert not route.changed(w, where)


# --- filter lists: a handler is offered only what it works on ----------------------------


@pytest.mark.parametrize("path", ["/central/inbox", "/central/cases", "/central/cases/overdue",
                                  "/central/cases/queue"])
@pytest.mark.parametrize("actor", ["handler", "officer"])
def test_a_handler_s_unit_filter_lists_its_unit_only(world, actor, path):
    """A unit handler sees and works only its unit's cases: the other units (its commune's,
    the province's) are not offered; nor are the laptops, which it has no right to see."""
    app, w = world
    if path == "/central/cases/queue" and actor == "officer":
        path += f"?unit={w.units['A1']}"
    client, _ = client_as(app, w, actor)
    page = client.get(path).get_data(as_text=True)
    if path == "/central/cases/queue" and actor == "handler":  # its queue: no filter at all
        assert '<select name="unit">' not in page
        return
    unit_box = page.split('<select name="unit">')[1].split("</select>")[0]
    offered = {name for name in ("Địa chính xã", "Văn hóa - Xã hội", "Điện lực tỉnh",
                                 "Địa chính phường") if f">{name}</option>" in unit_box}
    expected = ({"Địa chính xã"} if actor == "handler"
                else {"Địa chính xã", "Văn hóa - Xã hội", "Điện lực tỉnh"})
    assert offered == expected
    if path == "/central/inbox":
        assert ('<select name="device">' in page) == (actor != "handler")


# --- personal data: never shown to a role without "personal.view" --------------------------


PERSONAL_VIEWS = [
    ("/central/inbox", False), ("/central/opinions/{own}", False),
    ("/central/api/v1/opinions", True), ("/central/api/v1/opinions/{own}", True)]


@pytest.mark.parametrize(("actor", "sees"), [("viewer", False), ("officer", True),
                                             ("handler", True)])
@pytest.mark.parametrize(("path", "api"), PERSONAL_VIEWS)
def test_citizens_names_and_phones_only_for_roles_that_need_them(world, actor, sees, path,
                                                                 api):
    app, w = world
    client, headers = client_as(app, w, actor, api)
    answer = client.get(path.format(own=w.opinions["own"]), headers=headers)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True) if not api else str(answer.get_json())
    assert MARKERS["own"] in body
    if "{own}" in path and not api:  # the history holds the corrected name too
        assert (NAME in body) == sees and (NEW_NAME in body) == sees
    else:
        assert (NEW_NAME in body) == sees
    if "{own}" in path:
        assert (PHONE in body) == sees


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_role_without_personal_data_cannot_search_by_name(tmp_path, backend):
    """A search by the speaker's name would tell a viewer who raised what."""
    database = make_pg_database() if backend == "postgresql" else None
    try:
        w = build_world(tmp_path / "central", database)
        app = w.app = office_app(tmp_path / "central", database)
        for actor, sees in (("viewer", False), ("officer", True), ("handler", True)):
            for q, found in (("sat lo markera1", True), ("thi nhung", sees),
                             ("markera1 nhung", sees), ("nhung", sees)):
                client, headers = client_as(app, w, actor, api=True)
                answer = client.get("/central/api/v1/opinions", query_string={"q": q},
                                    headers=headers)
                assert answer.get_json()["total"] == int(found), (actor, q)
                client, _ = client_as(app, w, actor)
                page = client.get("/central/inbox", query_string={"q": q})
                assert (MARKERS["own"] in page.get_data(as_text=True)) == found, (actor, q)
        with app.app_context():
            db.engine.dispose()
    finally:
        if database:
            drop_pg_database(database)


# --- the API refuses what is not a valid token of an active account -------------------------


API_ROUTES = [key for key, route in ROUTES.items() if route.api and route.kind != "public"]


def bad_credentials(w: World, how: str) -> dict:
    if how == "missing":
        return {}
    if how == "wrong":
        return {"Authorization": "Bearer ln_khong-phai-ma-that"}
    if how == "not bearer":
        return {"Authorization": f"Basic {w.tokens['admin']}"}
    with w.app.app_context():
        admin = db.session.get(Account, w.accounts["province_admin"])
        if how == "revoked":
            accounts.revoke_token(admin, db.session.execute(select(ApiToken.id).where(
                ApiToken.account_id == admin.id)).scalar_one())
        if how == "disabled":
            admin.disabled_at = admin.created_at  # set_disabled keeps the last admin
        db.session.commit()
    return {"Authorization": f"Bearer {w.tokens['province_admin']}"}


@pytest.mark.parametrize("how", ["missing", "wrong", "not bearer", "revoked", "disabled"])
@pytest.mark.parametrize("key", API_ROUTES, ids=lambda key: f"{key[0]}-{key[1]}")
def test_api_refuses_a_missing_wrong_revoked_or_disabled_token(world, key, how):
    app, w = world
    route = ROUTES[key]
    headers = bad_credentials(w, how)
    before = route.changed(w, "own") if route.changed else None
    method, path, kwargs = route.call(w, "own")
    # A session cookie does not rescue a bad token on the API.
    client, _headers = client_as(app, w, "admin")
    answer = client.open(path, method=method, headers=headers, **kwargs)
    assert answer.status_code == 401
    assert answer.get_json()["code"] == "unauthorized"
    if route.changed:
        assert route.changed(w, "own") == before


def test_a_disabled_accounts_session_stops_at_once(world):
    app, w = world
    client, _ = client_as(app, w, "officer")
    assert client.get("/central/inbox").status_code == 200
    with app.app_context():
        admin = db.session.get(Account, w.accounts["admin"])
        accounts.set_disabled(admin, db.session.get(Account, w.accounts["officer"]), True)
        db.session.commit()
    refused = client.get("/central/inbox")
    assert refused.status_code == 302 and "/central/login" in refused.headers["Location"]
