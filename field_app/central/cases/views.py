"""The case pages: lists (all, overdue, a unit's queue), one case with its forms, the
deadline rules and the units of a commune."""

from __future__ import annotations

import uuid
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from sync.records import OPINION_KINDS, WORKFLOW_STATUSES

from ...areas.logic import commune_label
from ...errors import Forbidden, ValidationFailed
from ...extensions import db
from .. import bp
from ..accounts.logic import office_account
from ..accounts.permissions import can, own_unit, require
from ..catalogue import logic as catalogue
from ..catalogue.models import UNIT_KINDS
from ..catalogue.views import picked_commune
from ..inbox.views import _history
from . import logic
from .deadlines import DEFAULT_RULES


def _ids(name: str = "opinion_ids") -> list[uuid.UUID]:
    try:
        return [uuid.UUID(value) for value in request.form.getlist(name) if value.strip()]
    except ValueError:
        raise ValidationFailed(_("Mã ý kiến không hợp lệ."),
                               {"fields": {name: ["not a uuid"]}}) from None


def _run(action, success: str, back: str):
    """Run one change, commit once, say how it went, go back. A form's mistake or a
    refused move is flashed; no right or another commune's record is an error page."""
    try:
        result = action()
    except (ValidationFailed, logic.TransitionRefused) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    db.session.commit()
    flash(success, "success")
    return redirect(result if isinstance(result, str) else back)


def _case_url(case_id: int) -> str:
    return url_for(".case", case_id=case_id)


@bp.get("/cases")
@require("inbox.view")
def cases():
    """Every case the account may see, by due date (filters: unit, status)."""
    account = office_account()
    unit = request.args.get("unit", type=int)
    status = request.args.get("status") or None
    if status not in (None, *WORKFLOW_STATUSES):
        status = None
    rows = logic.list_cases(account, unit=unit, status=status)
    return render_template("central/cases.html", rows=rows, mode="all", unit=unit,
                           status=status, statuses=WORKFLOW_STATUSES,
                           units=_units(account), commune_label=commune_label)


@bp.get("/cases/overdue")
@require("inbox.view")
def overdue_cases():
    """Open cases past their due date, per unit and in all (the commune's, or every
    commune's for a province account), with days late."""
    account = office_account()
    unit = request.args.get("unit", type=int)
    rows = logic.list_cases(account, overdue=True, unit=unit)
    # By unit id: two communes' units may share a name (a province's list tells them apart).
    labels = catalogue.unit_labels({row.case.unit_id for row in rows},
                                   account.commune_code is None)
    per_unit: dict[str, list] = {}
    for row in sorted(rows, key=lambda row: row.case.unit_id is None):
        per_unit.setdefault(labels.get(row.case.unit_id) or _("(chưa giao)"), []).append(row)
    return render_template("central/cases.html", rows=rows, mode="overdue", unit=unit,
                           per_unit=per_unit, statuses=WORKFLOW_STATUSES,
                           units=_units(account), commune_label=commune_label)


@bp.get("/cases/queue")
@require("cases.work")
def case_queue():
    """A unit handler's queue: its unit's open cases, the earliest due first."""
    account = office_account()
    unit = account.unit_id if account.role == "handler" else request.args.get("unit", type=int)
    rows = [row for row in logic.list_cases(account, unit=unit) if row.case.status != "closed"
            ] if unit else []
    return render_template("central/cases.html", rows=rows, mode="queue", unit=unit,
                           statuses=WORKFLOW_STATUSES, units=_units(account),
                           commune_label=commune_label)


def _units(account) -> list[dict]:
    """Return the units the case lists filter on (id, name as shown): the account's
    commune's (a handler's own); a province account's every unit, each with its commune."""
    server_wide = account.commune_code is None
    units = catalogue_units(None) if server_wide else logic.units_for(account.commune_code)
    own = own_unit(account)
    shown = [{"id": unit.id,
              "name": catalogue.unit_label(unit.name, unit.commune_code, server_wide)}
             for unit in units if own is None or unit.id == own]
    return sorted(shown, key=lambda unit: unit["name"]) if server_wide else shown


def catalogue_units(commune: int | None) -> list:
    from sqlalchemy import select

    from ..catalogue.models import Unit

    query = select(Unit).where(Unit.active.is_(True)).order_by(Unit.name)
    if commune is not None:
        query = query.where(Unit.commune_code.is_(None) | (Unit.commune_code == commune))
    return list(db.session.execute(query).scalars())


