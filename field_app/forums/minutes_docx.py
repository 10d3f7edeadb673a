"""The minutes (biên bản) laid out as a Word file: python-docx, imported only when asked for.

`minutes.build` makes the `Minutes` every string comes from; this module only
lays it out (Nghị định 30/2020: A4, Times New Roman).
"""

from __future__ import annotations

import io
import threading
from collections import deque
from copy import deepcopy

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from .minutes import FONT, Fact, Minutes

BODY_SIZE = Pt(14)
SMALL_SIZE = Pt(13)
AFTER = Pt(6)  # space after a body paragraph
TEXT_WIDTH = Cm(16)  # 21 cm less 3 cm left and 2 cm right margins


def _set_fonts(element_rpr) -> None:
    """Put Times New Roman on every script of a w:rPr, dropping theme fonts."""
    fonts = element_rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        element_rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    lang = element_rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        element_rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")


def decree_30_page(doc) -> None:
    """Lay a document out as Nghị định 30/2020 asks: A4 portrait, margins 2/2/3/2 cm,
    Times New Roman 14 (the forum minutes and the office's reports alike)."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.header_distance, section.footer_distance = Cm(1), Cm(1)

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _set_fonts(rpr)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY_SIZE
    _set_fonts(normal.element.get_or_add_rPr())


def _blank_minutes():
    """Return a new document laid out for minutes, before anything of one forum is in it.

    The layout is made once a process and copied: reading python-docx's template
    and setting the page up were a quarter of a minutes' time, the same each time.
    """
    global _BLANK
    with _BLANK_LOCK:
        if _BLANK is None:
            blank = Document()
            decree_30_page(blank)
            normal = blank.styles["Normal"]
            fmt = normal.paragraph_format
            fmt.space_before, fmt.space_after = Pt(0), Pt(6)
            fmt.line_spacing = 1.15
            # Word and LibreOffice: do not stretch a justified line ending in a manual break.
            compat = blank.settings.element.find(qn("w:compat"))
            if compat is None:
                compat = OxmlElement("w:compat")
                blank.settings.element.append(compat)
            compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))
            _BLANK = blank
        return deepcopy(_BLANK)


_BLANK = None
_BLANK_LOCK = threading.Lock()


def _setup_document(doc, m: Minutes) -> None:
    section = doc.sections[0]
    props = doc.core_properties
    props.title = m.document_title
    props.author = "Lắng Nghe"
    props.language = "vi-VN"
    props.comments = ""

    # Page numbers from page 2, centred at the top (Nghị định 30/2020);
    # a draft says so on every page.
    section.different_first_page_header_footer = True
    first = section.first_page_header.paragraphs[0]
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(header)
    if m.draft:
        for paragraph in (first, section.header.add_paragraph()):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = paragraph.add_run(m.draft_mark)
            run.bold = True
            _box(paragraph)


def _page_field(paragraph) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _box(paragraph) -> None:
    """Draw a border around a paragraph (the draft mark)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "8")
        edge.set(qn("w:space"), "2")
        edge.set(qn("w:color"), "auto")
        borders.append(edge)
    ppr.append(borders)
    paragraph.paragraph_format.left_indent = Cm(13.3)


# Paragraph and run properties made once per kind, then copied: python-docx builds each
# element by searching its siblings, most of a long minutes' time.
_PARAGRAPH_PROPERTIES: dict[tuple, object] = {}
_RUN_PROPERTIES: dict[tuple, object] = {}


def _para(container, text: str = "", *, bold=False, italic=False, underline=False,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY, size=None, indent: bool = True,
          after=AFTER, keep_next=False):
    paragraph = container.add_paragraph()
    kind = (align, after, indent, keep_next)
    made = _PARAGRAPH_PROPERTIES.get(kind)
    if made is not None:
        paragraph._p.insert(0, deepcopy(made))
    else:
        paragraph.alignment = align
        fmt = paragraph.paragraph_format
        fmt.space_after = after
        if indent:
            fmt.first_line_indent = Cm(1)
        if keep_next:
            fmt.keep_with_next = True
        _PARAGRAPH_PROPERTIES[kind] = deepcopy(paragraph._p.pPr)
    if text:
        _run(paragraph, text, bold=bold, italic=italic, underline=underline, size=size)
    return paragraph


