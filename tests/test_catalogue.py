"""Categories and villages owned by the office: its pages, and what laptops learn on pull."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime

import pytest
from sqlalchemy import select

from field_app import create_app
from field_app.areas import logic as areas
from field_app.areas.models import Village
from field_app.central.accounts.logic import create_account
from field_app.central.catalogue import logic as catalogue
from field_app.central.catalogue.models import OfficeCategory, OfficeVillage
from field_app.central.inbox import logic as inbox
from field_app.central.inbox.models import AuditEntry
from field_app.cli import upgrade_database
from field_app.errors import ValidationFailed
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.opinions import logic as opinions
from field_app.opinions.models import SEED_CATEGORIES, Category, Opinion
from field_app.outbox import logic as outbox

from .conftest import MUONG_LA, laptop_folder

PASSWORD = "mat-khau-xa-2026"


@contextlib.contextmanager
def office_client(data_dir, database: str | None = None, commune_code: int | None = None,
                  role: str = "admin", username: str = "canbo"):
    """Yield a logged-in test client of a central app on `database` (made if it is new)."""
    config = {"ROLE": "central", "DATA_DIR": data_dir, "TESTING": True,
              "WTF_CSRF_ENABLED": False}
    if database:
        config["SQLALCHEMY_DATABASE_URI"] = database
    app = create_app(config)
    upgrade_database(app)
    with app.app_context():
        create_account(username, PASSWORD, role, commune_code)
        db.session.commit()
        client = app.test_client()
        client.post("/central/login", data={"username": username, "password": PASSWORD})
        yield client
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def office(tmp_path):
    with office_client(tmp_path / "office") as client:
        yield client


def office_categories(commune_code: int = MUONG_LA) -> dict[str, OfficeCategory]:
    db.session.expire_all()
    return {row.code: row for row in catalogue.commune_categories(commune_code)}


# --- the office's category pages ------------------------------------------------------------

def test_a_server_wide_account_picks_the_commune_first(office):
    for path in ("/central/categories", "/central/villages"):
        page = office.get(path).get_data(as_text=True)
        assert 'id="commune-picker"' in page
    assert db.session.execute(select(OfficeCategory)).first() is None
    refused = office.post("/central/categories", data={"name": "Rừng"}, follow_redirects=True)
    assert "Hãy chọn xã" in refused.get_data(as_text=True)


def test_the_commune_picker_takes_a_name_as_well_as_a_code(office):
    # An office clerk types the commune's name, not its code: every page with the picker
    # opens that commune, and a name that names none says what to type.
    for path in ("/central/categories", "/central/villages", "/central/units",
                 "/central/deadline-rules"):
        page = office.get(path, query_string={"commune": "muong la"}).get_data(as_text=True)
        assert "Xã Mường La" in page.split("</h1>")[0], path
        assert f'name="commune" value="{MUONG_LA}"' in page, path
    unknown = office.get("/central/units", query_string={"commune": "Không Có Xã Này"})
    assert "Không tìm thấy xã nào tên như vậy" in unknown.get_data(as_text=True)


def test_a_commune_list_starts_as_the_seed_list_the_first_time_it_is_used(office):
    page = office.get(f"/central/categories?commune={MUONG_LA}")
    assert page.status_code == 200
    rows = db.session.execute(select(OfficeCategory).where(
        OfficeCategory.commune_code == MUONG_LA).order_by(OfficeCategory.position)).scalars()
    assert [(row.code, row.name) for row in rows] == list(SEED_CATEGORIES)
    assert "Nước sinh hoạt" in page.get_data(as_text=True)
    # Another commune's list is its own, made when the office first changes it; shown
    # until then as the seed list.
    assert catalogue.categories(3809) == list(SEED_CATEGORIES)
    assert catalogue.categories(None) == list(SEED_CATEGORIES)


def test_pages_that_only_show_a_commune_s_categories_store_nothing(tmp_path):
    """The inbox's filter reads the list: a commune the office has not kept one for is
    shown the seed list, and a look writes nothing (on SQLite a write waits for the lock
    a push holds)."""
    with office_client(tmp_path / "office", commune_code=MUONG_LA, role="officer") as client:
        page = client.get("/central/inbox")
        assert page.status_code == 200 and "Nước sinh hoạt" in page.get_data(as_text=True)
        assert catalogue.categories(MUONG_LA) == list(SEED_CATEGORIES)
        assert db.session.execute(select(OfficeCategory.id)).first() is None


def test_office_adds_renames_reorders_and_deactivates_categories(office):
    office.get(f"/central/categories?commune={MUONG_LA}")
    added = office.post("/central/categories", data={"commune": MUONG_LA,
                                                     "name": "  Điện  chiếu sáng "},
                        follow_redirects=True)
    assert "Đã thêm lĩnh vực “Điện chiếu sáng”" in added.get_data(as_text=True)
    office.post("/central/categories", data={"commune": MUONG_LA, "name": "Rừng",
                                             "code": "forest"})
    rows = office_categories()
    assert rows["dien_chieu_sang"].position == len(SEED_CATEGORIES)
    assert rows["forest"].name == "Rừng"

    again = office.post("/central/categories", data={"commune": MUONG_LA,
                                                     "name": "dien chieu sang"},
                        follow_redirects=True).get_data(as_text=True)
    assert "đã có" in again
    bad = office.post("/central/categories", data={"commune": MUONG_LA, "name": "Đường",
                                                   "code": "Đường xá!"},
                      follow_redirects=True).get_data(as_text=True)
    assert "code" in bad and "duong" not in office_categories()

    water = rows["water"].id
    office.post(f"/central/categories/{water}", data={"action": "rename",
                                                      "name": "Nước sạch nông thôn"})
    office.post(f"/central/categories/{water}", data={"action": "up"})
    office.post(f"/central/categories/{water}", data={"action": "deactivate"})
    rows = office_categories()
    assert rows["water"].name == "Nước sạch nông thôn" and not rows["water"].active
    assert rows["water"].position == 2 and rows["electricity"].position == 3
    assert sorted(row.position for row in rows.values()) == list(range(len(rows)))
    assert "water" not in dict(catalogue.categories(MUONG_LA))
    office.post(f"/central/categories/{water}", data={"action": "activate"})
    assert office_categories()["water"].active


def test_an_account_of_one_commune_sees_and_changes_only_its_list(tmp_path):
    with office_client(tmp_path / "office", commune_code=MUONG_LA, role="officer") as client:
        catalogue.commune_categories(3809)
        db.session.commit()
        other = db.session.execute(select(OfficeCategory.id).where(
            OfficeCategory.commune_code == 3809)).scalars().first()
        # Asking for another commune shows its own.
        page = client.get("/central/categories?commune=3809").get_data(as_text=True)
        assert str(MUONG_LA) in page
        refused = client.post(f"/central/categories/{other}", data={"action": "deactivate"})
        assert refused.status_code == 404
        assert db.session.get(OfficeCategory, other).active
    with office_client(tmp_path / "viewer", commune_code=MUONG_LA, role="viewer") as client:
        assert client.get("/central/categories").status_code == 403
        assert client.post("/central/villages/merge", data={}).status_code == 403


# --- likely pairs of villages ---------------------------------------------------------------

@pytest.mark.parametrize("first, second, alike", [
    ("Bản Nà Lò", "Nà Lo", True),
    ("Bản Nà Lò", "Ban Na Lo", True),
    ("Tiểu khu 1", "Tiểu Khu 1", True),
    ("Tổ dân phố 3", "Tổ 3", True),
    ("Bản Nà Lò", "Bản Nà Lòng", True),
    ("Nà Lò 1", "Nà Lò 2", False),
    ("Bản Đán", "Bản Nà Lò", False),
    ("Thôn Đông", "Thôn Tây", False),
    ("Ấp Mỹ Hòa", "Mỹ Hoà", True),
])
def test_likely_pairs_fold_names_and_drop_village_words(first, second, alike):
    villages = [OfficeVillage(id=uuid.uuid4(), commune_code=MUONG_LA, name=name,
                              folded=name, deleted=False) for name in (first, second)]
    pairs = catalogue.likely_pairs(villages)
    assert bool(pairs) is alike
    if pairs:
        assert pairs[0].reason


def test_villages_of_other_communes_are_never_paired():
    villages = [OfficeVillage(id=uuid.uuid4(), commune_code=code, name="Bản Nà Lò",
                              folded="ban na lo", deleted=False) for code in (3808, 3809)]
    assert catalogue.likely_pairs(villages) == []


# --- laptops on pull: the real central, a laptop and the office pages -----------------------

def record_opinions(village_name: str, count: int, category: str = "construction") -> list:
    village = next(v for v in areas.villages() if v.name == village_name)
    forum = forums.create_forum({"kind": "listening", "village_id": village.id,
                                 "started_at": datetime(2026, 11, 20, 8), "venue": "Nhà văn hóa",
                                 "chair": "Lò Văn Minh"})
    made = [opinions.create_opinion({"content": f"Ý kiến số {i} của {village_name}",
                                     "category_code": category}, forum)
            for i in range(count)]
    db.session.commit()
    return made


@contextlib.contextmanager
def second_laptop(data_dir, villages):
    """A second laptop (its own field app and SQLite file) that typed its villages itself."""
    with laptop_folder(data_dir, villages):
        pass
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SYNC_BACKOFF": 0.01, "SYNC_ATTEMPTS": 4})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_office_category_changes_reach_the_laptop_and_old_opinions_keep_theirs(
        central, laptop, tmp_path):
    said = [item.id for item in record_opinions("Bản Nà Lò", 2, "water")]
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")
    outbox.run_sync()
    # The office has no list yet: the pull sends none, the laptop keeps its own.
    assert len(opinions.categories()) == len(SEED_CATEGORIES)

    with office_client(central.data_dir / "office", central.database) as client:
        client.get(f"/central/categories?commune={MUONG_LA}")
        client.post("/central/categories", data={"commune": MUONG_LA,
                                                 "name": "Điện chiếu sáng"})
        ids = {code: row.id for code, row in office_categories().items()}
        client.post(f"/central/categories/{ids['electricity']}",
                    data={"action": "rename", "name": "Điện lưới quốc gia"})
        client.post(f"/central/categories/{ids['water']}", data={"action": "deactivate"})
        client.post(f"/central/categories/{ids['other']}", data={"action": "up"})
        # The office still works an opinion filed under the category it deactivated.
        saved = client.post(f"/central/opinions/{said[1]}", data={
            "status": "in_progress", "kind": "opinion", "category_code": "water",
            "level": "commune"}, follow_redirects=True).get_data(as_text=True)
        assert "Đã lưu" in saved

    outbox.run_sync()
    db.session.expire_all()
    offered = {category.code: category.label for category in opinions.categories()}
    assert offered["dien_chieu_sang"] == "Điện chiếu sáng"
    assert offered["electricity"] == "Điện lưới quốc gia"
    assert "water" not in offered
    assert list(offered)[-3:] == ["other", "procedures", "dien_chieu_sang"]
    # Old opinions keep their category, and can still be edited with it.
    assert db.session.get(Opinion, said[1]).status == "in_progress"
    kept = db.session.get(Opinion, said[0])
    assert kept.category_code == "water" and kept.category.name == "Nước sinh hoạt"
    opinions.update_opinion(kept, {**{name: getattr(kept, name)
                                      for name in opinions.OPINION_FIELDS
                                      if hasattr(kept, name)},
                                   "content": "Nước sinh hoạt bị đục sau mưa"})
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        opinions.create_opinion({"content": "Ý kiến mới", "category_code": "water",
                                 "village_id": str(areas.villages()[0].id),
                                 "channel": "direct"})
    assert "category_code" in str(refused.value.details)
    db.session.rollback()
    assert outbox.pending_count() == 1  # the edit only: applying the list logged nothing


def test_acknowledgement_file_carries_the_category_list(sqlite_central, laptop):
    central = sqlite_central
    record_opinions("Bản Nà Lò", 1)
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")
    outbox.run_sync()
    row = outbox.state()
    with office_client(central.data_dir / "office", central.database) as client:
        client.post("/central/categories", data={"commune": MUONG_LA, "name": "Rừng"})
        # The office's button (Tệp xác nhận), as the officer downloads it for the USB stick.
        body = client.get(f"/central/devices/{row.device_id}/ack").get_data()
    outbox.import_ack(body)
    assert db.session.get(Category, "rung").name == "Rừng"


def test_merged_village_counts_under_the_kept_one_and_its_laptop_learns_it(
        central, laptop, tmp_path):
    record_opinions("Bản Nà Lò", 2)
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")
    outbox.run_sync()
    with second_laptop(tmp_path / "laptop2", (("Nà Lo", 40),)):
        typed_apart = [item.id for item in record_opinions("Nà Lo", 3)]
        outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lo")
        outbox.run_sync()
        merged_id = areas.villages()[0].id

    kept_id = next(v.id for v in areas.villages() if v.name == "Bản Nà Lò")
    with office_client(central.data_dir / "office", central.database) as client:
        page = client.get(f"/central/villages?commune={MUONG_LA}").get_data(as_text=True)
        assert "cùng tên khi bỏ dấu" in page and "Nà Lo" in page
        merged = client.post("/central/villages/merge", data={
            "commune": MUONG_LA, "keep": str(kept_id), "merge": str(merged_id),
            "reason": "Hai máy gõ cùng một bản"}, follow_redirects=True)
        assert "Đã gộp vào “Bản Nà Lò”" in merged.get_data(as_text=True)
        office_village = db.session.get(OfficeVillage, merged_id)
        assert office_village.merged_into == kept_id
        audit = db.session.execute(select(AuditEntry).where(
            AuditEntry.record_id == merged_id, AuditEntry.action == "merged")).scalar_one()
        assert (audit.actor, audit.reason) == ("canbo", "Hai máy gõ cùng một bản")
        inbox_page = client.get(f"/central/inbox?village={kept_id}").get_data(as_text=True)
        assert all(str(key) in inbox_page for key in typed_apart)
        found = db.session.execute(inbox.opinion_query(
            office_village_account(), inbox.Filters(village=kept_id))).scalars().all()
        assert len(found) == 5
        # The merged one is no longer offered as a pair or in the inbox filter.
        again = client.get(f"/central/villages?commune={MUONG_LA}").get_data(as_text=True)
        assert "cùng tên khi bỏ dấu" not in again and "đã gộp vào Bản Nà Lò" in again

    with second_laptop(tmp_path / "laptop2", ()):
        summary = outbox.run_sync()
        assert summary.pulled >= 1
        village = db.session.get(Village, merged_id)
        assert village.merged_into == kept_id and village.merged_into_name == "Bản Nà Lò"
        # This laptop does not hold Bản Nà Lò: Nà Lo stays offered, new records stay there.
        assert [v.id for v in areas.offered_villages()] == [merged_id]
        assert "đã gộp vào Bản Nà Lò" in create_client_page("/villages")
        assert outbox.pending_count() == 0


def office_village_account():
    from field_app.central.accounts.models import Account

    return db.session.execute(select(Account).where(Account.username == "canbo")).scalar_one()


def create_client_page(path: str) -> str:
    from flask import current_app

    return current_app.test_client().get(path).get_data(as_text=True)


def test_laptop_that_holds_the_kept_village_offers_it_instead(laptop):
    kept, merged = areas.villages()[0], areas.villages()[1]
    change = {"c": "village", "id": str(merged.id), "central_hlc":
              "1795590000412-0001-central-1", "deleted": False,
              "central": {"merged_into": str(kept.id), "merged_into_name": kept.name}}
    assert outbox.apply_central(change)
    assert not outbox.apply_central(change)  # the same stamp again: nothing to do
    db.session.commit()
    assert merged.id not in {v.id for v in areas.offered_villages()}
    made = opinions.create_opinion({"content": "Ý kiến gửi qua hòm thư", "channel": "direct",
                                    "village_id": str(merged.id), "category_code": "land"})
    forum = forums.create_forum({"kind": "listening", "village_id": merged.id,
                                 "started_at": datetime(2026, 11, 21, 8)})
    assert made.village_id == kept.id and forum.village_id == kept.id
    # An older announcement never undoes a newer one; a newer unmerge does.
    older = {**change, "central_hlc": "1795590000000-0001-central-1",
             "central": {"merged_into": None}}
    assert not outbox.apply_central(older)
    newer = {**change, "central_hlc": "1795590000999-0001-central-1",
             "central": {"merged_into": None, "merged_into_name": None}}
    assert outbox.apply_central(newer)
    assert merged.merged_into is None and merged.merged_into_name is None


@pytest.mark.parametrize("entries", [
    None, "not a list", [{"code": "Bad Code", "name": "x", "position": 1, "active": True}],
    [{"code": "land", "name": "Đất", "position": "1", "active": True}], [17],
])
def test_a_list_this_version_cannot_read_is_left_alone(laptop, entries):
    before = [(c.code, c.name, c.position, c.active) for c in opinions.categories(False)]
    assert outbox.apply_categories(entries) == 0
    assert [(c.code, c.name, c.position, c.active)
            for c in opinions.categories(False)] == before


def test_office_merges_a_chain_and_unmerges_and_laptops_are_told_each_time(office):
    from sync import store
    from sync.clock import HybridClock

    names = ("Bản Nà Lò", "Nà Lo", "Na Lo")
    keys = [uuid.uuid4() for _ in names]
    clock = HybridClock("a1b2c3d4e5f6")
    with db.engine.begin() as conn:
        enrolled = store.enrol(conn, store.create_enrolment(conn, MUONG_LA, "Máy"), "", None)
        dev = store.get_device(conn, enrolled["device_id"])
        store.ingest_batch(conn, dev, {"records": [
            {"c": "village", "id": str(key), "seq": index + 1, "hlc": clock.now().encode(),
             "data": {"commune_code": MUONG_LA, "name": name}}
            for index, (key, name) in enumerate(zip(keys, names, strict=True))]})
    kept, middle, last = keys
    for keep, merge in ((middle, last), (kept, middle)):
        office.post("/central/villages/merge", data={"commune": MUONG_LA, "keep": str(keep),
                                                     "merge": str(merge), "reason": "gõ khác"})
    db.session.expire_all()
    assert [db.session.get(OfficeVillage, key).merged_into for key in keys] == [
        None, kept, kept]
    refused = office.post("/central/villages/merge", data={
        "commune": MUONG_LA, "keep": str(middle), "merge": str(kept), "reason": "ngược"},
        follow_redirects=True).get_data(as_text=True)
    assert "đã được gộp vào bản khác" in refused

    office.post(f"/central/villages/{middle}/unmerge", data={"commune": MUONG_LA,
                                                             "reason": "hai bản khác nhau"})
    db.session.expire_all()
    assert db.session.get(OfficeVillage, middle).merged_into is None
    assert db.session.execute(select(AuditEntry.reason).where(
        AuditEntry.record_id == middle, AuditEntry.action == "unmerged")).scalar_one() == (
        "hai bản khác nhau")
    with db.engine.begin() as conn:
        page = store.pull_changes(conn, store.get_device(conn, dev.id), 0)
    told = {change["id"]: change["central"] for change in page["changes"]}
    assert told[str(middle)] == {"merged_into": None, "merged_into_name": None}
    assert told[str(last)] == {"merged_into": str(kept), "merged_into_name": "Bản Nà Lò"}
    assert "categories" not in page  # no list kept for the commune yet
