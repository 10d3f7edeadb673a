"""The cases part of the office API (/central/api/v1/cases), on the `central_api` blueprint."""

from __future__ import annotations

from flask import request
from marshmallow import RAISE

from ...api.openapi import doc
from ...api.views import json_body
from ...extensions import db
from ..accounts.logic import office_account
from ..accounts.permissions import require
from ..api.views import api
from . import logic
from .schemas import (
    answer_schema,
    assign_schema,
    case_list_schema,
    case_query_schema,
    case_schema,
    opinion_ids_schema,
    split_result_schema,
    status_schema,
)


def _done(case, status: int = 200):
    """Commit once, then answer the case as it is stored."""
    db.session.commit()
    return logic.as_json(case, office_account()), status


@api.get("/v1/cases")
@doc("cases", query=case_query_schema, responses={200: case_list_schema}, errors=(422,))
@require("inbox.view")
def cases():
    """List the cases the account may see by due date; `overdue=true`: open ones past due.

    A unit handler sees its unit's cases only.
    """
    account = office_account()
    args = case_query_schema.load(dict(request.args), unknown=RAISE)
    rows = logic.list_cases(account, overdue=args.get("overdue", False),
                            unit=args.get("unit"), status=args.get("status"),
                            commune=args.get("commune"))
    return {"items": [logic.as_json(row.case, account) for row in rows]}


@api.post("/v1/cases")
@doc("cases", body=opinion_ids_schema, responses={201: case_schema},
     errors=(400, 404, 415, 422))
@require("cases.manage")
def merge():
    """Merge opinions (the laptops' ids) into a new case; 403 if any is of another commune."""
    data = opinion_ids_schema.load(json_body())
    return _done(logic.merge(office_account(), data["opinion_ids"], data.get("reason")), 201)


@api.get("/v1/cases/<int:case_id>")
@doc("cases", responses={200: case_schema}, errors=(404,))
@require("inbox.view")
def case(case_id: int):
    """Show one case: its workflow, answer, lateness and member opinions."""
    account = office_account()
    return logic.as_json(logic.get_case(account, case_id), account)


@api.post("/v1/cases/<int:case_id>/opinions")
@doc("cases", body=opinion_ids_schema, responses={200: case_schema},
     errors=(400, 404, 415, 422))
@require("cases.manage")
def add(case_id: int):
    """Add opinions to a case: they take its workflow and its answer."""
    data = opinion_ids_schema.load(json_body())
    return _done(logic.add_to_case(office_account(), case_id, data["opinion_ids"],
                                   data.get("reason")))


@api.post("/v1/cases/<int:case_id>/split")
@doc("cases", body=opinion_ids_schema, responses={200: split_result_schema},
     errors=(400, 404, 415, 422))
@require("cases.manage")
def split(case_id: int):
    """Take opinions out of a case, each to a case of its own (keeping the workflow)."""
    account = office_account()
    data = opinion_ids_schema.load(json_body())
    made = logic.split(account, case_id, data["opinion_ids"], data.get("reason"))
    db.session.commit()
    return split_result_schema.dump({
        "case": logic.as_json(logic.get_case(account, case_id), account),
        "split_into": [logic.as_json(item, account) for item in made]})


@api.post("/v1/cases/<int:case_id>/assign")
@doc("cases", body=assign_schema, responses={200: case_schema},
     errors=(400, 404, 409, 415, 422))
@require("cases.manage")
def assign(case_id: int):
    """Send a case to a unit; the answer carries the due date the commune's rules give."""
    data = assign_schema.load(json_body())
    return _done(logic.assign(office_account(), case_id, data["unit_id"],
                              reason=data.get("reason")))


@api.post("/v1/cases/<int:case_id>/status")
@doc("cases", body=status_schema, responses={200: case_schema},
     errors=(400, 404, 409, 415, 422))
@require("cases.work")
def status(case_id: int):
    """Move a case along the workflow; 409 with the reason for a move it does not allow."""
    data = status_schema.load(json_body())
    return _done(logic.move(office_account(), case_id, data["status"], data.get("reason")))


@api.post("/v1/cases/<int:case_id>/answer")
@doc("cases", body=answer_schema, responses={200: case_schema},
     errors=(400, 404, 409, 415, 422))
@require("cases.work")
def answer(case_id: int):
    """Give the case's answer: every member opinion, and every laptop that sent one, gets it."""
    data = answer_schema.load(json_body())
    return _done(logic.answer(office_account(), case_id, data["text"], data["by"],
                              data.get("doc_number"), data.get("date")))
