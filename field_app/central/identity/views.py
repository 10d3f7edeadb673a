"""The denouncer's identity, shown on a deliberate request (audited), and the forwarding
slip a unit receives (identities redacted)."""

from __future__ import annotations

import uuid

from flask import make_response, render_template, request
from flask_babel import gettext as _

from ...api.openapi import doc
from ...areas.logic import issuing_body
from ...errors import ValidationFailed
from ...extensions import db
from .. import bp
from ..accounts.logic import office_account
from ..accounts.permissions import require
from ..api.views import api
from . import logic
from .schemas import identity_schema, slip_query_schema, slip_schema


def _private(response):
    # Never kept by the browser's cache nor a proxy's: the next person at this desk.
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/opinions/<uuid:record_id>/identity")
@require("identity.view")
def reveal_identity(record_id: uuid.UUID):
    """Show a denouncer's identity ("Hiện danh tính"); the look is written in the history."""
    account = office_account()
    identity = logic.reveal(account, record_id)
    db.session.commit()
    item = logic.inbox.get_opinion(account, record_id)
    return _private(render_template("central/identity.html", item=item, identity=identity))


@api.post("/v1/opinions/<uuid:record_id>/identity")
@doc("opinions", responses={200: identity_schema}, errors=(403, 404))
@require("identity.view")
def api_reveal_identity(record_id: uuid.UUID):
    """Show a denouncer's identity (tố cáo) to a role allowed to see it; each call is audited.

    Any other role gets 403; an opinion with no protected identity 404.
    """
    identity = logic.reveal(office_account(), record_id)
    db.session.commit()
    return _private(identity_schema.dump(identity))


def _slip_request() -> tuple[int | None, list[uuid.UUID]]:
    try:
        unit = int(request.args["unit"]) if request.args.get("unit") else None
        ids = [uuid.UUID(value) for value in request.args.getlist("opinion") if value.strip()]
    except ValueError:
        raise ValidationFailed(_("Mã đơn vị hoặc mã ý kiến không hợp lệ."),
                               {"fields": {"unit": ["invalid"], "opinion": ["invalid"]}}
                               ) from None
    return unit, ids


@bp.get("/forwarding-slip")
@require("opinion.edit")
def forwarding_slip():
    """Print the forwarding slip (phiếu chuyển) of opinions to a unit, identities redacted.

    `?unit=ID&opinion=UUID&opinion=UUID…` (the case workflow links here).
    """
    unit, ids = _slip_request()
    slip = logic.forwarding_slip(office_account(), unit, ids)
    return _private(render_template("central/forwarding_slip.html", slip=slip,
                                    issuer=issuing_body(slip.commune_code)))


@api.get("/v1/forwarding-slip")
@doc("opinions", query=slip_query_schema, responses={200: slip_schema}, errors=(404, 422))
@require("opinion.edit")
def api_forwarding_slip():
    """Return the forwarding slip of opinions to a unit (`unit`, `opinion` repeated).

    A denouncer's identity is never on it; another citizen's name only for roles that may
    see names, a phone never.
    """
    unit, ids = _slip_request()
    slip = logic.forwarding_slip(office_account(), unit, ids)
    return slip_schema.dump({
        "unit": {"id": slip.unit.id, "name": slip.unit.name},
        "commune_code": slip.commune_code, "made_on": slip.made_on, "place": slip.place,
        "due_on": slip.due_on,
        "items": [{"id": line.opinion.id, "kind": line.opinion.kind, "village_name": line.village,
                   "received_on": line.opinion.received_on, "content": line.opinion.content,
                   "raiser_name": line.raiser, "identity_protected": line.protected}
                  for line in slip.lines]})
