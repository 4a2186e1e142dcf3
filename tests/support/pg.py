"""The PostGIS test database: one fresh schema per test, dropped afterwards.

The server is found at MAPNODE_TEST_PG_URL (default: the local trust-auth server that
scripts/ensure-postgres sets up). An unreachable server fails the test, never skips it.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import pytest

from mapnode.store.postgis import PostGISStore

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/mapnode_test"


def pg_url() -> str:
    return os.environ.get("MAPNODE_TEST_PG_URL", DEFAULT_URL)


def schema_url(url: str, schema: str) -> str:
    """`url` with a search_path option that puts `schema` first (libpq URI syntax)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema},public', safe='')}"


def _admin(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0]
    pytest.fail(f"PostgreSQL 测试库不可用：请运行 scripts/ensure-postgres / the PostgreSQL test "
                f"database is unreachable: run scripts/ensure-postgres ({url}: {reason})",
                pytrace=False)


@contextmanager
def pg_store() -> Iterator[PostGISStore]:
    """An initialised PostGISStore in a schema of its own, dropped when the block ends."""
    url = pg_url()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = _admin(url)
    try:
        with tempfile.TemporaryDirectory(prefix="mapnode-pg-") as data_dir:
            store = PostGISStore(schema_url(url, schema), data_dir=data_dir)
            try:
                store.initialise()
                yield store
            finally:
                store.close()
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()
