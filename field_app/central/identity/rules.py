"""What is protected and how an anonymous tố cáo is handled: one place for both rules.

Kept free of Flask and of the database so the projection, the office and the
tests all read the same rule.
"""

from __future__ import annotations

from typing import Any

# The denouncer's identity: what the laptop may send of it. `raiser_address` is not on the
# wire's schema today; an older or newer laptop sending it is protected all the same.
PROTECTED = ("raiser_name", "raiser_phone", "raiser_gender", "raiser_address")
# The office_opinion columns that hold it for every other kind.
COLUMNS = ("raiser_name", "raiser_phone", "raiser_gender")


def is_protected(data: dict[str, Any] | None) -> bool:
    """Tell whether a record (as the wire holds it) is a tố cáo, whose identity is kept apart."""
    return data is not None and data.get("kind") == "denunciation"


def office_kind(data: dict[str, Any], identity: dict[str, Any] | None) -> tuple[str, bool]:
    """Return (the kind the office works it as, whether it is an anonymous tố cáo).

    A tố cáo without the denouncer's name (or marked anonymous) is not handled as
    one (Luật Tố cáo 2018, Art. 25): the office works it as a kiến nghị (petition:
    its deadline rule, its lists), and its content may still be looked into. The
    laptop's record keeps saying tố cáo; giving a name later makes it one again.
    """
    kind = data.get("kind") or "opinion"
    if kind != "denunciation":
        return kind, False
    named = bool((identity or {}).get("raiser_name")) and not data.get("anonymous")
    return ("denunciation", False) if named else ("petition", True)
