"""Fixtures of the service tests."""

from tests.supervision import city, fast_hashes  # noqa: F401  (graded archive, pools, staff)
