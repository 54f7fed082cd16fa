"""The workflow tests' small city, for the portal's browser tests."""

from tests.workflows.conftest import _fast_password_hashes, world  # noqa: F401  (fixtures)