@bp.get("/cases/<int:case_id>")
@require("inbox.view")
def case(case_id: int):
    account = office_account()
    item = logic.get_case(account, case_id)
    held = logic.members(item)
    personal = can(account, "personal.view")
    hidden = not personal or item.kind == "denunciation"
    return render_template(
        "central/case.html", case=item, members=held, villages=logic.village_names(held),
        units=logic.units_for(item.commune_code),
        unit_name=logic.unit_names({item.unit_id} - {None}).get(item.unit_id),
        rule=logic.rules_for(item.commune_code)[item.kind],
        allowed=logic.TRANSITIONS[item.status],
        days_late=logic.deadlines.days_late(item.due_on, item.answer_date or
                                            logic.vietnam_today()),
        history=_history(logic.case_history(item), held[0] if held else _NoVillage(),
                         hidden),
        commune=commune_label(item.commune_code),
        manage=can(account, "cases.manage"), work=can(account, "cases.work"),
        today=logic.vietnam_today())


class _NoVillage:
    village_id = None
    unit_id = None


@bp.post("/cases")
@require("cases.manage")
def merge_cases():
    """Merge the opinions ticked (inbox, opinion page) into a new case."""
    back = request.referrer or url_for(".inbox")

    def merge():
        return _case_url(logic.merge(office_account(), _ids(), request.form.get("reason")).id)

    # One opinion on its own ("Mở vụ việc cho riêng ý kiến này") is not merged with anything.
    alone = len({value.strip() for value in request.form.getlist("opinion_ids")
                 if value.strip()}) == 1
    return _run(merge, _("Đã mở vụ việc riêng cho ý kiến này; máy của bản sẽ nhận ở lần đồng "
                         "bộ sau.") if alone else
                _("Đã gộp thành một vụ việc; máy của các bản sẽ nhận ở lần đồng bộ sau."), back)


@bp.post("/cases/<int:case_id>/opinions")
@require("cases.manage")
def add_to_case(case_id: int):
    back = request.referrer or _case_url(case_id)

    def add():
        logic.add_to_case(office_account(), case_id, _ids(), request.form.get("reason"))
        return _case_url(case_id)

    return _run(add, _("Đã thêm ý kiến vào vụ việc."), back)


@bp.post("/cases/<int:case_id>/split")
@require("cases.manage")
def split_case(case_id: int):
    made: list = []

    def split() -> None:
        made.extend(logic.split(office_account(), case_id, _ids(), request.form.get("reason")))

    answer = _run(split, _("Đã tách ý kiến ra thành vụ việc riêng."), _case_url(case_id))
    if made:  # say where they went: the new cases' numbers
        flash(_("Vụ việc mới: %(numbers)s",
                numbers=", ".join(_("số %(n)s", n=item.id) for item in made)), "success")
    return answer


@bp.post("/cases/<int:case_id>/assign")
@require("cases.manage")
def assign_case(case_id: int):
    def assign():
        unit = request.form.get("unit_id", type=int)
        if unit is None:
            raise ValidationFailed(_("Hãy chọn đơn vị xử lý."),
                                   {"fields": {"unit_id": ["required"]}})
        logic.assign(office_account(), case_id, unit, reason=request.form.get("reason"))

    return _run(assign, _("Đã giao đơn vị xử lý; hạn xử lý tính theo bảng thời hạn của xã."),
                _case_url(case_id))


@bp.post("/cases/<int:case_id>/flags")
@require("cases.manage")
def case_flags(case_id: int):
    return _run(lambda: logic.set_flags(office_account(), case_id, "complex" in request.form,
                                        "remote" in request.form, request.form.get("reason")),
                _("Đã lưu; hạn xử lý đã tính lại."), _case_url(case_id))


@bp.post("/cases/<int:case_id>/extend")
@require("cases.manage")
def extend_case(case_id: int):
    return _run(lambda: logic.extend(office_account(), case_id, request.form.get("reason", "")),
                _("Đã gia hạn."), _case_url(case_id))


@bp.post("/cases/<int:case_id>/status")
@require("cases.work")
def case_status(case_id: int):
    return _run(lambda: logic.move(office_account(), case_id, request.form.get("status", ""),
                                   request.form.get("reason")),
                _("Đã chuyển trạng thái."), _case_url(case_id))


@bp.post("/cases/<int:case_id>/answer")
@require("cases.work")
def answer_case(case_id: int):
    def answer():
        raw = (request.form.get("date") or "").strip()
        try:
            on = date.fromisoformat(raw) if raw else None
        except ValueError:
            raise ValidationFailed(_("Ngày trả lời không hợp lệ."),
                                   {"fields": {"date": ["date"]}}) from None
        logic.answer(office_account(), case_id, request.form.get("text", ""),
                     request.form.get("by", ""), request.form.get("doc_number"), on)

    return _run(answer, _("Đã lưu trả lời; mọi bản có ý kiến trong vụ việc sẽ nhận ở lần đồng "
                          "bộ sau."), _case_url(case_id))


