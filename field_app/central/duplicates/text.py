"""Cut an opinion into terms and score two opinions: plain Python, no database.

Vietnamese writes one syllable per space-separated token and most words are two
syllables ("sạt lở", "chiếu sáng", "bảo hiểm"), so the terms are the folded
syllables and the pairs of neighbouring syllables once the petition's boilerplate
("đề nghị", "bà con", "của", "bị"…) is dropped. Folding (sync.text.fold) makes
"duong vao ban bi sat lo" and "Đường vào bản bị sạt lở" the same terms.

Each term weighs its rarity in the commune (inverse document frequency); the score
is the weighted cosine of the two term sets, plus a little for the same category.
Two road complaints share "đường", "vào bản" — common words that weigh little —
but not "sạt lở" against "đèn chiếu sáng": they stay apart.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from sync.text import fold

# A pair scoring this or more is a likely duplicate (tests/test_duplicates.py measures
# precision and recall on tests/data/duplicates_vi.json with it).
THRESHOLD = 0.20
CATEGORY_WEIGHT = 0.12
# Pairs weigh a little more than single syllables: "sạt lở" says more than "lở".
PAIR_WEIGHT = 1.3
MAX_TERMS = 80  # a long letter: its first words say what it is about

# Typed shorthand of the no-diacritics keyboard, folded.
SHORTHAND = {"ko": "khong", "k": "khong", "kg": "khong", "hok": "khong", "khg": "khong",
             "dc": "duoc", "ng": "nguoi", "nc": "nuoc", "j": "gi", "vs": "voi",
             "bhyt": "bao hiem y te", "gcn": "giay chung nhan", "qsdd": "quyen su dung dat",
             "hs": "hoc sinh", "gv": "giao vien"}

# One name for what villages call by several (folded word or pair -> the name kept):
# the officer's vocabulary, not this test set's.
SYNONYMS = {("den", "bu"): ("boi", "thuong"), ("so", "do"): ("so", "do"),
            ("giay", "chung"): ("so", "do"), ("chung", "nhan"): ("so", "do"),
            ("heo",): ("lon",), ("vacxin",): ("vac", "xin"), ("vaccine",): ("vac", "xin"),
            ("hu", "hong"): ("hong",), ("xuong", "cap"): ("hong",), ("hu",): ("hong",),
            ("dien", "ap"): ("dien",), ("cap", "nuoc"): ("nuoc",), ("dot", "nat"): ("dot",),
            ("sat", "vo"): ("vo",), ("sut", "lun"): ("sat", "lo"), ("lo", "dat"): ("sat", "lo"),
            ("truong", "hoc"): ("truong",), ("lop", "hoc"): ("phong", "hoc")}

# Grammar and petition boilerplate: said in every opinion, about nothing in particular.
STOP_SYLLABLES = frozenset("""
a ah ai anh bi ca cac cai can cho chu chua chi co con cu cua cung dang day de
di do du duoc gi gio hay het hien hoac khi khong kia la lai lam len luc ma moi
mot muon nay neu nhe nhieu nhu nhung nua o oi qua ra rang rat roi sao se ta tai
theo thi thuc toi trong tu tung va van vao ve vi voi vua xin xong
""".split()) - {"den"}  # "đèn" (lamp) folds like "đến" (to): too useful to drop
STOP_PAIRS = frozenset(tuple(pair.split()) for pair in """
de nghi|kien nghi|phan anh|y kien|nguoi dan|nhan dan|ba con|ho dan|gia dinh|chinh quyen
|cac cap|cap tren|xem xet|giai quyet|quan tam|som|hien nay|lau nay|tu lau|nhieu nam
|dia phuong|uy ban|ubnd xa|xa som|khan truong|kip thoi|dong bao|thoi gian|trong khi
|bao gio|the nao|nhu the|bao nhieu|cu tri|dan ban|dan thon|cho dan|de dan|tao dieu|dieu kien
|dong chi|lanh dao|can bo|nguoi ta|sinh song|khu vuc|tren dia|dia ban
""".replace("\n", "").split("|"))

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Terms:
    """An opinion's terms, and the words it wrote them with (for the reasons shown)."""

    terms: frozenset[str]
    written: Mapping[str, str]  # folded term -> as first written ("sạt lở")
    # The syllables kept, in order, (folded, as written): to quote the shared phrases.
    sequence: tuple[tuple[str, str], ...] = ()


