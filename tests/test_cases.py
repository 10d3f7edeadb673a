"""Cases at the commune office: merge, add, split, route with legal deadlines, move along
the workflow, answer, late explanation (real SQLite and PostgreSQL, records stored through
the real ingest)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from field_app.central.accounts.models import Account
from field_app.central.cases import logic as cases
from field_app.central.cases.logic import TransitionRefused
from field_app.central.cases.models import OfficeCase
from field_app.central.catalogue.logic import add_unit
from field_app.central.inbox import logic as inbox
from field_app.central.inbox.models import AuditEntry, OfficeOpinion
from field_app.errors import Forbidden, NotFound, ValidationFailed
from field_app.extensions import db
from field_app.opinions.logic import vietnam_today
from sync import store

from .office_support import CHIENG_LAO, MUONG_LA, Laptop, account, login, office_app


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request, tmp_path):
    """A central app on a fresh SQLite file or PostgreSQL database, migrated for real."""
    with office_app(tmp_path / "office", request.param) as app:
        yield app


@pytest.fixture
def world(office):
    """Three villages of Mường La raise the same road, one of Chiềng Lao too."""
    said = {}
    laptops = {}
    for key, label, village in (("a", "Máy bản Nà Lò", "Bản Nà Lò"),
                                ("b", "Máy bản Đán", "Bản Đán"),
                                ("c", "Máy bản Hua Păng", "Bản Hua Păng")):
        laptop = laptops[key] = Laptop(office, MUONG_LA, label)
        laptop.village(village)
        said[key] = laptop.opinion(village, f"Đường vào {village} sạt lở, đề nghị sửa",
                                   kind="petition", received_on=f"2026-11-0{len(said) + 2}")
        laptop.push()
    laptops["a"].village("Bản Nà Lò 2")
    said["complaint"] = laptops["a"].opinion("Bản Nà Lò 2", "Khiếu nại việc thu hồi đất",
                                             kind="complaint", received_on="2026-11-02")
    laptops["a"].push()
    other = Laptop(office, CHIENG_LAO, "Máy Chiềng Lao")
    other.village("Bản Lao")
    said["other"] = other.opinion("Bản Lao", "Đường liên bản hỏng nặng")
    other.push()
    account(office, "xa")
    account(office, "xem", role="viewer")
    with office.app_context():
        units = {"road": add_unit(MUONG_LA, "Địa chính - Xây dựng").id,
                 "power": add_unit(None, "Điện lực Mường La", "outside").id,
                 "other": add_unit(CHIENG_LAO, "Địa chính Chiềng Lao").id}
        db.session.commit()
    account(office, "dc", role="handler", unit_id=units["road"])
    return {"said": said, "units": units, "laptops": laptops}


def who(name: str) -> Account:
    return db.session.execute(select(Account).where(Account.username == name)).scalar_one()


def test_merge_makes_one_case_and_keeps_every_opinion(office, world):
    said = world["said"]
    with office.app_context():
        case = cases.merge(who("xa"), [said["b"], said["a"], said["c"]], "cùng một con đường")
        db.session.commit()
        held = cases.members(case)
        assert [item.id for item in held] == [said["a"], said["b"], said["c"]]
        assert case.received_on == date(2026, 11, 2)
        assert case.kind == "petition"
        assert db.session.execute(select(func.count()).select_from(OfficeOpinion)).scalar() == 5
        merged = db.session.execute(select(AuditEntry).where(
            AuditEntry.action == "merged").order_by(AuditEntry.id)).scalars().all()
        assert {entry.record_id for entry in merged} == {said["a"], said["b"], said["c"]}
        assert all(entry.reason == "cùng một con đường" for entry in merged)
        # The laptops learn which opinion theirs was merged into: the case's first.
        with db.engine.connect() as conn:
            central = {row.id: row.central for row in conn.execute(select(
                store.record.c.id, store.record.c.central).where(
                store.record.c.id.in_([said["a"], said["b"], said["c"]])))}
        assert central[said["a"]]["merged_into"] is None
        assert central[said["b"]]["merged_into"] == str(said["a"])
        assert central[said["c"]]["merged_into"] == str(said["a"])


def routed_case(officer, world):
    """Return b and c merged into a case assigned to the road unit on 5/11."""
    said = world["said"]
    case = cases.merge(officer, [said["b"], said["c"]])
    cases.assign(officer, case.id, world["units"]["road"], today=date(2026, 11, 5))
    return case


def test_an_answered_opinion_is_never_merged_where_its_answer_would_be_wiped(office, world):
    # Ticking a whole answered case together with an older, unanswered opinion made a new
    # case led by the older one: the answer the villages already had was wiped, the status
    # went back to "forwarded" and the deadline changed. Now the answered case takes the
    # newcomer; moving its members into another case is refused, saying what to do.
    said = world["said"]
    with office.app_context():
        officer = who("xa")
        answered = routed_case(officer, world)
        cases.answer(officer, answered.id, "Đã san gạt", "Chủ tịch UBND xã", "45/UBND",
                     on=date(2026, 11, 6))
        lone = cases.merge(officer, [said["a"]])
        db.session.commit()
        with pytest.raises(ValidationFailed, match="đã có trả lời gửi về bản"):
            cases.add_to_case(officer, lone.id, [said["b"], said["c"]])
        db.session.rollback()
        kept = db.session.get(OfficeOpinion, said["b"])
        assert (kept.case_id, kept.status, kept.answer_text) == (answered.id, "answered",
                                                                  "Đã san gạt")
        # All three ticked together: the unanswered one joins the answered case, gets its
        # answer, and its own case (now empty) goes.
        joined = cases.merge(officer, [said["a"], said["b"], said["c"]])
        db.session.commit()
        assert joined.id == answered.id and db.session.get(OfficeCase, lone.id) is None
        for key in ("a", "b", "c"):
            held = db.session.get(OfficeOpinion, said[key])
            assert (held.case_id, held.answer_text) == (answered.id, "Đã san gạt")


def test_a_newcomer_merged_with_a_whole_routed_case_keeps_its_routing(office, world):
    # A whole case ticked with a newer duplicate made a new case led by whichever was
    # received first: its number, unit and due date could change. The case keeps them.
    said = world["said"]
    with office.app_context():
        officer = who("xa")
        routed = routed_case(officer, world)
        db.session.commit()
        number, unit, due = routed.id, routed.unit_id, routed.due_on
        joined = cases.merge(officer, [said["a"], said["b"], said["c"]])
        db.session.commit()
        assert (joined.id, joined.unit_id) == (number, unit)
        assert joined.due_on <= due  # an earlier opinion may only bring the deadline in
        newcomer = db.session.get(OfficeOpinion, said["a"])
        assert (newcomer.case_id, newcomer.unit_id) == (number, unit)
        joined_a = [line for line in cases.case_history(joined)
                    if line.record_id == said["a"] and line.action == "added_to_case"]
        assert len(joined_a) == 1


def test_a_new_duplicate_merged_with_an_opinion_answered_on_its_page_gets_that_answer(
        office, world):
    # Answered on its own page (no case), then an older duplicate arrives by MTTQ: merging
    # the two from the suggestion keeps the answer and gives it to the newcomer too.
    said = world["said"]
    with office.app_context():
        officer = who("xa")
        inbox.update_opinion(officer, said["b"], {"status": "answered",
                                                  "answer_text": "Đã san gạt",
                                                  "answer_by": "Chủ tịch UBND xã"})
        db.session.commit()
        case = cases.merge_with(officer, said["b"], said["a"])  # a was received earlier
        db.session.commit()
        assert (case.status, case.answer_text) == ("answered", "Đã san gạt")
        for key in ("a", "b"):
            held = db.session.get(OfficeOpinion, said[key])
            assert (held.status, held.answer_text) == ("answered", "Đã san gạt")


def test_merging_another_communes_opinion_is_refused_and_changes_nothing(office, world):
    said = world["said"]
    with office.app_context():
        with pytest.raises(Forbidden):
            cases.merge(who("xa"), [said["a"], said["other"]])
        db.session.rollback()
        assert db.session.execute(select(func.count()).select_from(OfficeCase)).scalar() == 0
        assert db.session.execute(select(func.count()).where(
            OfficeOpinion.case_id.is_not(None))).scalar() == 0
        with pytest.raises(Forbidden):
            cases.merge(who("xem"), [said["a"], said["b"]])
        with pytest.raises(NotFound):
            cases.merge(who("xa"), [said["a"], uuid.uuid4()])


def test_add_and_split_move_opinions_and_record_it(office, world):
    said = world["said"]
    with office.app_context():
        officer = who("xa")
        case = cases.merge(officer, [said["a"], said["b"]])
        cases.assign(officer, case.id, world["units"]["road"], today=date(2026, 11, 5))
        cases.add_to_case(officer, case.id, [said["c"]])
        db.session.commit()
        third = db.session.get(OfficeOpinion, said["c"])
        # The added opinion takes the case's workflow.
        assert (third.case_id, third.unit_id, third.status, third.due_on) == (
            case.id, world["units"]["road"], "forwarded", case.due_on)
        made = cases.split(officer, case.id, [said["a"]], "khác đoạn đường")
        db.session.commit()
        assert len(made) == 1 and made[0].id != case.id
        first = db.session.get(OfficeOpinion, said["a"])
        assert first.case_id == made[0].id and made[0].unit_id == world["units"]["road"]
        assert [item.id for item in cases.members(case)] == [said["b"], said["c"]]
        # A khiếu nại joins: the case follows the complaint's procedure and deadlines.
        cases.add_to_case(officer, case.id, [said["complaint"]])
        assert case.kind == "complaint" and case.accept_due_on is not None
        actions = [entry.action for entry in db.session.execute(select(AuditEntry).where(
            AuditEntry.record_id == said["a"], AuditEntry.source == "office")
            .order_by(AuditEntry.id)).scalars()]
        assert actions[0] == "merged" and "split" in actions
        with db.engine.connect() as conn:
            central = dict(conn.execute(select(store.record.c.id, store.record.c.central)
                                        .where(store.record.c.id.in_([said["a"], said["c"]]))
                                        ).all())
        assert central[said["a"]]["merged_into"] is None
        assert central[said["c"]]["merged_into"] == str(said["b"])  # the new first
        with pytest.raises(ValidationFailed):  # never empty a case
            cases.split(officer, case.id, [said["b"], said["c"], said["complaint"]])


def test_an_opinion_in_another_shared_case_is_not_taken_silently(office, world):
    said = world["said"]
    with office.app_context():
        officer = who("xa")
        first = cases.merge(officer, [said["a"], said["b"]])
        with pytest.raises(ValidationFailed):
            cases.merge(officer, [said["b"], said["c"]])
        alone = cases.merge(officer, [said["c"]])
        cases.add_to_case(officer, first.id, [said["c"]])
        db.session.commit()
        assert db.session.get(OfficeCase, alone.id) is None  # emptied, gone
        assert len(cases.members(first)) == 3


def test_assign_sets_the_due_date_from_the_commune_rule_table(office, world):
    said = world["said"]
    with office.app_context():
        officer = who("xa")
        petition = cases.merge(officer, [said["a"]])
        cases.assign(officer, petition.id, world["units"]["road"], today=date(2026, 11, 5))
        assert petition.due_on == date(2026, 11, 17)  # 2/11 + 15 calendar days
        complaint = cases.merge(officer, [said["complaint"]])
        cases.assign(officer, complaint.id, world["units"]["road"], today=date(2026, 11, 5))
        assert complaint.accept_due_on == date(2026, 11, 12)
        assert complaint.due_on == date(2026, 12, 7)  # 5/11 + 30 = Saturday → Monday
        cases.set_flags(officer, complaint.id, True, True)
        assert complaint.due_on == date(2027, 1, 4)  # + 60: Sunday 3/1 → Monday
        # The commune's own rule: petitions within 10 working days.
        cases.save_rule(officer, MUONG_LA, "petition", {"days": "10", "working": "on"})
        other = cases.merge(officer, [said["b"]])
        cases.assign(officer, other.id, world["units"]["power"], today=date(2026, 11, 5))
        assert other.due_on == date(2026, 11, 17)  # from 3/11: 10 working days
        with pytest.raises(ValidationFailed):
            cases.assign(officer, other.id, world["units"]["other"])
        with pytest.raises(ValidationFailed):
            cases.save_rule(officer, MUONG_LA, "petition", {"days": "-3"})
        with pytest.raises(Forbidden):
            cases.save_rule(who("xa"), CHIENG_LAO, "petition", {"days": "3"})
        db.session.commit()
        opinion = db.session.get(OfficeOpinion, said["b"])
        assert (opinion.unit_id, opinion.due_on, opinion.status) == (
            world["units"]["power"], date(2026, 11, 17), "forwarded")


def test_a_denunciation_is_extended_twice_at_most_each_with_a_reason(office, world):
    laptop = world["laptops"]["a"]
    with office.app_context():
        pass
    record = laptop.opinion("Bản Nà Lò", "Tố cáo cán bộ thôn", kind="denunciation",
                            received_on="2026-11-02")
    laptop.push()
    with office.app_context():
        officer = who("xa")
        case = cases.merge(officer, [record])
        cases.assign(officer, case.id, world["units"]["road"], today=date(2026, 11, 3))
        assert case.due_on == date(2026, 12, 2)
        with pytest.raises(ValidationFailed):
            cases.extend(officer, case.id, "  ")
        cases.extend(officer, case.id, "cần xác minh thêm")
        assert case.due_on == date(2027, 1, 4)
        cases.extend(officer, case.id, "chờ kết luận giám định")
        assert case.due_on == date(2027, 2, 3)
        with pytest.raises(TransitionRefused):
            cases.extend(officer, case.id, "lần ba")
        assert [item["reason"] for item in case.extensions] == [
            "cần xác minh thêm", "chờ kết luận giám định"]


@pytest.mark.parametrize(("start", "to", "allowed"), [
    ("received", "in_progress", False),
    ("received", "answered", False),
    ("received", "closed", False),
    ("forwarded", "in_progress", True),
    ("forwarded", "closed", False),
    ("in_progress", "closed", False),
    ("in_progress", "received", False),
    ("answered", "closed", True),
    ("answered", "in_progress", True),
    ("closed", "in_progress", False),
])
def test_status_moves_only_along_allowed_transitions(office, world, start, to, allowed):
    said = world["said"]
    today = vietnam_today()
    with office.app_context():
        officer = who("xa")
        case = cases.merge(officer, [said["a"]])
        if start != "received":
            cases.assign(officer, case.id, world["units"]["road"], today=today)
        if start in ("in_progress", "answered", "closed"):
            cases.move(officer, case.id, "in_progress")
        if start in ("answered", "closed"):
            cases.answer(officer, case.id, "Đã sửa xong", "Chủ tịch UBND xã", "12/UBND",
                         on=max(case.received_on, today - timedelta(days=1)))
            case.due_on = today  # answered in time
        if start == "closed":
            cases.move(officer, case.id, "closed")
        db.session.commit()
        assert case.status == start
        if allowed:
            cases.move(officer, case.id, to, "lý do")
            db.session.commit()
            assert db.session.get(OfficeOpinion, said["a"]).status == to
            line = db.session.execute(select(AuditEntry).where(
                AuditEntry.record_id == case.record_id).order_by(AuditEntry.id.desc())
            ).scalars().first()
            assert line.changes["status"] == [start, to]
        else:
            with pytest.raises(TransitionRefused) as refused:
                cases.move(officer, case.id, to)
            assert refused.value.message
            db.session.rollback()
            assert db.session.get(OfficeCase, case.id).status == start


def test_a_late_answer_cannot_close_before_explanation_and_apology(office, world):
    said = world["said"]
    with office.app_context():
        officer = who("xa")
        case = cases.merge(officer, [said["a"], said["b"]])
        cases.assign(officer, case.id, world["units"]["road"], today=date(2026, 11, 5))
        assert case.due_on == date(2026, 11, 17)
        overdue = cases.list_cases(officer, overdue=True, today=date(2026, 11, 20))
        assert [(row.case.id, row.days_late) for row in overdue] == [(case.id, 3)]
        assert cases.list_cases(officer, overdue=True, unit=world["units"]["power"],
                                today=date(2026, 11, 20)) == []
        cases.answer(officer, case.id, "Đã san gạt", "Chủ tịch UBND xã", "45/UBND",
                     on=date(2026, 11, 20))
        assert case.answered_late
        with pytest.raises(TransitionRefused) as refused:
            cases.move(officer, case.id, "closed")
        assert "3 ngày" in refused.value.message
        with pytest.raises(ValidationFailed):
            cases.record_late(officer, case.id, {"late_explanation": "Mưa lũ kéo dài"})
        cases.record_late(officer, case.id, {
            "late_explanation": "Mưa lũ kéo dài, máy không vào được",
            "late_explained_by": "Trưởng ban Địa chính", "apology_on": "2026-11-21",
            "apology_how": "Gặp trực tiếp tại nhà văn hóa bản", "apology_by": "Lò Văn Minh"})
        cases.move(officer, case.id, "closed")
        db.session.commit()
        for key in ("a", "b"):
            opinion = db.session.get(OfficeOpinion, said[key])
            assert (opinion.status, opinion.answer_text, opinion.answer_doc_number) == (
                "closed", "Đã san gạt", "45/UBND")


def test_a_handler_works_only_its_units_cases(office, world):
    said = world["said"]
    with office.app_context():
        officer = who("xa")
        mine = cases.merge(officer, [said["a"]])
        cases.assign(officer, mine.id, world["units"]["road"])
        theirs = cases.merge(officer, [said["b"]])
        cases.assign(officer, theirs.id, world["units"]["power"])
        db.session.commit()
        handler = who("dc")
        assert [row.case.id for row in cases.list_cases(handler)] == [mine.id]
        cases.move(handler, mine.id, "in_progress")
        cases.answer(handler, mine.id, "Đang khắc phục", "Trưởng ban", None)
        with pytest.raises(NotFound):
            cases.move(handler, theirs.id, "in_progress")
        with pytest.raises(Forbidden):
            cases.assign(handler, mine.id, world["units"]["power"])
        with pytest.raises(Forbidden):
            cases.move(who("xem"), mine.id, "closed")
        db.session.commit()
        assert db.session.get(OfficeOpinion, said["a"]).answer_text == "Đang khắc phục"


def test_an_opinion_deleted_on_its_laptop_stays_deleted_while_its_case_goes_on(office, world):
    said = world["said"]
    with office.app_context():
        officer = who("xa")
        case = cases.merge(officer, [said["a"], said["b"]])
        cases.assign(officer, case.id, world["units"]["road"])
        db.session.commit()
        case_id = case.id
    laptop = world["laptops"]["b"]
    laptop._add("opinion", said["b"], None)  # the village deletes what it said
    laptop.push()
    with office.app_context():
        officer = who("xa")
        cases.move(officer, case_id, "in_progress")
        cases.answer(officer, case_id, "Đã sửa", "Chủ tịch UBND xã", "9/UBND")
        db.session.commit()
        gone = db.session.get(OfficeOpinion, said["b"])
        assert gone.deleted and gone.case_id == case_id  # kept, listed, never written again
        assert gone.answer_text is None
        assert db.session.get(OfficeOpinion, said["a"]).answer_text == "Đã sửa"
        with db.engine.connect() as conn:
            row = conn.execute(select(store.record).where(store.record.c.id == said["b"])
                               ).one()
        assert row.deleted and not (row.central or {}).get("answer_text")
        with pytest.raises(ValidationFailed):
            cases.merge(officer, [said["b"], said["c"]])  # a deleted opinion is not merged


def test_a_members_workflow_is_changed_on_its_case_only(office, world):
    said = world["said"]
    with office.app_context():
        case = cases.merge(who("xa"), [said["a"], said["b"]])
        db.session.commit()
        # Its own form cannot set one member's unit or answer apart from the case…
        with pytest.raises(ValidationFailed, match="vụ việc số"):
            inbox.update_opinion(who("xa"), said["b"], {"answer_text": "Trả lời riêng"})
        db.session.rollback()
        assert db.session.get(OfficeOpinion, said["b"]).answer_text is None
        # … but what the village said may still be reclassified.
        inbox.update_opinion(who("xa"), said["b"], {"category_code": "electricity"})
        db.session.commit()
        assert db.session.get(OfficeOpinion, said["b"]).category_code == "electricity"
        cases.assign(who("xa"), case.id, world["units"]["road"])
        cases.move(who("xa"), case.id, "in_progress")
        cases.answer(who("xa"), case.id, "Xã sửa đường trong tháng 12", "UBND xã", "12/UBND")
        db.session.commit()
        assert {db.session.get(OfficeOpinion, said[key]).answer_text for key in "ab"} == {
            "Xã sửa đường trong tháng 12"}
    page = login(office, "xa").get(f"/central/opinions/{said['b']}").get_data(as_text=True)
    assert 'id="workflow-in-case"' in page and 'name="answer_text"' not in page


def test_a_split_opinion_counts_its_deadline_from_its_own_day(office, world):
    said = world["said"]
    with office.app_context():
        officer = who("xa")
        case = cases.merge(officer, [said["a"], said["c"]])  # received 2 and 4 November
        cases.assign(officer, case.id, world["units"]["road"], today=date(2026, 11, 5))
        cases.move(officer, case.id, "in_progress")
        case.late_explanation, case.apology_on = "Mưa lũ", date(2026, 12, 1)
        db.session.commit()
        (own,) = cases.split(officer, case.id, [said["c"]])
        db.session.commit()
        assert own.received_on == date(2026, 11, 4) and case.received_on == date(2026, 11, 2)
        assert own.due_on > case.due_on and own.unit_id == case.unit_id
        assert own.status == "in_progress" and own.late_explanation is None
        assert db.session.get(OfficeOpinion, said["c"]).due_on == own.due_on


def test_a_long_case_title_ends_on_a_whole_word():
    long = ("Đề nghị UBND xã sớm sửa chữa tuyến đường từ trung tâm xã vào bản Nà Lò, mùa "
            "mưa năm nay sạt lở nhiều đoạn, xe máy không đi được, học sinh phải nghỉ học")
    title = cases._clipped(long, cases.TITLE_LENGTH)
    assert len(title) <= cases.TITLE_LENGTH and title.endswith("…")
    assert long.startswith(title[:-1]) and long[len(title) - 1] == " "
    assert cases._clipped("Mất điện", cases.TITLE_LENGTH) == "Mất điện"
    unbroken = "x" * 200  # no space to end on: cut where the room ends
    assert cases._clipped(unbroken, 120) == "x" * 119 + "…"


def test_a_case_title_reads_with_diacritics_when_a_member_has_them(office, world):
    """The lead typed fast without diacritics; a later member has them: the title is
    that member's, whatever order the opinions were ticked in, and stays as members come
    and go (a lead with diacritics keeps its own)."""
    said, laptop = world["said"], world["laptops"]["b"]
    plain = laptop.opinion("Bản Đán", "Duong vao ban Dan sat lo,  de nghi sua gap",
                           kind="petition", received_on="2026-11-01")
    plain_too = laptop.opinion("Bản Đán", "Duong vao ban sat lo “nang”", kind="petition",
                               received_on="2026-11-02")
    laptop.push()
    accented = "Đường vào Bản Đán sạt lở, đề nghị sửa"
    with office.app_context():
        case = cases.merge(who("xa"), [said["c"], plain, said["b"]])
        db.session.commit()
        assert cases.members(case)[0].id == plain  # the lead, received first
        assert case.title == accented  # Bản Đán's, the first member with diacritics
        # Its lead leaves: the title stays Bản Đán's.
        cases.split(who("xa"), case.id, [plain])
        db.session.commit()
        assert case.title == accented
        # Typed without diacritics by all: the lead's words, spaces tidied.
        bare = cases.merge(who("xa"), [plain_too, plain])
        db.session.commit()
        assert bare.title == "Duong vao ban Dan sat lo, de nghi sua gap"
        # A member with diacritics joins: it names the case now.
        cases.split(who("xa"), case.id, [said["c"]])
        cases.add_to_case(who("xa"), bare.id, [said["a"]])
        db.session.commit()
        assert bare.title == "Đường vào Bản Nà Lò sạt lở, đề nghị sửa"
        # ...and keeps naming it when another joins or a plain one leaves.
        cases.add_to_case(who("xa"), bare.id, [said["c"]])
        cases.split(who("xa"), bare.id, [plain_too])
        db.session.commit()
        assert bare.title == "Đường vào Bản Nà Lò sạt lở, đề nghị sửa"
        # The member it came from leaves: the next one with diacritics names it.
        cases.split(who("xa"), bare.id, [said["a"]])
        db.session.commit()
        assert bare.title == "Đường vào Bản Hua Păng sạt lở, đề nghị sửa"


@pytest.mark.parametrize("text, expected", [
    ("Đường hỏng", True), ("duong hong", False), ("đi", True), ("ÁO", True),
    ("Duong “hong” – nang", False), ("", False), (None, False),
    ("Đường hỏng".encode().decode(), True),
])
def test_diacritics_are_told_from_plain_letters_and_punctuation(text, expected):
    from field_app.text import has_diacritics

    assert has_diacritics(text) is expected
