"""URLs of the test PostgreSQL server: its libpq ``options``, and a schema of their own.

Every test connection carries :data:`TEST_OPTIONS`: a commit is then acknowledged without
waiting for the server's disk (``synchronous_commit=off``). Statements, locks, transactions
and what other connections see are unchanged; only a crash of the PostgreSQL server itself
could lose the last commits, and no test crashes it (an outage refuses a role's logins and
ends its connections; a killed service is a client). On this kind of machine a commit that
waits for the disk takes about a millisecond, most of the PostgreSQL tests' time.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url

TEST_OPTIONS = "-csynchronous_commit=off"
SEARCH_PATH_OPTION = "-csearch_path="
_SEARCH_PATH = re.compile(r"(?:^|\s)-csearch_path=(\S+)")


def _options(url: str) -> str:
    options = make_url(url).query.get("options", "")
    return options if isinstance(options, str) else " ".join(options)


def with_test_options(url: str) -> str:
    """``url`` with :data:`TEST_OPTIONS` before any options it has."""
    options = " ".join(o for o in (TEST_OPTIONS, _options(url)) if o)
    return (
        make_url(url).update_query_dict({"options": options}).render_as_string(hide_password=False)
    )


def in_schema(url: str, schema: str) -> str:
    """``url`` whose connections see ``schema`` first (last of its options, as the store's
    backup commands read it)."""
    kept = " ".join(o for o in _options(url).split() if not o.startswith(SEARCH_PATH_OPTION))
    options = " ".join(o for o in (kept, f"{SEARCH_PATH_OPTION}{schema}") if o)
    return (
        make_url(url).update_query_dict({"options": options}).render_as_string(hide_password=False)
    )


def schema_of(url: str) -> str | None:
    """The schema a URL made by :func:`in_schema` puts first, or None."""
    found = _SEARCH_PATH.search(_options(url))
    return found.group(1) if found else None
