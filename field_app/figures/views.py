"""The laptop's figures page: its villages' forums, opinions, answers and satisfaction."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..central.reports import periods
from ..central.reports.figures import HANDLING_LABELS, HOUSEHOLDS_NOTE, SATISFACTION_LABELS
from ..opinions.logic import vietnam_today
from .logic import laptop_figures

bp = Blueprint("figures", __name__)


@bp.get("/figures")
def index():
    period = periods.from_args(request.args, vietnam_today())
    return render_template("figures/index.html", f=laptop_figures(period, vietnam_today()),
                           choices=periods.choices(vietnam_today()),
                           handling_labels=HANDLING_LABELS,
                           satisfaction_labels=SATISFACTION_LABELS,
                           households_note=HOUSEHOLDS_NOTE)
