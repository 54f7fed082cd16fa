"""Conditional GET for lists and feeds: an ETag from the body, so a client (or a mirror) that
already has the current version gets ``304 Not Modified`` and no body. The body is the truth,
so the tag can never be stale, whatever changed (a publication, a removal, an expiry at
midnight, a corrected name)."""

from __future__ import annotations

from flask import Response, request


def conditional(response: Response) -> Response:
    response.add_etag()
    return response.make_conditional(request)
