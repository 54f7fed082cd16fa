"""The open-data API (``/api/v1``): JSON, UTF-8, GET only, CORS for everyone.

Paths and fields are a contract (docs/portal.md): add, never rename or remove. Everything comes
from the public read model (registration facts through the search service, live listings and
the change feed through ``credit.services.disclosure``); errors are
``{"error": {"code", "message"}}`` with a 4xx status, never a traceback.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import force_locale

from credit.extensions import limiter
from credit.industries import industry_name
from credit.services import disclosure
from credit.services.search import find_enterprise, search_enterprises
from credit.uscc import is_valid_uscc
from credit.workflows.errors import InvalidInput
from portal import params
from portal.caching import conditional
from portal.present import enterprise_json, iso, reason_label, record_type_label

bp = Blueprint("api", __name__, url_prefix="/api/v1")

API_LOCALE = "zh_Hans_CN"  # labels in the API are Chinese whatever the visitor's page language


def api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(api_limit)(bp)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


@bp.errorhandler(params.BadParameter)
def _bad_parameter(exc: params.BadParameter):
    return error_response(400, exc.code, str(exc))


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message)


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Expose-Headers"] = (
        "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset")
    response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


def _page_of(items: list[Any], page: int, per_page: int, has_next: bool,
             endpoint: str, **args: Any) -> dict[str, Any]:
    link = None
    if has_next:
        query = {k: v for k, v in args.items() if v not in (None, "")}
        link = url_for(endpoint, page=page + 1, per_page=per_page, _external=True, **query)
    return {"items": items, "page": page, "per_page": per_page, "next": link}


def _json(data: Any) -> Response:
    return conditional(jsonify(data))


PAGING = {"page": (params.page, 1), "per_page": (params.per_page, params.DEFAULT_PER_PAGE)}


@bp.get("/search")
def search():
    args = params.parse(request.args, {"q": (params.query, ""), "district": (params.district, None),
                                       **PAGING}, strict=True)
    if not args["q"]:
        raise params.BadParameter("q", "is required: a name fragment (2 characters or more), "
                                       "pinyin, initials or the beginning of a USCC")
    try:
        result = search_enterprises(args["q"], district=args["district"], page=args["page"],
                                    per_page=args["per_page"])
    except InvalidInput as exc:
        raise params.BadParameter("q", str(exc)) from None
    listings = disclosure.listings_of_found(result.by_id())
    with force_locale(API_LOCALE):
        items = [enterprise_json(item, listings[item.uscc]) for item in result.items]
    return _json(_page_of(items, result.page, result.per_page, result.has_next, "api.search",
                          q=args["q"], district=args["district"]))


@bp.get("/enterprises/<uscc>")
def enterprise(uscc: str):
    params.parse(request.args, {}, strict=True)
    if not is_valid_uscc(uscc):
        raise ApiError(404, "not_found", f"no enterprise with USCC {uscc!r}")
    facts = find_enterprise(uscc)
    if facts is None:
        raise ApiError(404, "not_found", f"no enterprise with USCC {uscc!r}")
    with force_locale(API_LOCALE):
        data = enterprise_json(facts, disclosure.listing_for(facts.uscc))
    return _json(data)


LISTING_ARGS = {"kind": (params.kind, None), "district": (params.district, None),
                "industry": (params.industry, None)}


@bp.get("/listings")
def listings():
    args = params.parse(request.args, {**LISTING_ARGS, **PAGING}, strict=True)
    if args["kind"] is None:
        raise params.BadParameter("kind", "is required: A or D")
    per_page, page = args["per_page"], args["page"]
    rows = disclosure.listed_enterprises(args["kind"], district=args["district"],
                                         industry=args["industry"], limit=per_page + 1,
                                         offset=(page - 1) * per_page)
    with force_locale(API_LOCALE):
        items = [enterprise_json(row, row.listings) for row in rows[:per_page]]
    return _json(_page_of(items, page, per_page, len(rows) > per_page, "api.listings",
                          kind=args["kind"], district=args["district"],
                          industry=args["industry"]))


@bp.get("/changes")
def changes():
    args = params.parse(request.args, {"since": (params.since, None), **PAGING}, strict=True)
    per_page, page = args["per_page"], args["page"]
    rows = disclosure.change_page(args["since"], limit=per_page + 1,
                                  offset=(page - 1) * per_page)
    items = [{"uscc": c.uscc, "kind": c.kind, "change": c.change, "at": iso(c.at),
              "feed_at": iso(c.feed_at)} for c in rows[:per_page]]
    since = request.args.get("since") or None
    return _json(_page_of(items, page, per_page, len(rows) > per_page, "api.changes",
                          since=since))


CSV_COLUMNS = ("uscc", "name", "district", "industry", "industry_name", "established_on",
               "address", "kind", "published_on", "expires_on", "decision_no", "reasons",
               "records", "summary", "certificate_url")


@bp.get("/listings.csv")
def listings_csv():
    args = params.parse(request.args, {"kind": (params.kind, None)}, strict=True)
    kind = args["kind"]
    if kind is None:
        raise params.BadParameter("kind", "is required: A or D")
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark, so that Excel reads UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    with force_locale(API_LOCALE):
        for row in disclosure.iter_listed(kind):
            # one row per live listing: an enterprise may have several D listings
            for listing in (item for item in row.listings if item.kind == kind):
                writer.writerow([
                    row.uscc, row.name, row.district, row.industry or "",
                    industry_name(row.industry) or "", iso(row.established_on),
                    row.address or "", kind, iso(listing.published_on),
                    iso(listing.expires_on), listing.decision_no or "",
                    "；".join(f"{c} {reason_label(c)}" for c in listing.reasons),
                    "；".join(f"{record_type_label(r.type)} {iso(r.date)} {r.ref}"
                             for r in listing.records),
                    listing.summary or "",
                    url_for("portal.certificate", token=listing.certificate_token,
                            _external=True) if listing.certificate_token else "",
                ])
    response = Response(out.getvalue().encode("utf-8"), mimetype="text/csv")
    response.charset = "utf-8"
    filename = "a-list.csv" if kind == "A" else "d-list.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return conditional(response)


@bp.get("/openapi.json")
def openapi():
    from portal.openapi import document

    params.parse(request.args, {}, strict=True)
    return _json(document(request.host_url.rstrip("/")))
