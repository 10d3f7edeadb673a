"""Charts drawn on the server as inline SVG: no script, no CDN, readable on a phone.

A chart scales with its box (viewBox, width 100 %); its table is printed beneath it
on the page, so a chart never holds a number the table does not, printed as the table
prints it (`cell_text`).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from .exports import cell_text
from .tables import Table

COLOURS = ("#1f6f43", "#c0392b", "#8e44ad", "#2c7fb8", "#e67e22", "#7f8c8d")
WIDTH = 640
ROW = 26
LABEL = 230  # room for the label on the left
MOST_BARS = 25  # a longer table is charted by its first rows (the table has them all)


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _short(text: str, most: int = 34) -> str:
    text = str(text)
    return text if len(text) <= most else text[:most - 1] + "…"


def svg(table: Table) -> Markup | None:
    """Return the SVG chart of a table (horizontal bars, stacked for several columns)."""
    if table.chart is None or not table.rows:
        return None
    rows = table.rows[:MOST_BARS]
    columns = table.chart_columns
    totals = [sum(_number(row[c]) for c in columns) for row in rows]
    top = max(totals) if totals else 0
    if table.formats[columns[0]] == "percent" and len(columns) == 1:
        top = max(top, 100.0)
    if top <= 0:
        return None
    legend = len(columns) > 1
    height = ROW * len(rows) + (ROW if legend else 0) + 8
    span = WIDTH - LABEL - 60
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'role="img" aria-label="{escape(table.title)}" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="14">']
    for index, row in enumerate(rows):
        y = index * ROW + 4
        # ~7 px a character at 13 px: 30 characters fit the label's room, never clipped;
        # the whole label shows on hover, and the table beneath has it in full.
        label = row[table.label_column]
        parts.append(f'<text x="{LABEL - 6}" y="{y + 15}" text-anchor="end" font-size="13">'
                     f'<title>{escape(label)}</title>{escape(_short(label, 30))}</text>')
        x = float(LABEL)
        for n, column in enumerate(columns):
            width = span * _number(row[column]) / top
            if width > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{width:.1f}" height="18" '
                             f'fill="{COLOURS[n % len(COLOURS)]}"><title>'
                             f'{escape(table.headers[column])}: '
                             f'{escape(cell_text(row[column], table.formats[column]))}'
                             f'</title></rect>')
            x += width
        # The table's own print ("50,0" in Vietnamese, "50.0" in English); several
        # columns stack counts, so their sum is a count too.
        value = (cell_text(int(totals[index]), "int") if len(columns) > 1
                 else cell_text(row[columns[0]], table.formats[columns[0]]))
        value = escape(value)
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}">{value}</text>')
    if legend:
        y = ROW * len(rows) + 6
        x = 4.0
        for n, column in enumerate(columns):
            name = escape(_short(table.headers[column], 22))
            parts.append(f'<rect x="{x:.0f}" y="{y}" width="12" height="12" '
                         f'fill="{COLOURS[n % len(COLOURS)]}"/>'
                         f'<text x="{x + 16:.0f}" y="{y + 11}">{name}</text>')
            x += 30 + 7.5 * len(str(table.headers[column])[:22])
    parts.append("</svg>")
    return Markup("".join(parts))
