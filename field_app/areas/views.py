"""Set-up (province, commune) and the village list."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..errors import ValidationFailed
from ..extensions import db
from ..forms import show_errors
from . import logic
from .forms import CommuneForm, VillageCsvForm, VillageForm

bp = Blueprint("areas", __name__)


@bp.route("/setup", methods=["GET", "POST"])
def setup_commune():
    """Pick the province and commune this laptop serves."""
    form = CommuneForm()
    if form.validate_on_submit():
        try:
            logic.choose_commune(int(form.commune.data))
        except (ValueError, ValidationFailed) as exc:
            message = exc.message if isinstance(exc, ValidationFailed) else _("Hãy chọn lại.")
            flash(message, "error")
        else:
            db.session.commit()
            flash(_("Đã chọn xã. Giờ hãy thêm các bản/thôn."), "success")
            return redirect(url_for("areas.villages"))
    province = request.args.get("province", type=int)
    query = request.args.get("q", "")
    results = logic.search_communes(query, province) if (query or province) else []
    all_provinces = logic.provinces()
    return render_template("areas/setup.html", form=form, provinces=all_provinces,
                           province_names={int(p.code): p.name for p in all_provinces},
                           province=province, q=query, results=results,
                           commune=logic.current_commune())


@bp.route("/villages", methods=["GET", "POST"])
def villages():
    """List the commune's villages; add one by hand."""
    commune = logic.current_commune()
    form, csv_form = VillageForm(prefix="v"), VillageCsvForm(prefix="csv")
    if form.validate_on_submit():
        try:
            village = logic.add_village(commune, form.name.data, form.kind.data,
                                        form.households.data)
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Đã thêm %(name)s.", name=village.name), "success")
            return redirect(url_for("areas.villages") + "#add")
    return render_template("areas/villages.html", commune=commune, form=form,
                           csv_form=csv_form, villages=logic.villages(commune))


@bp.post("/villages/import")
def import_villages():
    """Import villages from a CSV file: all rows or none."""
    commune = logic.current_commune()
    form, csv_form = VillageForm(prefix="v", formdata=None), VillageCsvForm(prefix="csv")
    if csv_form.validate_on_submit():
        try:
            result = logic.import_villages_csv(commune, csv_form.file.data.read())
        except ValidationFailed as exc:
            csv_form.file.errors = [exc.message, *exc.details.values()]
        else:
            db.session.commit()
            flash(_("Đã nhập %(added)d bản/thôn; bỏ qua %(skipped)d đã có.",
                    added=len(result.added), skipped=len(result.skipped)), "success")
            return redirect(url_for("areas.villages"))
    return render_template("areas/villages.html", commune=commune, form=form,
                           csv_form=csv_form, villages=logic.villages(commune)), 422


@bp.route("/villages/<uuid:village_id>/edit", methods=["GET", "POST"])
def edit_village(village_id):
    """Rename a village or change its households."""
    village = logic.get_village(village_id)
    form = VillageForm(obj=village)
    if form.validate_on_submit():
        try:
            logic.update_village(village, form.name.data, form.kind.data, form.households.data)
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Đã lưu %(name)s.", name=village.name), "success")
            return redirect(url_for("areas.villages"))
    return render_template("areas/village_edit.html", form=form, village=village)
