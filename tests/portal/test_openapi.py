"""The API against its own OpenAPI document: the document is valid OpenAPI 3.1, every path
of the contract is in it, and real answers (pages, objects, errors) match its schemas."""

from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import validate

from tests.portal.conftest import publish_a, publish_d

CONTRACT_PATHS = {"/search", "/enterprises/{uscc}", "/listings", "/changes", "/listings.csv",
                  "/openapi.json"}


@pytest.fixture
def document(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def check(document: dict, name: str, instance) -> None:
    """Validate ``instance`` against components/schemas/``name`` of the document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(instance)


def test_the_document_is_valid_openapi_and_covers_the_contract(document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == CONTRACT_PATHS
    assert document["servers"][0]["url"] == "http://localhost/api/v1"


def test_real_answers_match_the_schemas(client, db, world, document):
    publish_a(world)
    publish_d(db, world, summary=None)
    db.session.commit()
    for kind in ("A", "D"):
        page = client.get(f"/api/v1/listings?kind={kind}&per_page=1").get_json()
        assert page["items"]
        check(document, "EnterprisePage", page)
    check(document, "ChangePage", client.get("/api/v1/changes?per_page=1").get_json())
    for path in ("/api/v1/listings?kind=Q", "/api/v1/changes?since=soon",
                 "/api/v1/enterprises/1", "/api/v1/nowhere", "/api/v1/listings?x=1"):
        check(document, "Error", client.get(path).get_json())


def test_the_schemas_would_catch_a_leak(document):
    """A field outside the contract (say an internal grade) fails validation."""
    item = {"uscc": "91230800000000019K", "name": "x", "district": "向阳区",
            "established_on": "2012-05-20", "industry": None, "industry_name": None,
            "address": None, "url": "http://localhost/enterprises/91230800000000019K",
            "listings": []}
    check(document, "Enterprise", item)
    with pytest.raises(jsonschema.ValidationError):
        check(document, "Enterprise", {**item, "grade": "B"})
    with pytest.raises(jsonschema.ValidationError):
        check(document, "Listing", {"kind": "A", "published_on": "2026-10-15",
                                    "expires_on": "2027-10-15", "removal_reason": "expired"})


def test_the_docs_page_lists_every_path(client, db):
    page = client.get("/data/api").get_data(as_text=True)
    for path in CONTRACT_PATHS:
        assert f"GET {path}" in page
