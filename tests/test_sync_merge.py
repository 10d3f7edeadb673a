"""Records meet at the central field by field, parents before children.

A laptop edit of one field never undoes an office correction of another; a
photo is never refused because its opinion was edited after it was taken.
Against a real central (SQLite and PostgreSQL) through a real `langnghe sync`
process, and through a USB bundle.
"""

from __future__ import annotations

import html
import io
import subprocess
import sys
import time
import uuid

from field_app.attachments import logic as attachments
from field_app.extensions import db
from field_app.opinions import logic as opinions
from field_app.opinions.models import Opinion
from field_app.outbox import logic as outbox
from sync import bundle
from sync.client import SyncClient

from .test_api import png_bytes
from .test_sync import assert_same_records, record_forum
from .test_sync_bundle import import_file
from .test_sync_scenarios import central_opinion, conflicts, set_central


def langnghe_sync(laptop) -> str:
    """Run `langnghe sync` as its own process on the laptop's data folder, as a user does."""
    db.session.remove()  # the file is the other process's while it syncs
    done = subprocess.run([sys.executable, "-m", "field_app.cli", "sync", "--data",
                           str(laptop.config["DATA_DIR"])],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def edit_content(opinion_id: uuid.UUID, content: str) -> None:
    """The village head retypes what was said; the category field is left as it shows."""
    opinion = db.session.get(Opinion, opinion_id)
    opinions.update_opinion(opinion, {"content": content,
                                      "category_code": opinion.category_code,
                                      "raiser_name": opinion.raiser_name})
    db.session.commit()


def test_a_content_edit_keeps_the_office_reclassification(central, laptop):
    _forum, said = record_forum(3)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    target = said[1].id
    set_central(central, target, category_code="security", category_name="An ninh trật tự")
    time.sleep(0.01)  # the laptop's edit is newer than the office's correction
    edit_content(target, "Đường vào bản sạt lở nặng, đề nghị khắc phục trước mùa mưa")

    output = langnghe_sync(laptop)

    assert "0 bị từ chối" in output
    stored = central_opinion(central, target).data
    assert stored["category_code"] == "security" and stored["category_name"] == "An ninh trật tự"
    assert stored["content"].startswith("Đường vào bản sạt lở nặng")
    assert conflicts(central) == []  # nobody changed the same field twice: no conflict
    db.session.expire_all()
    local = db.session.get(Opinion, target)
    assert (local.category_code, local.content) == ("security", stored["content"])
    assert outbox.pending_count() == 0
    assert_same_records(central)


def test_twelve_reclassifications_racing_content_edits_all_stand(central, laptop):
    _forum, said = record_forum(12)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    ids = [opinion.id for opinion in said]
    for index, opinion_id in enumerate(ids):
        set_central(central, opinion_id, category_code="security",
                    category_name="An ninh trật tự")
        edit_content(opinion_id, f"Nội dung sửa lại số {index}")

    langnghe_sync(laptop)

    for index, opinion_id in enumerate(ids):
        stored = central_opinion(central, opinion_id).data
        assert (stored["category_code"], stored["content"]) == (
            "security", f"Nội dung sửa lại số {index}")
        assert db.session.get(Opinion, opinion_id).category_code == "security"
    assert conflicts(central) == []


def test_the_same_field_changed_on_both_sides_is_still_a_conflict(central, laptop):
    _forum, said = record_forum(1)
    target = said[0].id
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    set_central(central, target, category_code="security", category_name="An ninh trật tự")
    time.sleep(0.01)
    opinion = db.session.get(Opinion, target)
    opinions.update_opinion(opinion, {"content": opinion.content, "category_code": "water"})
    db.session.commit()

    langnghe_sync(laptop)

    assert central_opinion(central, target).data["category_code"] == "water"
    [conflict] = conflicts(central)
    assert (conflict.winner, conflict.loser, conflict.loser_side) == ("water", "security",
                                                                      "central")


def test_a_content_edit_carried_on_usb_keeps_the_reclassification(central, laptop, tmp_path):
    _forum, said = record_forum(2)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    target = said[0].id
    set_central(central, target, category_code="security", category_name="An ninh trật tự")
    time.sleep(0.01)
    edit_content(target, "Nội dung ghi lại cho đúng")
    path = tmp_path / "usb.bundle"
    outbox.export_bundle(path)

    import_file(central, path)
    with central.engine.connect() as conn:
        ack = bundle.ack_file(conn, outbox.state().device_id)
    outbox.import_ack(ack)

    stored = central_opinion(central, target).data
    assert (stored["category_code"], stored["content"]) == ("security",
                                                            "Nội dung ghi lại cho đúng")
    db.session.expire_all()
    assert db.session.get(Opinion, target).category_code == "security"
    assert conflicts(central) == [] and outbox.pending_count() == 0


def test_a_photo_of_an_opinion_edited_after_it_was_taken_goes_up_in_the_first_sync(
        central, laptop):
    _forum, said = record_forum(1)
    target = said[0].id
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    photo = png_bytes()
    attachments.attach(laptop.config["DATA_DIR"], io.BytesIO(photo), "anh.png", 1 << 20,
                       opinion=said[0])
    db.session.commit()
    edit_content(target, "Nội dung sửa sau khi chụp ảnh")

    output = langnghe_sync(laptop)

    assert "0 bị từ chối" in output and "1 ảnh" in output
    [attachment] = central.records("attachment")
    assert attachment.data["opinion_id"] == str(target)
    assert outbox.pending_count() == 0  # a sync that reports success leaves nothing waiting
    assert_same_records(central)


def test_the_central_places_a_child_sent_before_its_parent_s_new_version(central, laptop):
    """An older laptop orders by first change: the central still judges by the parent."""
    _forum, said = record_forum(1)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    attachments.attach(laptop.config["DATA_DIR"], io.BytesIO(png_bytes()), "anh.png",
                       1 << 20, opinion=said[0])
    db.session.commit()
    edit_content(said[0].id, "Nội dung sửa sau khi chụp ảnh")
    records = outbox.waiting_records()
    assert [item["c"] for item in records] == ["attachment", "opinion"]  # the old order
    state = outbox.state()
    client = SyncClient(central.url, state.device_id, state.secret)

    answer = client.push({"records": records})

    assert answer["results"] == "SS", answer["rejections"]


def test_an_edit_form_opened_before_a_pull_does_not_put_the_old_category_back(laptop):
    """The form showed "construction"; a pull then brought the office's "security"."""
    from field_app.outbox.capture import APPLYING_CENTRAL
    from field_app.outbox.models import Outbox

    _forum, said = record_forum(1)
    target = said[0].id
    client = laptop.test_client()
    page = client.get(f"/opinions/{target}/edit").get_data(as_text=True)
    shown = html.unescape(page.split('name="shown" type="hidden" value="')[1].split('"')[0])
    db.session.info[APPLYING_CENTRAL] = True  # as a pull applies the office's correction
    db.session.get(Opinion, target).category_code = "security"
    db.session.commit()
    db.session.info.pop(APPLYING_CENTRAL)

    form = {"channel": "forum", "kind": "opinion", "category_code": "construction",
            "level": "commune", "content": "Nội dung sửa lại", "needs_follow_up": "y",
            "shown": shown}
    assert client.post(f"/opinions/{target}/edit", data=form).status_code == 302

    db.session.expire_all()
    kept = db.session.get(Opinion, target)
    assert (kept.category_code, kept.content) == ("security", "Nội dung sửa lại")
    last = db.session.execute(db.select(Outbox).where(Outbox.record_id == target)
                              .order_by(Outbox.seq.desc())).scalars().first()
    assert "category_code" not in last.fields.split(",")  # the laptop did not change it
    # Changing it on purpose still counts as the laptop's change.
    form.update(category_code="water")
    client.post(f"/opinions/{target}/edit", data=form)
    db.session.expire_all()
    assert db.session.get(Opinion, target).category_code == "water"
