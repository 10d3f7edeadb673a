"""Choose the commune, keep its villages; plain functions, no request needed."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from ..errors import ValidationFailed
from ..extensions import db
from ..models_base import get_record
from ..rules import wire_errors
from ..text import fold, nfc
from .models import VILLAGE_KINDS, Commune, Village

if TYPE_CHECKING:
    import vietnam_provinces as vp


def _registry():
    """Return the official list of provinces and communes, imported on first use.

    Its tables take ~0.2 s to import: the field app's start does without them.
    """
    import vietnam_provinces

    return vietnam_provinces

# Folded name prefixes that tell a village's kind when no kind is given.
KIND_PREFIXES = (
    ("tieu khu", "tieu_khu"),
    ("to dan pho", "to_dan_pho"),
    ("tdp", "to_dan_pho"),
    ("ban", "ban"),
    ("thon", "thon"),
    ("ap", "ap"),
)
MAX_HOUSEHOLDS = 100_000


def provinces() -> list[vp.Province]:
    """Return the 34 provinces after the 2025 reform, by name."""
    return sorted(_registry().Province.iter_all(), key=lambda p: fold(p.name))


def _bare_name(name: str) -> str:
    """Return the folded name without its type word: "Xã Mường La" -> "muong la"."""
    folded = fold(name)
    for prefix in ("thanh pho ", "dac khu ", "phuong ", "xa "):
        if folded.startswith(prefix):
            return folded[len(prefix):]
    return folded


def search_communes(query: str, province_code: int | None = None, limit: int = 30) -> list:
    """Return communes whose name matches `query`, diacritics ignored, best first.

    "muong la" ranks "Xã Mường La" before "Xã Mường Lai" and never after
    "Chiềng La": a whole-name match beats a prefix, a prefix beats a part.
    """
    wanted = fold(query)
    ranked = []
    for ward in _registry().Ward.iter_all():
        if province_code is not None and int(ward.province_code) != province_code:
            continue
        bare = _bare_name(ward.name)
        if not wanted:
            rank = 3
        elif bare == wanted:
            rank = 0
        elif bare.startswith(wanted + " ") or bare.startswith(wanted):
            rank = 1
        elif all(word in bare.split() for word in wanted.split()):
            rank = 2
        elif wanted in fold(ward.name):
            rank = 3
        else:
            continue
        ranked.append((rank, bare, ward))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [ward for _rank, _bare, ward in ranked[:limit]]


def get_village(village_id) -> Village:
    """Return the village with this id or raise NotFound."""
    return get_record(Village, village_id, _("Không tìm thấy bản/thôn này."))


def current_commune() -> Commune | None:
    """Return the commune this installation serves, or None before set-up."""
    return db.session.execute(db.select(Commune).limit(1)).scalar_one_or_none()


@lru_cache(maxsize=4096)
def commune_label(ward_code: int) -> str:
    """Return "Xã Mường La (Sơn La)" for an official commune code, or the code itself
    (the official list is the package's: looked up once a process)."""
    try:
        vp = _registry()
        ward = vp.Ward.from_code(ward_code)
        province = vp.Province.from_code(ward.province_code)
    except (ValueError, KeyError, TypeError):
        return str(ward_code)
    return f"{ward.name} ({province.name.removeprefix('Tỉnh ').removeprefix('Thành phố ')})"


def place_name(ward_code: int) -> str | None:
    """Return the commune's bare name for the place line of a paper ("Mường La, ngày …"),
    None for a code the official list does not have."""
    label = commune_label(ward_code)
    if label == str(ward_code):
        return None
    name = label.split(" (")[0]
    for kind in ("Xã ", "Phường ", "Thị trấn ", "Đặc khu "):
        name = name.removeprefix(kind)
    return name


@lru_cache(maxsize=4096)
def province_of(ward_code: int) -> str | None:
    """Return the full name of a commune's province ("Tỉnh Sơn La", "Thành phố Hà Nội"),
    None for a code the official list does not have."""
    try:
        vp = _registry()
        province = vp.Province.from_code(vp.Ward.from_code(ward_code).province_code)
    except (ValueError, KeyError, TypeError):
        return None
    if province.name.startswith(("Tỉnh ", "Thành phố ")):
        return province.name
    return f"Tỉnh {province.name}"


def issuing_body(ward_code: int) -> tuple[str, str]:
    """Return the two lines that head a paper of the commune's committee (Nghị định
    30/2020): its parent abbreviated, then itself in full: ("UBND TỈNH SƠN LA", "ỦY BAN
    NHÂN DÂN XÃ MƯỜNG LA"). The parent is "" for a code the official list does not have."""
    name = commune_label(ward_code).split(" (")[0]
    province = province_of(ward_code)
    body = _("Ủy ban nhân dân %(commune)s", commune=name[:1].lower() + name[1:]).upper()
    return (_("UBND %(province)s", province=province).upper() if province else ""), body


def find_commune(typed: str) -> int:
    """Return the code of the one commune `typed` names (a code, or a name, diacritics optional).

    A name several communes share is refused with the candidates listed, so an
    office never issues a code for the wrong commune by accident.
    """
    typed = (typed or "").strip()
    if typed.isdigit() and commune_label(int(typed)) != typed:
        return int(typed)
    found = search_communes(typed, limit=8) if typed else []
    exact = [ward for ward in found if _bare_name(ward.name) == _bare_name(typed)]
    if len(exact) == 1 or len(found) == 1:
        return int((exact or found)[0].code)
    if not found:
        raise ValidationFailed(_("Không tìm thấy xã nào tên như vậy; hãy nhập tên hoặc mã xã."))
    raise ValidationFailed(_("Nhiều xã khớp với “%(typed)s”: %(names)s. Hãy nhập mã xã.",
                             typed=typed, names="; ".join(
                                 f"{commune_label(int(w.code))} – {int(w.code)}" for w in found)))


def choose_commune(ward_code: int) -> Commune:
    """Record the commune this laptop serves (first-run set-up)."""
    vp = _registry()
    try:
        ward = vp.Ward.from_code(ward_code)
    except (ValueError, KeyError, TypeError):
        ward = None
    if ward is None:
        raise ValidationFailed(_("Không có xã/phường này trong danh mục."),
                               {"commune": _("Hãy chọn xã/phường trong danh sách.")})
    existing = current_commune()
    if existing is not None:
        if existing.code == int(ward.code):
            return existing
        if existing.villages:
            raise ValidationFailed(_("Máy này đã được cài đặt cho %(name)s.", name=existing.name))
        db.session.delete(existing)
        db.session.flush()
    province = vp.Province.from_code(ward.province_code)
    commune = Commune(code=int(ward.code), name=ward.name,
                      province_code=int(province.code), province_name=province.name)
    db.session.add(commune)
    db.session.flush()
    return commune


def guess_kind(name: str) -> str:
    """Return the village kind its name starts with, "ban" if none."""
    folded = fold(name)
    for prefix, kind in KIND_PREFIXES:
        if folded == prefix or folded.startswith(prefix + " "):
            return kind
    return "ban"


# A whole number with its thousands grouped by dots or commas, as spreadsheets save it.
THOUSANDS = re.compile(r"^\d{1,3}([.,]\d{3})+$")


def _parse_households(raw, errors: dict, key: str = "households") -> int | None:
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    if THOUSANDS.match(text):  # "1.200" as Vietnamese Excel writes 1200 ("1,200" in English)
        text = text.replace(".", "").replace(",", "")
    try:
        value = int(text)
    except ValueError:
        errors[key] = _("Số hộ phải là số nguyên.")
        return None
    if not 0 <= value <= MAX_HOUSEHOLDS:
        errors[key] = _("Số hộ phải từ 0 đến %(max)d.", max=MAX_HOUSEHOLDS)
        return None
    return value


def check_village(commune: Commune, name: str | None, kind: str | None, households,
                  village: Village | None = None) -> dict:
    """Return the cleaned village fields; raise ValidationFailed on bad input."""
    errors: dict[str, str] = {}
    name = nfc(name) or ""
    if not name:
        errors["name"] = _("Hãy nhập tên bản/thôn.")
    else:
        errors.update(wire_errors("village", {"name": name}))
    kind = kind or guess_kind(name)
    if kind not in VILLAGE_KINDS:
        errors["kind"] = _("Loại đơn vị không hợp lệ.")
    count = _parse_households(households, errors)
    if name and "name" not in errors:
        clash = db.session.execute(
            db.select(Village).where(Village.commune_code == commune.code,
                                     Village.name_folded == fold(name))
        ).scalar_one_or_none()
        if clash is not None and clash is not village:
            errors["name"] = _("Đã có %(name)s trong danh sách.", name=clash.name)
    if errors:
        raise ValidationFailed(_("Thông tin bản/thôn chưa hợp lệ."), errors)
    return {"name": name, "name_folded": fold(name), "kind": kind, "households": count}


def add_village(commune: Commune, name: str | None, kind: str | None = None,
                households=None, village_id=None) -> Village:
    """Add a village to the commune."""
    fields = check_village(commune, name, kind, households)
    village = Village(commune_code=commune.code, **fields)
    if village_id is not None:
        village.id = village_id
    db.session.add(village)
    db.session.flush()
    return village


def update_village(village: Village, name: str | None, kind: str | None, households) -> Village:
    """Change a village's name, kind or households."""
    fields = check_village(village.commune, name, kind, households, village=village)
    for key, value in fields.items():
        setattr(village, key, value)
    db.session.flush()
    return village


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


HEADER_ALIASES = {
    "name": ("name", "ten", "ten ban", "ten thon", "ten ban/thon", "ban/thon"),
    "kind": ("kind", "loai", "loai don vi"),
    "households": ("households", "so ho", "ho"),
}


def _header_map(row: list[str]) -> dict[str, int] | None:
    """Map our column names to positions if `row` is a header row."""
    mapping = {}
    for index, cell in enumerate(row):
        for key, aliases in HEADER_ALIASES.items():
            if fold(cell) in aliases:
                mapping[key] = index
    return mapping if "name" in mapping else None


def import_villages_csv(commune: Commune, data: bytes | str) -> ImportResult:
    """Import villages from CSV (name[, kind][, households]); all or nothing.

    A header row is optional. Villages already listed are skipped, not
    doubled. Any bad row rejects the whole file with each line's problem.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(
                _("Tệp CSV phải ở dạng UTF-8 (trong Excel: Lưu thành \"CSV UTF-8\").")
            ) from None
    else:
        text = data
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]
    if not rows:
        raise ValidationFailed(_("Tệp CSV không có dòng nào."))
    columns = _header_map(rows[0])
    start = 1
    if columns is None:
        columns, start = {"name": 0, "households": 1}, 0
    kind_names = {fold(k): k for k in VILLAGE_KINDS}
    # Villages already listed, and those met earlier in the file, are skipped.
    result, errors, seen = ImportResult(), {}, _existing_names(commune)
    pending = []
    for line_no, row in enumerate(rows[start:], start=start + 1):
        def cell(key, row=row):
            index = columns.get(key)
            return row[index].strip() if index is not None and index < len(row) else ""

        name = nfc(cell("name"))
        folded = fold(name)
        if folded and folded in seen:
            result.skipped.append(name)
            continue
        raw_kind = cell("kind")
        kind = kind_names.get(fold(raw_kind).replace(" ", "_")) if raw_kind else None
        if raw_kind and kind is None:
            errors[f"line {line_no}"] = _("Dòng %(n)d: loại \"%(kind)s\" không hợp lệ.",
                                          n=line_no, kind=raw_kind)
            continue
        try:
            fields = check_village(commune, name, kind, cell("households"))
        except ValidationFailed as exc:
            problems = "; ".join(exc.details.values())
            errors[f"line {line_no}"] = _("Dòng %(n)d: %(problems)s", n=line_no,
                                          problems=problems)
            continue
        seen.add(folded)
        pending.append(fields)
    if errors:
        raise ValidationFailed(_("Chưa nhập tệp: có %(n)d dòng lỗi, hãy sửa rồi nhập lại.",
                                 n=len(errors)), errors)
    for fields in pending:
        db.session.add(Village(commune_code=commune.code, **fields))
        result.added.append(fields["name"])
    db.session.flush()
    return result


def _existing_names(commune: Commune) -> set[str]:
    return set(db.session.execute(
        db.select(Village.name_folded).where(Village.commune_code == commune.code)
    ).scalars())


def offered_villages(commune: Commune | None = None) -> list[Village]:
    """Return the villages a new forum or opinion may go to.

    A village the office merged into one this laptop holds is no longer
    offered (new records go to the kept one); merged into one it does not
    hold, it stays: the office counts its records under the kept one anyway.
    """
    found = villages(commune)
    held = {village.id for village in found}
    return [village for village in found
            if village.merged_into is None or village.merged_into not in held]


def kept_village_id(village_id: uuid.UUID | None) -> uuid.UUID | None:
    """Return the village a new record goes to: the one the office kept, if held here."""
    village = db.session.get(Village, village_id) if village_id is not None else None
    if village is None or village.merged_into is None:
        return village_id
    return village.merged_into if db.session.get(Village, village.merged_into) else village_id


def villages(commune: Commune | None = None) -> list[Village]:
    """Return the commune's villages by name."""
    commune = commune or current_commune()
    if commune is None:
        return []
    return list(db.session.execute(
        db.select(Village).where(Village.commune_code == commune.code)
        .order_by(Village.name_folded)
    ).scalars())