@bp.post("/cases/<int:case_id>/late")
@require("cases.work")
def case_late(case_id: int):
    fields = ("late_explanation", "late_explained_by", "apology_on", "apology_how", "apology_by")
    return _run(lambda: logic.record_late(office_account(), case_id,
                                          {name: request.form.get(name) for name in fields}),
                _("Đã lưu giải trình và việc xin lỗi người dân."), _case_url(case_id))


# --- the commune's deadline rules and units ---------------------------------------------

def _managed_commune(account) -> int | None:
    """Return the commune a form acts on: the one it names (which the account must
    manage), else the account's own."""
    requested = request.form.get("commune", type=int)
    if requested is not None:
        catalogue.check_manager(account, requested)
    return catalogue.commune_of(account, requested)


@bp.get("/deadline-rules")
@require("catalogue.manage")
def deadline_rules():
    account = office_account()
    commune = catalogue.commune_of(account, picked_commune(request.args.get("commune")))
    return render_template("central/deadline_rules.html", commune=commune,
                           rules=logic.rules_for(commune) if commune else {},
                           defaults=DEFAULT_RULES, kinds=OPINION_KINDS,
                           rule_fields=logic.RULE_FIELDS, rule_labels=logic.RULE_LABELS,
                           communes=catalogue.known_communes(account),
                           commune_label=commune_label)


@bp.post("/deadline-rules")
@require("catalogue.manage")
def save_deadline_rule():
    account = office_account()
    commune = _managed_commune(account)
    if commune is None:
        raise Forbidden(_("Hãy chọn xã."))
    return _run(lambda: logic.save_rule(account, commune, request.form.get("kind", ""),
                                        request.form.to_dict()),
                _("Đã lưu thời hạn; vụ việc giao từ nay tính theo thời hạn mới."),
                url_for(".deadline_rules", commune=commune))


@bp.get("/units")
@require("catalogue.manage")
def units():
    account = office_account()
    commune = catalogue.commune_of(account, picked_commune(request.args.get("commune")))
    return render_template("central/units.html", commune=commune,
                           units=catalogue_units(commune), kinds=UNIT_KINDS,
                           communes=catalogue.known_communes(account),
                           commune_label=commune_label)


@bp.post("/units")
@require("catalogue.manage")
def add_unit():
    account = office_account()
    shared = request.form.get("shared") == "1" and account.commune_code is None
    commune = _managed_commune(account)
    if shared:
        commune = None
    else:
        catalogue.check_manager(account, commune)

    def add():
        if commune is None and not shared:  # never "every commune" by an empty box
            raise ValidationFailed(_("Hãy chọn xã của đơn vị (mã xã), hoặc đánh dấu "
                                     "“Dùng cho mọi xã”."), {"fields": {"commune": ["required"]}})
        catalogue.add_unit(commune, request.form.get("name", ""),
                           request.form.get("kind", "commune"))

    return _run(add, _("Đã thêm đơn vị."), url_for(".units", commune=commune))



@bp.app_template_global("case_of")
def case_of(opinion):
    """Return the case an opinion belongs to (the opinion page's case panel), if any."""
    return logic.case_of(opinion)


@bp.post("/opinions/<uuid:record_id>/case")
@require("cases.manage")
def join_case(record_id: uuid.UUID):
    """Add one opinion (its page's case panel) to an existing case chosen by number."""
    back = url_for(".opinion", record_id=record_id)

    def join():
        case_id = request.form.get("case_id", type=int)
        if case_id is None:
            raise ValidationFailed(_("Hãy chọn vụ việc."), {"fields": {"case_id": ["required"]}})
        logic.add_to_case(office_account(), case_id, [record_id], request.form.get("reason"))
        return _case_url(case_id)

    return _run(join, _("Đã thêm ý kiến vào vụ việc."), back)


@bp.post("/opinions/<uuid:record_id>/merge-with/<uuid:other_id>")
@require("cases.manage")
def merge_with(record_id: uuid.UUID, other_id: uuid.UUID):
    """Merge a likely duplicate (the opinion page's suggestion) with the opinion shown."""
    back = url_for(".opinion", record_id=record_id)

    def merge():
        return _case_url(logic.merge_with(office_account(), record_id, other_id,
                                          request.form.get("reason")).id)

    return _run(merge, _("Đã gộp vào cùng vụ việc; máy của các bản sẽ nhận ở lần đồng bộ "
                         "sau."), back)


@bp.app_template_global("open_cases_for")
def open_cases_for(opinion, limit: int = 100):
    """Return the open cases of the opinion's commune it could join (the case panel)."""
    rows = logic.list_cases(office_account(), commune=opinion.commune_code, limit=limit)
    return [row.case for row in rows if row.case.status != "closed"]
