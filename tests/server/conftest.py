"""The server tests use the API's world: two clients' data and the three personas."""

from tests.api.conftest import api, world  # noqa: F401  (fixtures, re-exported for these tests)