def _lines(doc, text: str, **kwargs) -> None:
    """Write multi-line text as one paragraph a line: a justified line ending
    in a manual break would be stretched across the page."""
    for line in text.split("\n"):
        if line.strip():
            _para(doc, line, **kwargs)


def _run(paragraph, text: str, *, bold=False, italic=False, underline=False, size=None):
    run = paragraph.add_run()
    if "\t" in text or "\n" in text:
        run.text = text  # tabs and breaks become their own elements
    elif text:
        # One <w:t>: `run.text` walks the text a character at a time (a third of a
        # 50-opinion minutes' time).
        run._r.add_t(text)
    kind = (bool(bold), bool(italic), bool(underline), size)
    if kind == (False, False, False, None):
        return run  # a plain run: no properties at all
    made = _RUN_PROPERTIES.get(kind)
    if made is not None:
        run._r.insert(0, deepcopy(made))
        return run
    run.bold = bold or None
    run.italic = italic or None
    run.underline = underline or None
    if size is not None:
        run.font.size = size
    _RUN_PROPERTIES[kind] = deepcopy(run._r.rPr)
    return run


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "nil")
        borders.append(edge)
    tbl_pr.append(borders)


def _widths(table, widths) -> None:
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _cell_para(cell, text: str = "", first: bool = False, **kwargs):
    """Write into a table cell: its first (empty) paragraph, or a new one."""
    kwargs.setdefault("align", WD_ALIGN_PARAGRAPH.CENTER)
    kwargs.setdefault("indent", False)
    kwargs.setdefault("after", Pt(0))
    if first:
        paragraph = cell.paragraphs[0]
        paragraph.alignment = kwargs.pop("align")
        paragraph.paragraph_format.space_after = kwargs.pop("after")
        kwargs.pop("indent")
        if text:
            _run(paragraph, text, **kwargs)
        return paragraph
    return _para(cell, text, **kwargs)


def _no_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _header(doc, m: Minutes) -> None:
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _widths(table, (Cm(6.5), Cm(9.5)))
    left, right = table.rows[0].cells
    _cell_para(left, m.parent_body, first=True, size=SMALL_SIZE)
    _cell_para(left, m.body, bold=True, underline=True, size=SMALL_SIZE)
    _cell_para(right, m.nation, first=True, bold=True, size=Pt(12))
    _cell_para(right, m.motto, bold=True, underline=True, size=SMALL_SIZE)
    number, place = table.rows[1].cells
    _cell_para(number, m.number_line, first=True, size=SMALL_SIZE).paragraph_format.space_before \
        = Pt(6)
    _cell_para(place, m.place_date, first=True, italic=True,
               size=SMALL_SIZE).paragraph_format.space_before = Pt(6)


def _facts(doc, facts: list[Fact]) -> None:
    for fact in facts:
        paragraph = _para(doc)
        _run(paragraph, f"- {fact.label}: ")
        _run(paragraph, fact.value)


def _heading(doc, text: str) -> None:
    _para(doc, text, bold=True, indent=True, keep_next=True, align=WD_ALIGN_PARAGRAPH.LEFT)


def _opinions(doc, m: Minutes) -> None:
    if not m.opinions:
        _para(doc, m.texts.no_opinions, italic=True)
        return
    for line in m.opinions:
        lead = _para(doc, keep_next=True)
        who = line.raiser + (f" ({line.on_behalf})" if line.on_behalf else "")
        _run(lead, f"{line.number}. {who}", bold=True)
        _run(lead, f" – {line.kind}, {line.category}:", italic=True)
        _lines(doc, line.content)
        answer = _para(doc)
        if line.answered:
            by = f" ({line.answer_by})" if line.answer_by else ""
            _run(answer, f"{m.texts.opinion_answer}{by}: ", bold=True, italic=True)
            first, _sep, rest = line.answer.partition("\n")
            _run(answer, first)
            _lines(doc, rest)
        else:
            _run(answer, line.pending, italic=True)