def _syllables(text: str) -> list[tuple[str, str]]:
    """Return (folded, as written) for each syllable, shorthand expanded."""
    text = unicodedata.normalize("NFC", text or "")
    words = _WORD.findall(text)
    # Folding the whole text at once is what makes scoring 40 candidates cheap; word by
    # word only when folding moved a word boundary (a mark of another script).
    folded_words = _WORD.findall(fold(text))
    if len(folded_words) != len(words):
        folded_words = [fold(word) for word in words]
    out = []
    for word, folded in zip(words, folded_words, strict=True):
        if not folded or folded.isdigit() and len(folded) > 6:
            continue
        for part in SHORTHAND.get(folded, folded).split():
            out.append((part, word.lower()))
    return out


def _canonical(syllables: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Replace synonyms by the one name kept (the words as written stay for the reasons)."""
    out: list[tuple[str, str]] = []
    index = 0
    while index < len(syllables):
        pair = tuple(s for s, _ in syllables[index:index + 2])
        if len(pair) == 2 and pair in SYNONYMS:
            written = " ".join(w for _, w in syllables[index:index + 2])
            out += [(part, written) for part in SYNONYMS[pair]]
            index += 2
            continue
        single = SYNONYMS.get(pair[:1])
        out += ([(part, syllables[index][1]) for part in single] if single
                else [syllables[index]])
        index += 1
    return out


def terms_of(content: str, limit: int = MAX_TERMS) -> Terms:
    """Return the terms of an opinion's text: content syllables and neighbouring pairs."""
    syllables = _canonical(_syllables(content))
    kept: list[tuple[str, str]] = []
    skip = False
    for index, (folded, word) in enumerate(syllables):
        if skip:
            skip = False
            continue
        following = syllables[index + 1][0] if index + 1 < len(syllables) else None
        if following is not None and (folded, following) in STOP_PAIRS:
            skip = True
            continue
        if folded in STOP_SYLLABLES or len(folded) == 1 and not folded.isdigit():
            continue
        kept.append((folded, word))
    written: dict[str, str] = {}
    for folded, word in kept:
        written.setdefault(folded, word)
    for (first, word1), (second, word2) in zip(kept, kept[1:], strict=False):
        written.setdefault(f"{first} {second}", f"{word1} {word2}")
    chosen = dict(list(written.items())[:limit])
    return Terms(frozenset(chosen), chosen, tuple(kept))


def weight(term: str, counts: Mapping[str, int], opinions: int) -> float:
    """Return how much a term says: rare in the commune weighs more; a pair a little more."""
    seen = max(1, counts.get(term, 1))
    idf = math.log((opinions + 1) / seen) + 1.0
    return idf * (PAIR_WEIGHT if " " in term else 1.0)


@dataclass(frozen=True)
class Match:
    """How alike two opinions are, and why."""

    score: float
    shared: tuple[str, ...]  # folded terms, most telling first
    same_category: bool


def compare(mine: frozenset[str], theirs: frozenset[str], same_category: bool,
            counts: Mapping[str, int], opinions: int, cache: dict | None = None) -> Match:
    """Score two term sets: weighted cosine, plus a little for the same category.

    `cache` keeps the weights of one opinion's comparisons (same counts throughout).
    """
    if not mine or not theirs:
        return Match(0.0, (), same_category)
    if cache is None:
        cache = {}
    for term in mine | theirs:
        if term not in cache:
            cache[term] = weight(term, counts, opinions)
    weights = cache
    shared = mine & theirs
    top = sum(weights[term] ** 2 for term in shared)
    norm = math.sqrt(sum(weights[t] ** 2 for t in mine) * sum(weights[t] ** 2 for t in theirs))
    cosine = top / norm if norm else 0.0
    # The category alone never makes a duplicate: it only helps words that already agree.
    score = cosine + (CATEGORY_WEIGHT * min(1.0, cosine * 3) if same_category else 0.0)
    order = sorted(shared, key=lambda term: (-weights[term], term))
    return Match(round(min(1.0, score), 4), tuple(order), same_category)


def telling_words(match: Match, mine: Terms, limit: int = 4) -> list[str]:
    """Return the phrases of `mine` the other opinion shares, as written, longest first:
    runs of neighbouring shared syllables ("sạt lở đoạn gần suối")."""
    shared = set(match.shared)
    sequence = mine.sequence
    runs: list[list[tuple[str, str]]] = [[]]
    for index, (folded, word) in enumerate(sequence):
        before = index > 0 and f"{sequence[index - 1][0]} {folded}" in shared
        after = index + 1 < len(sequence) and f"{folded} {sequence[index + 1][0]}" in shared
        if folded in shared or before or after:
            runs[-1].append((folded, word))
        elif runs[-1]:
            runs.append([])
    shown: list[str] = []
    seen: set[str] = set()
    for run in sorted((run for run in runs if run), key=lambda run: -len(run)):
        key = " ".join(folded for folded, _ in run)
        if key in seen:
            continue
        seen.add(key)
        shown.append(" ".join(word for _, word in run))
        if len(shown) == limit:
            break
    return shown
