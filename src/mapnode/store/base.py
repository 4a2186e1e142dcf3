"""The versioned store: algorithms written once, over small backend hooks.

Data model (both backends):
- `layers`: the catalogue (one row per layer, metadata as JSON, edition as a column so that
  access can be applied in SQL).
- `versions`: every version of every feature. A version is valid for seqs in
  [seq_from, seq_to); `seq_to` is NULL while current. "As of seq S" is
  `seq_from <= S AND (seq_to IS NULL OR seq_to > S)`.
- `changesets`: who changed what and why; `log`: one entry per applied changeset with its seq,
  time and per-layer counts and bbox.

Writes go through `ChangesetWriter` (store/writer.py: one transaction, one seq, the whole thing
or nothing); rows as it handles them are in store/rows.py.
Reads always take an Actor; `access.policy.visible_editions` is applied in SQL.
"""

from __future__ import annotations

import itertools
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from mapnode.access import policy
from mapnode.errors import Conflict, InvalidParameter, NotFound
from mapnode.model import (
    Actor,
    Changeset,
    Diff,
    Feature,
    FeatureChange,
    FieldType,
    LayerChange,
    LayerMeta,
    LogEntry,
    Operation,
    OpKind,
)
from mapnode.model.log import BBox
from mapnode.mvt import TileQuery
from mapnode.store.filters import And, Filter, Not, Or
from mapnode.store.rows import NewRow, StoredRow, dump_props, geom_row
from mapnode.store.writer import ChangesetWriter, NothingChanged

__all__ = ["AsOf", "ChangesetWriter", "NewRow", "StoreState", "StoredRow", "VersionedStore",
           "commits", "dump_props", "geom_row", "metric_distances"]

SCHEMA_VERSION = 1
COUNT_CACHE_SIZE = 4096
ROW_BATCH = 1000  # rows per vectorised WKB parse
CATALOGUE_KEY = "catalogue_version"
_COMMITS = itertools.count(1)  # commits by any store object of this process (see `commits`)
_last_commit = 0


def commits() -> int:
    """How many write transactions stores of this process have committed: a watcher that
    reads this before reading `VersionedStore.state()` knows that any later change shows
    here first (cheap, no I/O; other processes' commits only show in `state()`)."""
    return _last_commit


@dataclass(frozen=True)
class StoreState:
    """What readers that keep derived data in memory compare: the log's last seq and the
    catalogue version (bumped by every layer create, update or drop, which write no log entry)."""

    seq: int
    catalogue: int


@dataclass(frozen=True)
class AsOf:
    """A point in the store's history: a seq, or a time resolved to the last seq at or before it."""

    seq: int | None = None
    time: datetime | None = None

    @classmethod
    def now(cls) -> AsOf:
        return cls()


