"""Opinion counts summed ahead: what a province's report would otherwise count from a
million office_opinion rows each time.

`office_opinion_count` holds, per commune and "report month" (10th to 9th: the
months seed 003's quarters, half-year and year are unions of), how many live
opinions (`deleted` false, with a `received_on`) have each value of each counted
dimension, per category how many answers carry each satisfaction, and per unit how
many opinions to handle have each final handling state (migration o015: "handling",
the unit's id in `category_code`; figures.handling_from_counts). On PostgreSQL
three statement-level triggers on office_opinion (migration o013) keep it exact in
the transaction that writes the opinions, whatever writes them (the projection's
COPY and upserts, the office's workflow, a script). SQLite keeps no counts: a
commune's central counts its few opinions from the table itself.

figures.py reads it for a period made of whole report months (Q1, H1, Q3, the
year, or a custom range from a 10th to a 9th) and counts from office_opinion
otherwise (a calendar month, any other range, a handler's own unit).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db

# The dimensions counted (office_opinion's column for each); "satisfaction" is counted
# per category (`category_code`), the others with category_code "".
COUNTED_DIMENSIONS = {
    "kind": "kind", "category": "category_code", "village": "village_id", "level": "level",
    "channel": "channel", "source_org": "source_org", "status": "status",
    "answered_on_spot": "answered_on_spot", "satisfaction": "satisfaction",
}
NO_VALUE = ""  # how an empty value (no village, no source organisation) is stored


class OpinionCount(db.Model):
    """How many live opinions of a commune's report month hold one value of a dimension."""

    __tablename__ = "office_opinion_count"
    # A province's period: one dimension's rows of every commune (migration o015).
    __table_args__ = (Index("ix_office_opinion_count_dimension", "dimension", "month"),)

    commune_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The 10th the report month starts on (it ends on the 9th of the next month).
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    category_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(60), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)


def report_month(day: date) -> date:
    """Return the 10th the report month of `day` starts on."""
    if day.day >= 10:
        return day.replace(day=10)
    return date(day.year - 1, 12, 10) if day.month == 1 else date(day.year, day.month - 1, 10)
