"""The embedded store: one SQLite file per node (WAL: many readers, one writer).

Uses the pip-installed `sqlean.py` build of SQLite (3.50) because Debian's 3.40 gets
2-character Chinese LIKE/trigram search wrong. The spatial index is one R*Tree over
(x, y, seq validity, layer), so a bbox read as of any past seq is a single index search.
Versions are inserted with seq_to NULL; the R*Tree row is added right after, and a trigger
keeps its seq bound in step when a version is ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlean
from shapely.geometry.base import BaseGeometry

from mapnode import mvt
from mapnode.errors import StoreError
from mapnode.model.layer import FieldType
from mapnode.model.log import BBox
from mapnode.mvt import TileQuery
from mapnode.store.base import SCHEMA_VERSION, NewRow, VersionedStore

OPEN_END = 3.0e38  # R*Tree stand-in for "seq_to is NULL"
ANALYZE_AFTER = 20_000  # rows inserted by one changeset after which statistics are refreshed

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS layers (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, edition TEXT NOT NULL, meta TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changesets (
  id INTEGER PRIMARY KEY, author TEXT, organisation TEXT, source TEXT, message TEXT,
  state TEXT NOT NULL, created_at TEXT, seq INTEGER);
CREATE TABLE IF NOT EXISTS log (
  seq INTEGER PRIMARY KEY, changeset_id INTEGER NOT NULL, time TEXT NOT NULL, author TEXT,
  message TEXT, source TEXT, layers TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS log_time ON log (time);
CREATE TABLE IF NOT EXISTS versions (
  id INTEGER PRIMARY KEY, layer_id INTEGER NOT NULL, fid TEXT NOT NULL, version INTEGER NOT NULL,
  seq_from INTEGER NOT NULL, seq_to INTEGER, changeset_id INTEGER NOT NULL,
  geom BLOB, minx REAL, miny REAL, maxx REAL, maxy REAL, props TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS versions_current ON versions (layer_id, fid)
  WHERE seq_to IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS versions_fid ON versions (layer_id, fid, version);
CREATE INDEX IF NOT EXISTS versions_from ON versions (layer_id, seq_from);
CREATE INDEX IF NOT EXISTS versions_to ON versions (layer_id, seq_to) WHERE seq_to IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS versions_rtree USING rtree(
  id, minx, maxx, miny, maxy, sfrom, sto, lmin, lmax);
CREATE TRIGGER IF NOT EXISTS versions_au AFTER UPDATE OF seq_to ON versions
  WHEN new.minx IS NOT NULL
BEGIN
  UPDATE versions_rtree SET sto = coalesce(new.seq_to, {OPEN_END}) WHERE id = new.id;
END;
CREATE TRIGGER IF NOT EXISTS versions_ad AFTER DELETE ON versions
BEGIN
  DELETE FROM versions_rtree WHERE id = old.id;
END;
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');
"""

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class SQLiteStore(VersionedStore):
    """The default, embedded store."""

    text_search = "fts5_trigram"

    def __init__(self, path: str | Path) -> None:
        path = Path(str(path).removeprefix("sqlite:///").removeprefix("sqlite://"))
        super().__init__(str(path), Path(str(path) + ".d"))
        self.path = path

    def _connect(self) -> Any:
        if not self.path.parent.exists():
            raise StoreError("存储目录不存在", "store directory does not exist",
                             {"path": str(self.path.parent)})
        try:
            conn = sqlean.connect(str(self.path), isolation_level=None, timeout=30.0,
                                  check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlean.DatabaseError as exc:
            raise StoreError("无法打开存储文件（不是 mapnode 存储？）",
                             "cannot open store file (not a mapnode store?)",
                             {"path": str(self.path)}) from exc
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -131072")
        conn.execute("PRAGMA mmap_size = 268435456")
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def _create_schema(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            old = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'versions_to'").fetchone()
            if old and "WHERE" not in old[0]:  # stores made before the index became partial
                conn.execute("DROP INDEX versions_to")
            for statement in _split(SCHEMA):
                conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _begin_write(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")
        self._local.inserted = 0

    def _commit(self, conn: Any) -> None:
        conn.execute("COMMIT")
        if getattr(self._local, "inserted", 0) >= ANALYZE_AFTER:
            # Sampled statistics (fast on any size) so plans after a big import stay good.
            conn.execute("PRAGMA analysis_limit = 1000")
            conn.execute("ANALYZE versions")
        self._local.inserted = 0

    def _rollback(self, conn: Any) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def _sql(self, text: str) -> str:
        return text

    def _time_to_db(self, t: datetime) -> Any:
        return t.astimezone(UTC).strftime(_TIME_FORMAT)

    def _time_from_db(self, v: Any) -> datetime:
        return datetime.strptime(v, _TIME_FORMAT).replace(tzinfo=UTC)

    def _insert_versions(self, conn: Any, layer_id: int, seq: int, changeset_id: int,
                         rows: Sequence[tuple[NewRow, int]]) -> None:
        # The R*Tree is filled by one INSERT … SELECT per batch: an AFTER INSERT trigger made
        # every row 4-5x slower to insert (measured on the Hangzhou roads).
        last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM versions").fetchone()[0]
        self._local.inserted = getattr(self._local, "inserted", 0) + len(rows)
        conn.executemany(
            "INSERT INTO versions (layer_id, fid, version, seq_from, changeset_id, geom, "
            "minx, miny, maxx, maxy, props) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(layer_id, r.fid, version, seq, changeset_id, r.wkb,
              *(r.bbox if r.bbox is not None else (None, None, None, None)), r.props_json)
             for r, version in rows])
        conn.execute(
            "INSERT INTO versions_rtree SELECT id, minx, maxx, miny, maxy, seq_from, "
            f"{OPEN_END}, layer_id, layer_id FROM versions WHERE id > ? AND minx IS NOT NULL",
            [last])

    def _spatial_filter(self, layer_id: int, bbox: BBox | None, geom: BaseGeometry | None,
                        seq: int) -> tuple[str, str, list[Any], bool]:
        if bbox is None:
            return "versions v", "", [], False
        # CROSS JOIN keeps this order in SQLite: the R*Tree search drives, rows are fetched by
        # rowid. Left to the planner, a store without statistics was read through
        # versions_from instead (linear in the number of versions: bench/read_bench).
        source = "versions_rtree r CROSS JOIN versions v ON v.id = r.id"
        where = ("r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ? AND r.sfrom <= ? "
                 "AND r.sto > ? AND r.lmin <= ? AND r.lmax >= ? "
                 "AND v.maxx >= ? AND v.minx <= ? AND v.maxy >= ? AND v.miny <= ?")
        params = [bbox[2], bbox[0], bbox[3], bbox[1], seq, seq, layer_id, layer_id,
                  bbox[0], bbox[2], bbox[1], bbox[3]]
        return source, where, params, geom is not None

    def _attr_expr(self, field: str, ftype: FieldType) -> tuple[str, list[Any]]:
        return "json_extract(v.props, ?)", ['$."' + field.replace('"', '""') + '"']

    def _encode_mvt_layer(self, layer_id: int, q: TileQuery, seq: int) -> bytes:
        """Rows selected in SQL, thinned and encoded in Python (mapnode.mvt)."""
        source, where, args = self._tile_read(layer_id, q, seq)
        rows = self.query(f"SELECT v.fid, v.geom, v.props, v.minx, v.miny FROM {source} "
                          f"WHERE {where} ORDER BY v.fid", args)
        if q.thin is not None:
            rows = mvt.thin(rows, q.thin, 3, 4)
        return mvt.encode_layer(q, ((r[0], r[1], orjson.loads(r[2])) for r in rows))


def _split(script: str) -> list[str]:
    """Split the schema script into statements, keeping trigger bodies whole."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and (not text.upper().startswith("CREATE TRIGGER")
                                   or text.upper().endswith("END;")):
            out.append(text)
            buf = []
    return out
