"""The OpenAPI 3.1 document of the open-data API (``/api/v1/openapi.json``).

Written by hand, next to the code it describes; ``tests/portal/test_openapi.py`` validates the
document and checks real answers against its schemas, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from credit.vocabulary import DISTRICTS
from portal.params import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY

DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
NULLABLE_STRING = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str, description: str, schema: dict, *, where: str = "query",
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema}


PAGE = _param("page", "Page number, from 1.", {"type": "integer", "minimum": 1,
                                                 "maximum": MAX_PAGE, "default": 1})
PER_PAGE = _param("per_page", "Items per page.", {"type": "integer", "minimum": 1,
                                                   "maximum": MAX_PER_PAGE, "default": 20})
DISTRICT = _param("district", "One of the 11 jurisdictions.",
                  {"type": "string", "enum": list(DISTRICTS)})
INDUSTRY = _param("industry", "GB/T 4754-2017 code prefix: section (C), division (C13) or "
                              "class (C1311).", {"type": "string", "pattern": "^[A-Ta-t][0-9]*$"})
KIND = _param("kind", "A: 守信企业公示; D: 严重失信企业名单.",
              {"type": "string", "enum": ["A", "D"]}, required=True)


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


ERRORS = {
    "400": _error("A bad parameter: not a positive number, unparseable, unknown, repeated."),
    "429": _error("Too many requests from this address; see Retry-After."),
}


def _ok(schema: dict, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}},
            "headers": {"ETag": {"schema": {"type": "string"},
                                 "description": "Send it back in If-None-Match: 304 when "
                                                "nothing changed."}}}


def _page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "next"],
        "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "next": {"type": ["string", "null"], "format": "uri",
                     "description": "The URL of the next page; null on the last page."},
        },
    }


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {"error": {
            "type": "object", "required": ["code", "message"], "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "enum": ["invalid_parameter", "unknown_parameter",
                                                    "not_found", "rate_limited", "internal_error",
                                                    "method_not_allowed"]},
                "message": {"type": "string"}}}},
    },
    "DisclosedRecord": {
        "type": "object",
        "required": ["type", "type_name", "date", "ref"],
        "additionalProperties": False,
        "properties": {"type": {"type": "string"}, "type_name": {"type": "string"},
                       "date": DATE, "ref": {"type": "string"}},
    },
    "Listing": {
        "type": "object",
        "description": "A live listing. A listings carry their certificate; D listings what "
                       "the publisher chose to disclose.",
        "required": ["kind", "published_on", "expires_on"],
        "additionalProperties": False,
        "properties": {
            "kind": {"type": "string", "enum": ["A", "D"]},
            "published_on": DATE,
            "expires_on": {**DATE, "description": "The first day it is no longer listed."},
            "certificate_url": {"type": "string", "format": "uri"},
            "verify_url": {"type": "string", "format": "uri"},
            "decision_no": NULLABLE_STRING,
            "reasons": {"type": "array", "items": {
                "type": "object", "required": ["code", "text"], "additionalProperties": False,
                "properties": {"code": {"type": "string"}, "text": {"type": "string"}}}},
            "records": {"type": "array", "items": _ref("DisclosedRecord")},
            "summary": NULLABLE_STRING,
        },
    },
    "Enterprise": {
        "type": "object",
        "description": "Registration facts and live listings; nothing else, for every "
                       "enterprise alike.",
        "required": ["uscc", "name", "district", "established_on", "industry", "industry_name",
                     "address", "url", "listings"],
        "additionalProperties": False,
        "properties": {
            "uscc": {"type": "string", "pattern": "^[0-9A-Z]{18}$"},
            "name": {"type": "string"},
            "district": {"type": "string", "enum": list(DISTRICTS)},
            "established_on": DATE,
            "industry": NULLABLE_STRING,
            "industry_name": NULLABLE_STRING,
            "address": NULLABLE_STRING,
            "url": {"type": "string", "format": "uri"},
            "listings": {"type": "array", "items": _ref("Listing")},
        },
    },
    "Change": {
        "type": "object",
        "required": ["uscc", "kind", "change", "at"],
        "additionalProperties": False,
        "properties": {
            "uscc": {"type": "string", "pattern": "^[0-9A-Z]{18}$"},
            "kind": {"type": "string", "enum": ["A", "D"]},
            "change": {"type": "string", "enum": ["published", "removed"]},
            "at": {"type": "string", "format": "date-time",
                   "description": "When the change took effect (an expiry: its day)."},
            "feed_at": {"type": "string", "format": "date-time",
                        "description": "Its place in the feed, only ever growing: pass the "
                                       "last one read as `since` to miss nothing."},
        },
    },
    "EnterprisePage": _page("Enterprise"),
    "ChangePage": _page("Change"),
}


def document(server: str = "") -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "佳木斯企业质量信用信息公示 open-data API",
            "version": "1.0.0",
            "description": (
                "Published listings of the Jiamusi City Market Supervision Administration "
                "(policy 佳市监发〔2020〕42号): A 守信企业公示 and D 严重失信企业名单, and the "
                "registration facts of every enterprise. Internal grades are never published. "
                "Dates are ISO 8601; date-times are UTC. Lists and feeds carry an ETag. "
                "Requests are rate-limited per address (429 with Retry-After)."),
            "license": {"name": "CC BY 4.0",
                        "url": "https://creativecommons.org/licenses/by/4.0/"},
        },
        "servers": [{"url": f"{server}/api/v1"}],
        "paths": {
            "/search": {"get": {
                "summary": "Search enterprises by name, pinyin, initials or USCC prefix",
                "operationId": "search",
                "parameters": [
                    _param("q", "2+ Chinese characters of the name, 2+ letters of its pinyin "
                                "or initials, or 6+ characters of the USCC.",
                           {"type": "string", "minLength": 1, "maxLength": MAX_QUERY},
                           required=True),
                    DISTRICT, PAGE, PER_PAGE],
                "responses": {"200": _ok(_ref("EnterprisePage")), **ERRORS}}},
            "/enterprises/{uscc}": {"get": {
                "summary": "One enterprise",
                "operationId": "enterprise",
                "parameters": [_param("uscc", "Unified social credit code.",
                                      {"type": "string"}, where="path", required=True)],
                "responses": {"200": _ok(_ref("Enterprise")),
                              "404": _error("No such enterprise, or a malformed USCC."),
                              **ERRORS}}},
            "/listings": {"get": {
                "summary": "Enterprises with a live listing of one kind, newest first",
                "operationId": "listings",
                "parameters": [KIND, DISTRICT, INDUSTRY, PAGE, PER_PAGE],
                "responses": {"200": _ok(_ref("EnterprisePage")), **ERRORS}}},
            "/changes": {"get": {
                "summary": "Publications and removals after a moment, oldest first",
                "description": "Mirrors follow this feed: a removal means the listing must "
                               "disappear from the mirror.",
                "operationId": "changes",
                "parameters": [
                    _param("since", "ISO 8601 date-time (UTC when it has no offset): the "
                                    "changes placed in the feed after it (`feed_at`).",
                           {"type": "string", "format": "date-time"}),
                    PAGE, PER_PAGE],
                "responses": {"200": _ok(_ref("ChangePage")), **ERRORS}}},
            "/listings.csv": {"get": {
                "summary": "The whole live list as CSV (UTF-8 with a byte-order mark)",
                "operationId": "listingsCsv",
                "parameters": [KIND],
                "responses": {"200": {"description": "CSV, one row per listed enterprise.",
                                      "content": {"text/csv": {"schema": {"type": "string"}}}},
                              **ERRORS}}},
            "/openapi.json": {"get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3.1",
                                      "content": {"application/json": {
                                          "schema": {"type": "object"}}}}}}},
        },
        "components": {"schemas": SCHEMAS},
    }
