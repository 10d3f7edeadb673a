"""The OpenAPI document of the office API (filled in by the office API work)."""

from __future__ import annotations

from typing import Any


def office_openapi() -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "Lắng Nghe office API", "version": "1"},
            "paths": {}}
