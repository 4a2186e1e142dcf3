"""ChangesetWriter: everything written in one changeset, in one transaction, with one seq.

Obtained from `VersionedStore.write`; the store's backend hooks do the SQL that differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from mapnode.access import policy
from mapnode.errors import Conflict
from mapnode.model import Actor, Changeset, LayerChange, LayerMeta, OpKind
from mapnode.model.log import BBox
from mapnode.store.rows import NewRow, StoredRow, dump_props, geom_row, union_bbox

if TYPE_CHECKING:
    from mapnode.store.base import VersionedStore

BATCH = 5000  # rows per round trip when ending features the input no longer has


class NothingChanged(Exception):
    """Raised inside `write` to roll back a changeset that changed nothing."""


class ChangesetWriter:
    """Writes one changeset inside one transaction. Obtained from `VersionedStore.write`."""

    def __init__(self, store: VersionedStore, conn: Any, actor: Actor, seq: int,
                 changeset_id: int) -> None:
        self.store = store
        self.conn = conn
        self.actor = actor
        self.seq = seq
        self.changeset_id = changeset_id
        self.changes: dict[str, LayerChange] = {}
        self._layer_ids: dict[str, tuple[int, LayerMeta]] = {}
        self._seen_ready = False
        self._created: set[str] = set()  # layers created by this changeset
        self.touched_layers: set[str] = set()
        self.committed = False

    @property
    def is_empty(self) -> bool:
        return not any(c.inserted or c.updated or c.deleted for c in self.changes.values()) and (
            not self.touched_layers)

    def touch_layer(self, layer: str, bbox: BBox | None = None) -> None:
        """Record a change to a layer that is not a feature change (e.g. a raster registered)."""
        self.touched_layers.add(layer)
        self.changes.setdefault(layer, LayerChange()).extend(bbox)

    def create_layer(self, meta: LayerMeta) -> LayerMeta:
        """Create a layer inside this changeset: if the changeset fails, the layer is not made."""
        policy.ensure_can_write(self.actor, meta)
        layer_id = self.store._insert_layer(self.conn, meta)
        self._layer_ids[meta.name] = (layer_id, meta)
        self._created.add(meta.name)
        self.touched_layers.add(meta.name)
        return meta

    def update_layer(self, meta: LayerMeta) -> LayerMeta:
        """Change a layer's metadata or schema inside this changeset."""
        layer_id, _ = self.layer(meta.name)
        policy.ensure_can_write(self.actor, meta)
        self.store._update_layer(self.conn, meta)
        self._layer_ids[meta.name] = (layer_id, meta)
        return meta

    def has_layer(self, name: str) -> bool:
        return name in self._layer_ids or self.store._layer_row(name) is not None

    def delete_all(self, layer: str) -> int:
        """Delete every current feature of a layer (a full replacement's first step)."""
        layer_id, _ = self.layer(layer)
        self.claim_keys(layer, [])
        self._ex("DELETE FROM seen_fids WHERE layer_id = ?", [layer_id])
        return self.delete_unseen(layer)

    def layer(self, name: str) -> tuple[int, LayerMeta]:
        if name not in self._layer_ids:
            layer_id, meta = self.store._layer_id(self.actor, name)
            policy.ensure_can_write(self.actor, meta)
            self._layer_ids[name] = (layer_id, meta)
        return self._layer_ids[name]

    def _ex(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self.store._sql(sql), list(params))

    # -- reading current state inside the transaction
    def current(self, layer: str, fids: Sequence[str]) -> dict[str, StoredRow]:
        layer_id, _ = self.layer(layer)
        out: dict[str, StoredRow] = {}
        for i in range(0, len(fids), 900):
            chunk = list(fids[i:i + 900])
            rows = self._ex(
                f"SELECT v.id, v.fid, v.version, {self.store.geom_select}, "
                f"{self.store.props_select}, v.minx, v.miny, v.maxx, v.maxy FROM versions v "
                f"WHERE v.layer_id = ? AND v.seq_to IS NULL AND v.fid IN "
                f"({','.join('?' * len(chunk))})", [layer_id, *chunk]).fetchall()
            for r in rows:
                props = self.store._canonical_props(r[4])
                bbox = None if r[5] is None else (r[5], r[6], r[7], r[8])
                out[r[1]] = StoredRow(int(r[0]), r[1], int(r[2]),
                                      None if r[3] is None else bytes(r[3]), props, bbox)
        return out

    def _next_versions(self, layer_id: int, fids: Sequence[str]) -> dict[str, int]:
        """Next version number for fids that had versions before (deleted and re-inserted)."""
        out: dict[str, int] = {}
        for i in range(0, len(fids), 900):
            chunk = list(fids[i:i + 900])
            rows = self._ex(
                "SELECT fid, MAX(version) FROM versions WHERE layer_id = ? AND fid IN "
                f"({','.join('?' * len(chunk))}) GROUP BY fid", [layer_id, *chunk]).fetchall()
            out.update({r[0]: int(r[1]) + 1 for r in rows})
        return out

    # -- primitive batch operations
    def insert_rows(self, layer: str, rows: Sequence[NewRow], *, known_new: bool = False) -> None:
        """Insert features that are not current. `known_new` skips the re-insert lookup."""
        if not rows:
            return
        layer_id, _ = self.layer(layer)
        if not known_new:
            existing = self.current(layer, [r.fid for r in rows])
            if existing:
                fid = next(iter(existing))
                raise Conflict("要素已存在", "feature already exists", {"layer": layer, "fid": fid})
            versions = self._next_versions(layer_id, [r.fid for r in rows])
        else:
            versions = {}
        self.store._insert_versions(self.conn, layer_id, self.seq, self.changeset_id,
                                    [(r, versions.get(r.fid, 1)) for r in rows])
        change = self.changes.setdefault(layer, LayerChange())
        change.inserted += len(rows)
        change.extend(union_bbox(r.bbox for r in rows))

    def replace_rows(self, layer: str, pairs: Sequence[tuple[StoredRow, NewRow]]) -> None:
        """Replace current versions with new content (an update of each feature)."""
        if not pairs:
            return
        layer_id, _ = self.layer(layer)
        self._end([old.id for old, _ in pairs])
        self.store._insert_versions(self.conn, layer_id, self.seq, self.changeset_id,
                                    [(new, old.version + 1) for old, new in pairs])
        change = self.changes.setdefault(layer, LayerChange())
        change.updated += len(pairs)
        change.extend(union_bbox([old.bbox for old, _ in pairs] + [n.bbox for _, n in pairs]))

    def delete_rows(self, layer: str, olds: Sequence[StoredRow]) -> None:
        if not olds:
            return
        self.layer(layer)
        self._end([o.id for o in olds])
        change = self.changes.setdefault(layer, LayerChange())
        change.deleted += len(olds)
        change.extend(union_bbox(o.bbox for o in olds))

    def _end(self, ids: Sequence[int]) -> None:
        for i in range(0, len(ids), 900):
            chunk = list(ids[i:i + 900])
            self._ex(f"UPDATE versions SET seq_to = ? WHERE id IN ({','.join('?' * len(chunk))})",
                     [self.seq, *chunk])

    # -- keyed synchronisation (re-import yields only the differences)
    def sync_rows(self, layer: str, rows: Sequence[NewRow], *, claimed: bool = False) -> None:
        """Make these features current: insert new ones, update changed ones, skip equal ones.

        `claimed` says the caller already passed these fids to `claim_keys`.
        """
        if not claimed:
            self.claim_keys(layer, [r.fid for r in rows])
        if layer in self._created:  # nothing was current before this changeset
            self.insert_rows(layer, rows, known_new=True)
            return
        current = self.current(layer, [r.fid for r in rows])
        inserts, replaces = [], []
        for r in rows:
            old = current.get(r.fid)
            if old is None:
                inserts.append(r)
            elif old.wkb != r.wkb or old.props_json != r.props_json:
                replaces.append((old, r))
        if inserts:
            layer_id, _ = self.layer(layer)
            versions = self._next_versions(layer_id, [r.fid for r in inserts])
            self.store._insert_versions(self.conn, layer_id, self.seq, self.changeset_id,
                                        [(r, versions.get(r.fid, 1)) for r in inserts])
            change = self.changes.setdefault(layer, LayerChange())
            change.inserted += len(inserts)
            change.extend(union_bbox(r.bbox for r in inserts))
        self.replace_rows(layer, replaces)

    def claim_keys(self, layer: str, fids: Sequence[str]) -> set[str]:
        """Record fids as present in this changeset's input (for `delete_unseen`); return
        those that were claimed before, i.e. duplicate keys. One round trip per 400 fids."""
        if not self._seen_ready:
            self._ex(self.store._temp_table_sql)
            self._ex("DELETE FROM seen_fids")
            self._seen_ready = True
        layer_id, _ = self.layer(layer)
        unique = list(dict.fromkeys(fids))
        duplicates = {f for f in fids if fids.count(f) > 1} if len(unique) < len(fids) else set()
        for i in range(0, len(unique), 400):
            chunk = unique[i:i + 400]
            values = ",".join(["(?, ?)"] * len(chunk))
            inserted = self._ex(
                f"INSERT INTO seen_fids (layer_id, fid) VALUES {values} ON CONFLICT DO NOTHING "
                "RETURNING fid", [x for fid in chunk for x in (layer_id, fid)]).fetchall()
            if len(inserted) < len(chunk):
                duplicates |= set(chunk) - {r[0] for r in inserted}
        return duplicates

    def delete_unseen(self, layer: str) -> int:
        """After `sync_rows` over a whole file: delete current features the file no longer has."""
        layer_id, _ = self.layer(layer)
        if layer in self._created:
            return 0  # every current feature was written by this changeset's sync_rows
        if not self._seen_ready:
            self.claim_keys(layer, [])
        total = 0
        while True:
            rows = self._ex(
                f"SELECT v.id, v.fid, v.version, v.minx, v.miny, v.maxx, v.maxy FROM versions v "
                f"WHERE v.layer_id = ? AND v.seq_to IS NULL AND v.fid NOT IN "
                f"(SELECT fid FROM seen_fids WHERE layer_id = ?) LIMIT {BATCH}",
                [layer_id, layer_id]).fetchall()
            if not rows:
                return total
            olds = [StoredRow(int(r[0]), r[1], int(r[2]), None, "",
                              None if r[3] is None else (r[3], r[4], r[5], r[6])) for r in rows]
            self.delete_rows(layer, olds)
            total += len(olds)

    # -- changeset values
    def apply_operations(self, changeset: Changeset) -> None:
        conflicts: list[str] = []
        for op in changeset.operations:
            current = self.current(op.layer, [op.fid]).get(op.fid)
            if op.kind is OpKind.INSERT:
                if current is not None:
                    conflicts.append(f"{op.layer}/{op.fid}: 已存在/exists")
                    continue
                wkb, bbox = geom_row(op.geometry)
                self.insert_rows(op.layer, [NewRow(op.fid, wkb, bbox,
                                                   dump_props(op.properties or {}))])
                continue
            if current is None or current.version != op.base_version:
                have = None if current is None else current.version
                conflicts.append(f"{op.layer}/{op.fid}: 基于版本/base {op.base_version}, "
                                 f"当前/current {have}")
                continue
            if op.kind is OpKind.DELETE:
                self.delete_rows(op.layer, [current])
            else:
                wkb, bbox = geom_row(op.geometry)
                self.replace_rows(op.layer, [(current, NewRow(op.fid, wkb, bbox,
                                                              dump_props(op.properties or {})))])
        if conflicts:
            raise Conflict("变更基于过期版本，未应用任何修改",
                           "changeset is based on stale versions; nothing was applied",
                           {"conflicts": conflicts})

    def _finish(self, now: datetime, message: str, source: str) -> None:
        layers = {k: v.to_dict() for k, v in self.changes.items()}
        self._ex("INSERT INTO log (seq, changeset_id, time, author, message, source, layers) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 [self.seq, self.changeset_id, self.store._time_to_db(now), self.actor.name,
                  message, source, orjson.dumps(layers).decode()])


# ---------------------------------------------------------------------- helpers