class VersionedStore(ABC):
    """One interface, two backends. Subclasses implement the `_hooks`; nothing else."""

    url: str
    data_dir: Path  # files that belong to the store (raster layers, caches)

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.data_dir = data_dir
        self._local = threading.local()
        # COUNT(*) answers by (layer id, seq, SQL, parameters): rows valid at a committed seq
        # never change (every write takes a new seq), so a count is cached as long as the
        # layer exists (drop_layer clears it). Bounded: cleared when full.
        self._counts: dict[tuple[Any, ...], int] = {}

    # ------------------------------------------------------------------ backend hooks
    @abstractmethod
    def _connect(self) -> Any: ...

    @abstractmethod
    def _create_schema(self, conn: Any) -> None: ...

    @abstractmethod
    def _begin_write(self, conn: Any) -> None:
        """Start a write transaction holding the store's single-writer lock."""

    @abstractmethod
    def _commit(self, conn: Any) -> None: ...

    @abstractmethod
    def _rollback(self, conn: Any) -> None: ...

    @abstractmethod
    def _sql(self, text: str) -> str:
        """Adapt SQL written with `?` placeholders to the backend."""

    @abstractmethod
    def _insert_versions(self, conn: Any, layer_id: int, seq: int, changeset_id: int,
                         rows: Sequence[tuple[NewRow, int]]) -> None:
        """Insert new current versions: (row, version number) pairs, all valid from `seq`."""

    @abstractmethod
    def _spatial_filter(self, layer_id: int, bbox: BBox | None, geom: BaseGeometry | None,
                        seq: int) -> tuple[str, str, list[Any], bool]:
        """SQL to restrict `versions v` spatially: (source, where, params, needs_exact_check).

        `source` is the whole FROM clause: "versions v" when there is no spatial restriction,
        else whatever joins the backend's spatial index to `versions v` (in the join order
        it wants, independent of planner statistics).

        `bbox` is the box to search (already narrowed to `geom`'s bounds when both are given);
        None means no spatial restriction.

        `needs_exact_check` True means the SQL only filters by bbox and the caller must test
        exact intersection with `geom` itself.
        """

    @abstractmethod
    def _attr_expr(self, field: str, ftype: FieldType) -> tuple[str, list[Any]]:
        """SQL expression for a property value of `versions v`, typed for comparison."""

    text_search: str  # which text index derived services build: "fts5_trigram" | "pg_trgm"
    geom_select = "v.geom"
    props_select = "v.props"
    _temp_table_sql = ("CREATE TEMP TABLE IF NOT EXISTS seen_fids "
                       "(layer_id BIGINT, fid TEXT, PRIMARY KEY (layer_id, fid))")

    like_sql = "LIKE ?"  # the backend's LIKE: both stores match ASCII case-insensitively

    def _load_props(self, value: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        return orjson.loads(value) if value else {}

    def _canonical_props(self, value: Any) -> str:
        """Stored properties as `dump_props` text, so that equal content compares equal."""
        return value if isinstance(value, str) else dump_props(self._load_props(value))

    def _time_to_db(self, t: datetime) -> Any:
        return t

    def _time_from_db(self, v: Any) -> datetime:
        return v

    # ------------------------------------------------------------------ connections
    def conn(self) -> Any:
        """This thread's connection (stores are shared by threads of a server)."""
        c = getattr(self._local, "conn", None)
        if c is None:
            c = self._connect()
            self._local.conn = c
        return c

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn().execute(self._sql(sql), list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(sql, params).fetchall())

    def close(self) -> None:
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None

    def initialise(self) -> None:
        """Create the schema if the store is new. Safe to call on an existing store."""
        conn = self.conn()
        self._create_schema(conn)

    # ------------------------------------------------------------------ catalogue
    def create_layer(self, actor: Actor, meta: LayerMeta) -> LayerMeta:
        policy.ensure_can_write(actor, meta)
        with self._transaction() as conn:
            self._insert_layer(conn, meta)
        return meta

    def _insert_layer(self, conn: Any, meta: LayerMeta) -> int:
        if self._layer_row(meta.name) is not None:
            raise Conflict("图层已存在", "layer already exists", {"layer": meta.name})
        cur = conn.execute(
            self._sql("INSERT INTO layers (name, edition, meta) VALUES (?, ?, ?) RETURNING id"),
            [meta.name, meta.edition.value, orjson.dumps(meta.to_dict()).decode()])
        layer_id = int(cur.fetchone()[0])
        self._bump_catalogue(conn)
        return layer_id

    def _bump_catalogue(self, conn: Any) -> None:
        """Count a catalogue change, in the transaction that makes it."""
        conn.execute(self._sql(
            "INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE "
            "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"), [CATALOGUE_KEY])

    def update_layer(self, actor: Actor, meta: LayerMeta) -> LayerMeta:
        current = self.layer(actor, meta.name)
        policy.ensure_can_write(actor, current)
        policy.ensure_can_write(actor, meta)
        with self._transaction() as conn:
            self._update_layer(conn, meta)
        return meta

    def _update_layer(self, conn: Any, meta: LayerMeta) -> None:
        conn.execute(self._sql("UPDATE layers SET edition = ?, meta = ? WHERE name = ?"),
                     [meta.edition.value, orjson.dumps(meta.to_dict()).decode(), meta.name])
        self._bump_catalogue(conn)

    def layers(self, actor: Actor) -> list[LayerMeta]:
        editions = policy.visible_editions(actor)
        marks = ",".join("?" * len(editions))
        rows = self.query(f"SELECT meta FROM layers WHERE edition IN ({marks}) ORDER BY name",
                          editions)
        return [LayerMeta.from_dict(self._load_props(r[0])) for r in rows]

    def layer(self, actor: Actor, name: str) -> LayerMeta:
        """The layer's metadata. A layer the actor may not see is reported as not found."""
        return self._layer_id(actor, name)[1]

    def _layer_row(self, name: str) -> tuple[Any, ...] | None:
        if "\x00" in name:  # PostgreSQL text cannot hold NUL: such a name is simply unknown
            return None
        rows = self.query("SELECT id, edition, meta FROM layers WHERE name = ?", [name])
        return rows[0] if rows else None

    def _layer_id(self, actor: Actor, name: str) -> tuple[int, LayerMeta]:
        """The layer's id and metadata, in one query; hidden layers are not found."""
        row = self._layer_row(name)
        if row is None:
            raise NotFound("图层不存在", "no such layer", {"layer": name})
        meta = LayerMeta.from_dict(self._load_props(row[2]))
        if not policy.can_read_layer(actor, meta):
            raise NotFound("图层不存在", "no such layer", {"layer": name})
        return int(row[0]), meta

    def drop_layer(self, actor: Actor, name: str) -> None:
        """Remove a layer and all its history. For administrators; not a versioned change."""
        policy.ensure_admin(actor)
        layer_id, _ = self._layer_id(actor, name)
        with self._transaction() as conn:
            self._drop_layer_rows(conn, layer_id)
            conn.execute(self._sql("DELETE FROM layers WHERE id = ?"), [layer_id])
            self._bump_catalogue(conn)
        self.forget_counts()

    def _drop_layer_rows(self, conn: Any, layer_id: int) -> None:
        conn.execute(self._sql("DELETE FROM versions WHERE layer_id = ?"), [layer_id])

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        conn = self.conn()
        self._begin_write(conn)
        try:
            yield conn
        except BaseException:
            self._rollback(conn)
            raise
        else:
            self._commit(conn)
            global _last_commit
            _last_commit = next(_COMMITS)

    @contextmanager
    def write(self, actor: Actor, message: str = "", source: str = "edit",
              organisation: str = "") -> Iterator[ChangesetWriter]:
        """Open a changeset: everything written through the writer gets one new seq, atomically.

        If the block raises, nothing is written (the transaction is rolled back). A changeset
        that changed nothing is rolled back too and leaves no log entry (`committed` stays
        False).
        """
        policy.ensure_can_write(actor)
        try:
            with self._transaction() as conn:
                seq = self._next_seq(conn)
                now = datetime.now(UTC)
                cur = conn.execute(self._sql(
                    "INSERT INTO changesets (author, organisation, source, message, state, "
                    "created_at, seq) VALUES (?, ?, ?, ?, 'published', ?, ?) RETURNING id"),
                    [actor.name, organisation or actor.organisation or "", source, message,
                     self._time_to_db(now), seq])
                writer = ChangesetWriter(self, conn, actor, seq, int(cur.fetchone()[0]))
                yield writer
                if writer.is_empty:
                    raise NothingChanged
                writer._finish(now, message, source)
                writer.committed = True
        except NothingChanged:
            return

    def _next_seq(self, conn: Any) -> int:
        row = conn.execute(self._sql("SELECT COALESCE(MAX(seq), 0) FROM log")).fetchone()
        return int(row[0]) + 1

    def apply(self, actor: Actor, changeset: Changeset) -> LogEntry | None:
        """Apply a changeset value. Any stale base version raises Conflict and changes nothing."""
        with self.write(actor, changeset.message, changeset.source,
                        changeset.organisation) as w:
            w.apply_operations(changeset)
        return self.log_entry(actor, w.seq) if w.committed else None

    # ------------------------------------------------------------------ the log
    def current_seq(self) -> int:
        return int(self.query("SELECT COALESCE(MAX(seq), 0) FROM log")[0][0])

    def state(self) -> StoreState:
        """The last seq and the catalogue version, in one query."""
        seq, version = self.query(
            "SELECT (SELECT COALESCE(MAX(seq), 0) FROM log), "
            "(SELECT value FROM meta WHERE key = ?)", [CATALOGUE_KEY])[0]
        return StoreState(int(seq), int(version or 0))

    def log(self, actor: Actor, since: int = 0, limit: int = 1000) -> list[LogEntry]:
        """Log entries after `since`, showing only the layers the actor may see.

        An entry that touched only hidden layers is still listed (seqs stay gapless for
        consumers) but with no layers in it.
        """
        rows = self.query(
            "SELECT seq, changeset_id, time, author, message, source, layers FROM log "
            "WHERE seq > ? ORDER BY seq LIMIT ?", [since, limit])
        visible = {m.name for m in self.layers(actor)}
        return [self._log_from_row(r, visible) for r in rows]

    def log_entry(self, actor: Actor, seq: int) -> LogEntry:
        rows = self.query(
            "SELECT seq, changeset_id, time, author, message, source, layers FROM log "
            "WHERE seq = ?", [seq])
        if not rows:
            raise NotFound("无此序号", "no such seq", {"seq": seq})
        return self._log_from_row(rows[0], {m.name for m in self.layers(actor)})

    def _log_from_row(self, r: tuple[Any, ...], visible: set[str]) -> LogEntry:
        layers = {k: LayerChange.from_dict(v) for k, v in self._load_props(r[6]).items()
                  if k in visible}
        hidden = len(layers) < len(self._load_props(r[6]))
        return LogEntry(int(r[0]), int(r[1]), self._time_from_db(r[2]),
                        "" if hidden and not layers else r[3],
                        "" if hidden and not layers else (r[4] or ""), r[5] or "", layers)

    def resolve(self, as_of: AsOf | int | datetime | None) -> int:
        """The seq that `as_of` names: the current seq, a given seq, or the last at a time."""
        if as_of is None:
            return self.current_seq()
        if isinstance(as_of, int):
            as_of = AsOf(seq=as_of)
        elif isinstance(as_of, datetime):
            as_of = AsOf(time=as_of)
        if as_of.seq is not None:
            if as_of.seq < 0:
                raise InvalidParameter("序号不能为负", "seq must be >= 0", {"seq": as_of.seq})
            return as_of.seq
        if as_of.time is not None:
            t = as_of.time if as_of.time.tzinfo else as_of.time.replace(tzinfo=UTC)
            row = self.query("SELECT COALESCE(MAX(seq), 0) FROM log WHERE time <= ?",
                             [self._time_to_db(t)])
            return int(row[0][0])
        return self.current_seq()

    # ------------------------------------------------------------------ reads
    def features(
        self,
        actor: Actor,
        layer: str,
        *,
        bbox: BBox | None = None,
        intersects: BaseGeometry | None = None,
        filters: Sequence[Filter] = (),
        fids: Sequence[str] | None = None,
        as_of: AsOf | int | datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[Feature]:
        """Features of a layer as of a seq (default: now), filtered; ordered by feature id."""
        layer_id, meta = self._layer_id(actor, layer)
        seq = self.resolve(as_of)
        source, clauses, args, exact = self._read_clauses(layer_id, seq, bbox, intersects)
        for f in filters:
            sql, fparams = self._filter_sql(meta, f)
            clauses.append(sql)
            args.extend(fparams)
        if fids is not None:
            if not fids:
                return iter(())
            clauses.append(f"v.fid IN ({','.join('?' * len(fids))})")
            args.extend(fids)
        sql = (f"SELECT v.fid, v.version, {self.geom_select}, {self.props_select}, v.seq_from, "
               f"v.seq_to FROM {source} WHERE {' AND '.join(clauses)} ORDER BY v.fid")
        if not exact:
            if limit is not None:
                sql += " LIMIT ? OFFSET ?"
                args.extend([limit, offset])
            return self._rows_to_features(layer, self.execute(sql, args))
        return _exact_page(self._rows_to_features(layer, self.execute(sql, args)),
                           intersects, limit, offset)

    def count(self, actor: Actor, layer: str, *, bbox: BBox | None = None,
              filters: Sequence[Filter] = (),
              as_of: AsOf | int | datetime | None = None) -> int:
        layer_id, meta = self._layer_id(actor, layer)
        seq = self.resolve(as_of)
        source, clauses, args, _ = self._read_clauses(layer_id, seq, bbox, None)
        for f in filters:
            sql, fparams = self._filter_sql(meta, f)
            clauses.append(sql)
            args.extend(fparams)
        sql = f"SELECT COUNT(*) FROM {source} WHERE {' AND '.join(clauses)}"
        key = (layer_id, seq, sql, tuple(args))
        found = self._counts.get(key)
        if found is None:
            found = int(self.query(sql, args)[0][0])
            if len(self._counts) >= COUNT_CACHE_SIZE:
                self._counts.clear()
            self._counts[key] = found
        return found

    def forget_counts(self) -> None:
        """Empty the count cache (benchmarks that time the query itself)."""
        self._counts.clear()

    def extent(self, actor: Actor, layer: str) -> tuple[BBox | None, tuple[datetime, datetime] | None]:
        """The bbox of the layer's current features, and the times of its first and last
        feature change (from the log); None where the layer has no features or changes."""
        layer_id, _ = self._layer_id(actor, layer)
        box = self.query("SELECT MIN(minx), MIN(miny), MAX(maxx), MAX(maxy) FROM versions "
                         "WHERE layer_id = ? AND seq_to IS NULL", [layer_id])[0]
        bbox = None if box[0] is None else tuple(float(x) for x in box)
        first, last_from, last_to = self.query(
            "SELECT MIN(seq_from), MAX(seq_from), MAX(seq_to) FROM versions WHERE layer_id = ?",
            [layer_id])[0]
        if first is None:
            return bbox, None  # type: ignore[return-value]
        last = max(int(last_from), int(last_to or 0))
        times = {int(r[0]): self._time_from_db(r[1]) for r in self.query(
            "SELECT seq, time FROM log WHERE seq IN (?, ?)", [int(first), last])}
        return bbox, (times[int(first)], times[last])  # type: ignore[return-value]

    def feature(self, actor: Actor, layer: str, fid: str,
                as_of: AsOf | int | datetime | None = None) -> Feature:
        found = list(self.features(actor, layer, fids=[fid], as_of=as_of))
        if not found:
            raise NotFound("要素不存在", "no such feature", {"layer": layer, "fid": fid})
        return found[0]

    def history(self, actor: Actor, layer: str, fid: str) -> list[Feature]:
        """Every version of one feature, oldest first (历史数据)."""
        layer_id, _ = self._layer_id(actor, layer)
        cur = self.execute(
            f"SELECT v.fid, v.version, {self.geom_select}, {self.props_select}, v.seq_from, "
            "v.seq_to FROM versions v WHERE v.layer_id = ? AND v.fid = ? ORDER BY v.version",
            [layer_id, fid])
        return list(self._rows_to_features(layer, cur))

    def nearest(self, actor: Actor, layer: str, lon: float, lat: float, *, k: int = 1,
                max_distance_m: float = 50_000.0, filters: Sequence[Filter] = (),
                as_of: AsOf | int | datetime | None = None) -> list[tuple[Feature, float]]:
        """The k features nearest to a point, with distances in metres (local projection)."""
        _check_lonlat(lon, lat)
        if k < 1:
            raise InvalidParameter("k 必须大于 0", "k must be >= 1", {"k": k})
        seq = self.resolve(as_of)
        radius = 200.0
        while True:
            radius = min(radius, max_distance_m)
            dlat = radius / 110_574.0
            dlon = radius / (111_320.0 * max(np.cos(np.radians(lat)), 1e-6))
            box = (lon - dlon, lat - dlat, lon + dlon, lat + dlat)
            cands = list(self.features(actor, layer, bbox=box, filters=filters, as_of=seq))
            if cands:
                dists = metric_distances(lon, lat, [c.geometry for c in cands])
                order = np.argsort(dists, kind="stable")
                within = [(cands[i], float(dists[i])) for i in order if dists[i] <= radius]
                if len(within) >= k or radius >= max_distance_m:
                    return within[:k]
            elif radius >= max_distance_m:
                return []
            radius *= 4

    def changeset(self, actor: Actor, seq: int) -> Changeset:
        """The changeset applied as `seq`, rebuilt from the version rows it wrote and ended.

        Operations carry base and produced versions and the old state, so the result can be
        inverted (undo) or sent to another node. Only layers the actor may see are included.
        """
        entry = self.log_entry(actor, seq)
        rows = self.query("SELECT organisation FROM changesets WHERE id = ?",
                          [entry.changeset_id])
        organisation = (rows[0][0] or "") if rows and entry.author else ""
        result = Changeset(entry.author, entry.message, entry.source, organisation)
        for layer in entry.layers:
            layer_id, _ = self._layer_id(actor, layer)
            base = (f"SELECT v.fid, v.version, {self.geom_select}, {self.props_select}, "
                    "v.seq_from, v.seq_to FROM versions v WHERE v.layer_id = ? AND ")
            new = {f.fid: f for f in self._rows_to_features(layer, self.execute(
                base + "v.seq_from = ? ORDER BY v.fid", [layer_id, seq]))}
            old = {f.fid: f for f in self._rows_to_features(layer, self.execute(
                base + "v.seq_to = ? ORDER BY v.fid", [layer_id, seq]))}
            for fid in sorted(new.keys() | old.keys()):
                n, o = new.get(fid), old.get(fid)
                kind = OpKind.UPDATE if n and o else OpKind.INSERT if n else OpKind.DELETE
                result.operations.append(Operation(
                    kind, layer, fid, n.geometry if n else None, n.properties if n else None,
                    o.version if o else None, o.geometry if o else None,
                    o.properties if o else None, n.version if n else None))
        return result

    def undo(self, actor: Actor, seq: int) -> LogEntry | None:
        """Apply the inverse of changeset `seq` as a new changeset. If a feature it touched
        has changed since, this raises Conflict and changes nothing."""
        return self.apply(actor, self.changeset(actor, seq).inverted())

    def diff(self, actor: Actor, layer: str, from_: AsOf | int | datetime,
             to: AsOf | int | datetime | None = None, bbox: BBox | None = None) -> Diff:
        """What changed in a layer between two seqs or times: added, changed, removed."""
        layer_id, _ = self._layer_id(actor, layer)
        a, b = self.resolve(from_), self.resolve(to)
        if a > b:
            a, b = b, a
        base = (f"SELECT v.fid, v.version, {self.geom_select}, {self.props_select}, v.seq_from, "
                "v.seq_to FROM versions v WHERE v.layer_id = ? AND ")
        olds = self._rows_to_features(layer, self.execute(
            base + "v.seq_from <= ? AND v.seq_to IS NOT NULL AND v.seq_to > ? AND v.seq_to <= ? "
            "ORDER BY v.fid", [layer_id, a, a, b]))
        news = self._rows_to_features(layer, self.execute(
            base + "v.seq_from > ? AND v.seq_from <= ? AND (v.seq_to IS NULL OR v.seq_to > ?) "
            "ORDER BY v.fid", [layer_id, a, b, b]))
        old_by_fid = {f.fid: f for f in olds}
        result = Diff(layer, a, b)
        for new in news:
            old = old_by_fid.pop(new.fid, None)
            if old is None:
                result.added.append(new)
            elif not _same_content(old, new):
                result.changed.append(FeatureChange(old, new))
        result.removed.extend(old_by_fid.values())
        if bbox is not None:
            result = _diff_in_bbox(result, bbox)
        return result

    def _read_clauses(self, layer_id: int, seq: int, bbox: BBox | None,
                      geom: BaseGeometry | None) -> tuple[str, list[str], list[Any], bool]:
        """The FROM source and WHERE clauses (with their params, in order) for a read as of `seq`."""
        if bbox is not None:
            _check_bbox(bbox)
        if geom is not None:  # search the part of the geometry's bounds inside bbox
            gb = geom.bounds
            bbox = gb if bbox is None else (max(gb[0], bbox[0]), max(gb[1], bbox[1]),
                                            min(gb[2], bbox[2]), min(gb[3], bbox[3]))
        source, where, params, exact = self._spatial_filter(layer_id, bbox, geom, seq)
        clauses = [where] if where else []
        args: list[Any] = list(params)
        clauses += ["v.layer_id = ?", "v.seq_from <= ?", "(v.seq_to IS NULL OR v.seq_to > ?)"]
        args += [layer_id, seq, seq]
        return source, clauses, args, exact

    def _filter_sql(self, meta: LayerMeta, f: Filter) -> tuple[str, list[Any]]:
        """Parameterised SQL for a filter or a filter expression (And / Or / Not)."""
        if isinstance(f, And | Or):
            if not f.items:
                return ("1 = 1" if isinstance(f, And) else "1 = 0"), []
            parts = [self._filter_sql(meta, item) for item in f.items]
            joiner = " AND " if isinstance(f, And) else " OR "
            return ("(" + joiner.join(sql for sql, _ in parts) + ")",
                    [p for _, params in parts for p in params])
        if isinstance(f, Not):
            sql, params = self._filter_sql(meta, f.item)
            return f"(NOT ({sql}))", params
        ftype = meta.fields.get(f.field)
        if ftype is None:
            raise InvalidParameter("图层没有该字段", "unknown field",
                                   {"layer": meta.name, "field": f.field})
        expr, eparams = self._attr_expr(f.field, ftype)
        sql, vparams = f.to_sql(expr, ftype, self.like_sql)
        return sql, eparams + vparams

    def _rows_to_features(self, layer: str, cursor: Iterable[tuple[Any, ...]]) -> Iterator[Feature]:
        """Features from (fid, version, wkb, props, seq_from, seq_to) rows, geometries parsed
        by one vectorised `shapely.from_wkb` per batch of rows."""
        rows = iter(cursor)
        while batch := list(islice(rows, ROW_BATCH)):
            wkbs = np.array([None if r[2] is None else bytes(r[2]) for r in batch], dtype=object)
            geoms = shapely.from_wkb(wkbs)
            for (fid, version, _, props, seq_from, seq_to), geom in zip(batch, geoms,
                                                                        strict=True):
                yield Feature(layer, fid, int(version), geom, self._load_props(props),
                              int(seq_from), None if seq_to is None else int(seq_to))

    # ------------------------------------------------------------------ vector tiles
    def encode_tile(self, actor: Actor, queries: Sequence[TileQuery],
                    as_of: AsOf | int | datetime | None = None) -> bytes:
        """An uncompressed MVT of these layers as of a seq (b"" when empty). Each layer is
        checked against the actor like any other read (hidden layers are not found)."""
        return self.encode_tiles(actor, [queries], as_of)[0]

    def encode_tiles(self, actor: Actor, tries: Sequence[Sequence[TileQuery]],
                     as_of: AsOf | int | datetime | None = None) -> list[bytes]:
        """One tile generalised several ways (the size cap's tries: the same layers, bbox and
        grid, other thresholds), each as `encode_tile` makes it; a backend may read the rows
        once for all of them."""
        seq = self.resolve(as_of)
        per_layer = [self._encode_mvt_layer_tries(self._layer_id(actor, queries[0].layer)[0],
                                                  list(queries), seq)
                     for queries in zip(*tries, strict=True)]
        return [b"".join(blobs[k] for blobs in per_layer) for k in range(len(tries))]

    def _tile_read(self, layer_id: int, q: TileQuery, seq: int) -> tuple[str, str, list[Any]]:
        """FROM source, WHERE and params for a tile layer's rows (steps 1-2 in mapnode.mvt)."""
        source, clauses, args, _ = self._read_clauses(layer_id, seq, q.bbox, None)
        clauses.append("v.geom IS NOT NULL")
        if q.min_size > 0 and not q.points:
            clauses.append("(v.maxx - v.minx >= ? OR v.maxy - v.miny >= ?)")
            args += [q.min_size, q.min_size]
        return source, " AND ".join(clauses), args

    @abstractmethod
    def _encode_mvt_layer(self, layer_id: int, q: TileQuery, seq: int) -> bytes:
        """One MVT layer, b"" when empty; every backend applies the steps in mapnode.mvt."""

    def _encode_mvt_layer_tries(self, layer_id: int, tries: list[TileQuery],
                                seq: int) -> list[bytes]:
        """One MVT layer per try (`encode_tiles`); by default one read per try."""
        return [self._encode_mvt_layer(layer_id, q, seq) for q in tries]


def _same_content(a: Feature, b: Feature) -> bool:
    if a.properties != b.properties:
        return False
    if a.geometry is None or b.geometry is None:
        return a.geometry is b.geometry
    return bool(shapely.equals_exact(a.geometry, b.geometry, tolerance=0.0))


def _check_bbox(bbox: BBox) -> None:
    if len(bbox) != 4 or not all(np.isfinite(bbox)):
        raise InvalidParameter("bbox 必须是四个有限数值", "bbox must be 4 finite numbers",
                               {"bbox": bbox})
    if bbox[0] > bbox[2] or bbox[1] > bbox[3]:
        raise InvalidParameter("bbox 最小值大于最大值", "bbox min greater than max",
                               {"bbox": bbox})


def _check_lonlat(lon: float, lat: float) -> None:
    if not (np.isfinite(lon) and np.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidParameter("经纬度超出范围", "lon/lat out of range", {"lon": lon, "lat": lat})


def metric_distances(lon: float, lat: float, geoms: Sequence[BaseGeometry | None]) -> np.ndarray:
    """Distances in metres from a point to geometries, in a local equirectangular projection.

    Accurate to well under 1% within tens of kilometres, which is what nearest-feature and
    radius searches need.
    """
    kx = 111_320.0 * np.cos(np.radians(lat))
    ky = 110_574.0

    def scale(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - lon) * kx, (xy[:, 1] - lat) * ky])

    arr = np.array([g if g is not None else shapely.Point() for g in geoms], dtype=object)
    local = shapely.transform(arr, scale)
    d = shapely.distance(local, shapely.Point(0.0, 0.0))
    return np.where(np.isnan(d), np.inf, d)


def _exact_page(features: Iterator[Feature], geom: BaseGeometry | None, limit: int | None,
                offset: int) -> Iterator[Feature]:
    assert geom is not None
    shapely.prepare(geom)
    skipped = 0
    given = 0
    for f in features:
        if f.geometry is None or not geom.intersects(f.geometry):
            continue
        if skipped < offset:
            skipped += 1
            continue
        if limit is not None and given >= limit:
            return
        given += 1
        yield f


def _diff_in_bbox(d: Diff, bbox: BBox) -> Diff:
    box = shapely.box(*bbox)

    def inside(f: Feature) -> bool:
        return f.geometry is not None and box.intersects(f.geometry)

    return Diff(d.layer, d.from_seq, d.to_seq, [f for f in d.added if inside(f)],
                [c for c in d.changed if inside(c.old) or inside(c.new)],
                [f for f in d.removed if inside(f)])
