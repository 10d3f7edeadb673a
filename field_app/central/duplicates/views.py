"""Likely duplicates on the office's pages (opinion page, inbox rows) and in its API."""

from __future__ import annotations

import uuid

from ...api.openapi import doc
from .. import bp
from ..accounts.logic import office_account
from ..accounts.permissions import require
from ..api.views import api
from ..inbox import logic as inbox
from . import logic
from .schemas import similar_list_schema


@api.get("/v1/opinions/<uuid:record_id>/similar")
@doc("opinions", responses={200: similar_list_schema}, errors=(404,))
@require("inbox.view")
def similar(record_id: uuid.UUID):
    """List an opinion's likely duplicates: best first, at most 10, each with its reasons.

    Only opinions over the app's threshold (none: an empty list), live, not already in
    the opinion's case, within the account's scope (a province account: other communes
    too); 404 for an opinion outside the scope.
    """
    account = office_account()
    item = inbox.get_opinion(account, record_id)
    found = logic.suggestions(account, item)
    return similar_list_schema.dump({"items": [
        {"id": s.id, "score": s.score, "reasons": s.reasons} for s in found]})


@bp.app_template_global("similar_to")
def similar_to(item) -> list[logic.Suggestion]:
    """Return the likely duplicates of the opinion shown, for the logged-in account."""
    return logic.suggestions(office_account(), item)
