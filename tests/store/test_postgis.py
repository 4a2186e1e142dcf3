"""What only the PostGIS store has: the schema chosen by the URL, clear errors for a missing
server, a missing extension or a lost connection, per-store writer locks, session settings and
the indexes that keep reads as of a past seq fast."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from mapnode.errors import StoreError
from mapnode.model import Actor, Changeset
from mapnode.store import open_store
from mapnode.store.postgis import PostGISStore
from tests.store import hz
from tests.support.pg import pg_store, pg_url, schema_url


@pytest.fixture
def pg() -> Iterator[PostGISStore]:
    with pg_store() as s:
        yield s


def _one(store: PostGISStore, sql: str) -> object:
    return store.conn().execute(sql).fetchone()[0]


def test_the_schema_comes_from_the_url(pg: PostGISStore, system: Actor) -> None:
    schema = _one(pg, "SELECT current_schema()")
    assert isinstance(schema, str) and schema.startswith("t_")  # made by initialise
    tables = pg.conn().execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        [schema]).fetchall()
    assert {"meta", "layers", "changesets", "log", "versions"} <= {t[0] for t in tables}
    other = f"t_{uuid.uuid4().hex[:16]}"
    sep = "&" if "?" in pg_url() else "?"
    second = open_store(f"{pg_url()}{sep}schema={other}")
    try:
        assert _one(second, "SELECT current_schema()") == other  # type: ignore[arg-type]
        hz.load(second, system, "roads", hz.roads(), rows=hz.roads().rows[:10])
        assert second.count(system, "roads") == 10 and pg.layers(system) == []
        second.initialise()  # idempotent on an existing store
        assert second.count(system, "roads") == 10
    finally:
        second.close()
        with psycopg.connect(pg_url(), autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{other}" CASCADE')


def test_an_unreachable_server_is_a_clear_store_error() -> None:
    store = PostGISStore("postgresql://mapnode:s3cret@127.0.0.1:1/mapnode_test")
    with pytest.raises(StoreError) as err:
        store.initialise()
    text = str(err.value)
    assert "无法连接" in text and "cannot connect" in text and "ensure-postgres" in text
    assert "s3cret" not in text


def test_a_missing_extension_that_cannot_be_created_is_a_clear_store_error() -> None:
    name = f"mapnode_noext_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url(), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN NOSUPERUSER")
        admin.execute(f"CREATE DATABASE {name} OWNER {name} TEMPLATE template0")
        try:
            base = pg_url().rsplit("/", 1)[0].replace("postgres@", f"{name}@", 1)
            store = PostGISStore(f"{base}/{name}")
            with pytest.raises(StoreError) as err:
                store.initialise()
            store.close()
            assert "CREATE EXTENSION postgis" in str(err.value)
            assert "超级用户" in str(err.value)
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {name}")


def test_a_lost_connection_is_a_store_error_and_the_next_call_reconnects(
        pg: PostGISStore, system: Actor) -> None:
    hz.load(pg, system, "roads", hz.roads(), rows=hz.roads().rows[:10])
    pid = pg.conn().raw.info.backend_pid
    with psycopg.connect(pg_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(StoreError) as err:
        pg.count(system, "roads")
    assert "连接已断开" in str(err.value)
    assert pg.count(system, "roads") == 10


def test_writers_in_different_schemas_do_not_wait_for_each_other(
        pg: PostGISStore, system: Actor) -> None:
    rows = hz.roads().rows
    hz.load(pg, system, "roads", hz.roads(), rows=rows[:10])
    with pg_store() as other:
        hz.load(other, system, "roads", hz.roads(), rows=rows[:10])
        other.conn().execute("SET lock_timeout = '3s'")
        with pg.write(system, "held open") as w:
            w.delete_rows("roads", list(w.current("roads", [rows[0].fid]).values()))
            assert other.apply(system, Changeset("t").delete("roads", rows[1].fid, 1))
        assert pg.current_seq() == 2 and other.current_seq() == 2


def test_session_settings(pg: PostGISStore) -> None:
    assert _one(pg, "SHOW jit") == "off"
    assert _one(pg, "SHOW plan_cache_mode") == "force_custom_plan"
    assert _one(pg, "SELECT value FROM meta WHERE key = 'schema_version'") == "1"


def _plan(store: PostGISStore, seq: int) -> str:
    layer_id = store._layer_row("roads")[0]  # type: ignore[index]
    source, clauses, args, _ = store._read_clauses(layer_id, seq, (120.14, 30.24, 120.16, 30.26),
                                                 None)
    sql = store._sql(f"EXPLAIN SELECT v.fid FROM {source} WHERE "
                     f"{' AND '.join(clauses)}")
    return "\n".join(r[0] for r in store.conn().execute(sql, args).fetchall())


def test_spatial_reads_now_and_in_the_past_use_the_gist_indexes(
        pg: PostGISStore, system: Actor) -> None:
    roads = hz.roads()
    hz.load(pg, system, "roads", roads)
    with pg.write(system, "history: 500 roads edited") as w:
        old = w.current("roads", [r.fid for r in roads.rows[:500]])
        w.replace_rows("roads", [(old[r.fid], hz.Row(r.fid, r.geometry, {
            **r.properties, "maxspeed": 50}).new_row()) for r in roads.rows[:500]])
    conn = pg.conn()
    conn.execute("ANALYZE versions")
    conn.execute("SET enable_seqscan = off")  # tiny tables: ask whether the index CAN serve
    try:
        past, now = _plan(pg, 1), _plan(pg, pg.current_seq())
    finally:
        conn.execute("RESET enable_seqscan")
    assert "versions_geom_history" in past and "versions_geom_current" in past
    assert "versions_geom_current" in now


def test_data_dir_is_recorded_in_the_store(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    """The first process to create the store records its data directory; a process started
    elsewhere finds the same directory, and MAPNODE_DATA_DIR still overrides it."""
    monkeypatch.delenv("MAPNODE_DATA_DIR", raising=False)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    url = schema_url(pg_url(), schema)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    try:
        monkeypatch.chdir(tmp_path / "a")
        first = open_store(url)
        assert first.data_dir == tmp_path / "a" / "mapnode-data"
        first.close()
        monkeypatch.chdir(tmp_path / "b")
        second = open_store(url)
        assert second.data_dir == tmp_path / "a" / "mapnode-data"
        second.close()
        monkeypatch.setenv("MAPNODE_DATA_DIR", str(tmp_path / "elsewhere"))
        third = open_store(url)
        assert third.data_dir == tmp_path / "elsewhere"
        third.close()
    finally:
        with psycopg.connect(pg_url(), autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    assert schema_url("postgresql://h/db", "s").endswith("options=-csearch_path%3Ds%2Cpublic")