def _decisions(doc, m: Minutes) -> None:
    if not m.decisions:
        _para(doc, m.texts.no_decisions, italic=True)
        return
    table = doc.add_table(rows=1, cols=6)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Cm(1), Cm(5.9), Cm(2.2), Cm(2.3), Cm(2.3), Cm(2.3))
    for cell, text in zip(table.rows[0].cells, m.texts.decision_columns, strict=True):
        _cell_para(cell, text, first=True, bold=True, size=SMALL_SIZE)
    header_pr = table.rows[0]._tr.get_or_add_trPr()
    header_pr.append(OxmlElement("w:tblHeader"))
    for line in m.decisions:
        cells = table.add_row().cells
        values = (str(line.number), line.text, line.votes_for, line.votes_against,
                  line.votes_abstain, line.result)
        for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
            align = WD_ALIGN_PARAGRAPH.LEFT if index == 1 else WD_ALIGN_PARAGRAPH.CENTER
            _cell_para(cell, text, first=True, align=align, size=SMALL_SIZE)
    for row in table.rows:
        _no_split(row)
    _widths(table, widths)
    if m.decision_rule:
        _para(doc, m.decision_rule, italic=True, size=SMALL_SIZE).paragraph_format.space_before \
            = Pt(6)


def _amendments(doc, m: Minutes) -> None:
    for line in m.amendments:
        lead = _para(doc, keep_next=True)
        _run(lead, f"{line.number}. {line.when} – {line.author}: ", bold=True)
        _run(lead, line.subject, italic=True)
        for label, value in ((m.texts.amendment_old, line.old), (m.texts.amendment_new, line.new),
                             (m.texts.amendment_reason, line.reason)):
            paragraph = _para(doc)
            _run(paragraph, f"- {label}: ")
            _run(paragraph, value)


def _signatures(doc, m: Minutes) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _widths(table, (Cm(8), Cm(8)))
    _no_split(table.rows[0])
    for cell, signature in zip(table.rows[0].cells, m.signatures, strict=True):
        _cell_para(cell, signature.role, first=True, bold=True)
        _cell_para(cell, signature.hint, italic=True, size=SMALL_SIZE)
        for _blank in range(4):
            _cell_para(cell)
        _cell_para(cell, signature.name, bold=True)


def render_docx(m: Minutes) -> io.BytesIO:
    """Return the minutes as a Word document (A4, Times New Roman).

    The same minutes give the file made last time: printing them again, or a
    second phone opening them, costs the comparison, not a new document.
    """
    for made, content in list(_MADE):
        if made == m:
            return io.BytesIO(content)
    out = _render(m)
    _MADE.append((m, out.getvalue()))
    return out


# The last few minutes made and their files (a few tens of kB each).
_MADE: deque[tuple[Minutes, bytes]] = deque(maxlen=4)


def _render(m: Minutes) -> io.BytesIO:
    doc = _blank_minutes()
    _setup_document(doc, m)
    _header(doc, m)
    _para(doc, m.title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
          after=Pt(0)).paragraph_format.space_before = Pt(18)
    _para(doc, m.subtitle, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, after=Pt(0))
    _para(doc, m.subject, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
          after=Pt(12))

    _heading(doc, m.texts.time_place)
    _facts(doc, m.time_place)
    _heading(doc, m.texts.participants)
    _facts(doc, m.participants)
    _heading(doc, m.texts.agenda)
    _lines(doc, m.agenda)
    _heading(doc, m.texts.opinions)
    _opinions(doc, m)
    _heading(doc, m.texts.decisions)
    _decisions(doc, m)
    _heading(doc, m.texts.summary)
    _lines(doc, m.summary)
    _para(doc, m.closing, keep_next=True, after=Pt(12)).paragraph_format.space_before = Pt(6)
    _signatures(doc, m)
    # After the signatures: amendments were not part of what was signed.
    if m.amendments:
        _heading(doc, m.texts.amendments)
        _amendments(doc, m)

    out = io.BytesIO()
    doc.save(out)
    out.seek(0)
    return out
