"""The gazetteer index: derived tables built from published layers and kept current by
following the sequence log.

`catch_up()` is cheap when nothing changed (one `MAX(seq)` read) and otherwise applies the
changes between the indexed seq and the head inside the store's writer lock, so several
server processes never index the same seq twice. A changed POI/road layer is applied as the
store's diff between the two seqs (features added, changed, removed); a change to divisions,
seats or boundaries changes admin codes everywhere and triggers a `rebuild`.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from mapnode.errors import NotFound
from mapnode.model import Actor, Feature
from mapnode.places import AdminDivisions, Level
from mapnode.places.divisions import capital_rank
from mapnode.services.search.backends import COLUMNS, SearchBackend
from mapnode.services.search.config import ADMIN, ADMIN_RANK, SearchConfig, SourceSpec
from mapnode.services.search.locate import AdminLocator, load_divisions, representative_point
from mapnode.services.search.text import normalise, pinyin_of, street_key

Progress = Callable[[int, int], None]


@dataclass
class Member:
    layer: str
    fid: str
    key: str
    admin_code: str | None
    wkb: bytes | None
    data: dict[str, Any]  # names, category, street, housenumber, how (admin code evidence)


class Gazetteer:
    """One per store. Thread-safe; call `catch_up()` before reading."""

    def __init__(self, store: Any, config: SearchConfig | None = None) -> None:
        self.store = store
        self.config = config or SearchConfig()
        self.backend = SearchBackend(store)
        self.system = Actor.system()
        self._lock = threading.Lock()
        self._seen = -1
        self._divisions: AdminDivisions | None = None
        self._locator: AdminLocator | None = None
        self._schema_ready = False

    # ------------------------------------------------------------------ divisions
    @property
    def divisions(self) -> AdminDivisions:
        if self._divisions is None:
            c = self.config
            self._divisions = load_divisions(self.store, self.system, c.admin_layers,
                                             c.seats_layer, c.boundaries_layer, c.code_field)
            self._locator = AdminLocator(self._divisions)
            self._divisions.normaliser("臺灣")  # load OpenCC now, not in the first request
        return self._divisions

    @property
    def locator(self) -> AdminLocator:
        _ = self.divisions
        assert self._locator is not None
        return self._locator

    # ------------------------------------------------------------------ following the log
    def indexed_seq(self) -> int:
        self._ensure_schema()
        rows = self.store.query("SELECT value FROM search_state WHERE key = 'seq'")
        return int(rows[0][0]) if rows else -1

    def catch_up(self) -> int:
        """Index every seq published since the last call; returns the seq now indexed."""
        head = self.store.current_seq()
        if head == self._seen:
            return head
        with self._lock:
            self._ensure_schema()
            with self.store._transaction() as conn:
                head = self.store.current_seq()
                done = self._state(conn)
                if done < head or done < 0:
                    self._advance(conn, done, head)
                    self._set_state(conn, head)
            self._seen = head
        return head

    def rebuild(self, progress: Progress | None = None) -> int:
        """Rebuild the whole index from the layers as of the current seq."""
        with self._lock:
            self._ensure_schema()
            with self.store._transaction() as conn:
                head = self.store.current_seq()
                self._rebuild(conn, progress)
                self._set_state(conn, head)
            self._seen = head
        return head

    def _advance(self, conn: Any, done: int, head: int) -> None:
        if done < 0:
            self._rebuild(conn, None)
            return
        changed: set[str] = set()
        since = done
        while since < head:
            entries = self.store.log(self.system, since=since, limit=1000)
            if not entries:
                break
            for e in entries:
                changed |= set(e.layers)
            since = entries[-1].seq
        if changed & self.config.derived_layers:
            self._divisions = None
            self._rebuild(conn, None)
            return
        for layer in sorted(changed & self.config.layers):
            spec = self.config.source(layer)
            assert spec is not None
            self._apply_diff(conn, spec, done, head)

    def _apply_diff(self, conn: Any, spec: SourceSpec, a: int, b: int) -> None:
        try:
            d = self.store.diff(self.system, spec.layer, a, b)
        except NotFound:  # the layer is gone
            self._drop_layer(conn, spec.layer)
            return
        gone = [f.fid for f in d.removed] + [c.old.fid for c in d.changed]
        new = d.added + [c.new for c in d.changed]
        keys = self._member_keys(conn, spec.layer, gone + [f.fid for f in new])
        self._delete_members(conn, spec.layer, gone + [f.fid for f in new])
        members = self._members(spec, new)
        self._insert_members(conn, members)
        self._refresh(conn, keys | {m.key for m in members}, self._edition(spec.layer))

    # ------------------------------------------------------------------ rebuilding
    def _rebuild(self, conn: Any, progress: Progress | None) -> None:
        for table in ("search_entries", "search_members", "search_grams"):
            conn.execute(f"DELETE FROM {table}")
        specs = [s for s in self.config.sources if self._exists(s.layer)]
        total = sum(self.store.count(self.system, s.layer) for s in specs)
        done = 0
        self._write_admin(conn)
        for spec in specs:
            members: list[Member] = []
            batch: list[Feature] = []
            for f in self.store.features(self.system, spec.layer):
                batch.append(f)
                if len(batch) >= 5000:
                    members += self._members(spec, batch)
                    done += len(batch)
                    batch = []
                    if progress:
                        progress(done, total)
            members += self._members(spec, batch)
            done += len(batch)
            self._insert_members(conn, members)
            by_key: dict[str, list[Member]] = defaultdict(list)
            for m in members:
                by_key[m.key].append(m)
            self._write_entries(conn, by_key, self._edition(spec.layer))
            if progress:
                progress(done, total)

    def _exists(self, layer: str) -> bool:
        try:
            self.store.layer(self.system, layer)
        except NotFound:
            return False
        return True

    def _edition(self, layer: str) -> str:
        return self.store.layer(self.system, layer).edition.value

    def _drop_layer(self, conn: Any, layer: str) -> None:
        conn.execute(self.store._sql("DELETE FROM search_members WHERE layer = ?"), [layer])
        self._delete_entries(conn, "layer = ?", [layer])

    # ------------------------------------------------------------------ members → entries
    def _members(self, spec: SourceSpec, features: Sequence[Feature]) -> list[Member]:
        named = []
        for f in features:
            names = [str(f.properties[k]).strip() for k in spec.name_fields
                     if f.properties.get(k) not in (None, "")]
            names = [n for n in dict.fromkeys(names) if normalise(n)]
            street, number = f.properties.get("addr:street"), f.properties.get("addr:housenumber")
            if not names and street and number:  # an address point: named by its address
                names = [f"{street}{str(number).removesuffix('号')}号"]
            if names and f.geometry is not None and not f.geometry.is_empty:
                named.append((f, names))
        points = [representative_point(f.geometry) for f, _ in named]
        located = self.locator.locate(points, [f.properties for f, _ in named])
        out = []
        for (f, names), loc in zip(named, located, strict=True):
            cat = str(f.properties.get(spec.category_field) or "") if spec.category_field \
                else (spec.category or "")
            data = {"names": names, "category": cat or spec.category or None, "how": loc.how,
                    "street": f.properties.get("addr:street"),
                    "housenumber": f.properties.get("addr:housenumber")}
            key = (f"{spec.layer}/{loc.code or '-'}/{normalise(names[0])}" if spec.merge
                   else f"{spec.layer}/{f.fid}")
            out.append(Member(spec.layer, f.fid, key, loc.code,
                              shapely.to_wkb(f.geometry, output_dimension=2), data))
        return out

    def _write_entries(self, conn: Any, by_key: dict[str, list[Member]], edition: str) -> None:
        rows = []
        for key, members in by_key.items():
            spec = self.config.source(members[0].layer)
            assert spec is not None
            rows.append(_entry_row(key, members, spec, edition))
        self._insert_entries(conn, rows)

    def _insert_entries(self, conn: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert entry rows and the 1- and 2-character grams of their names."""
        marks = ",".join("?" * len(COLUMNS))
        self.backend.executemany(
            conn, f"INSERT INTO search_entries ({','.join(COLUMNS)}) VALUES ({marks})", rows)
        keys = [r[0] for r in rows]
        grams = []
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            found = conn.execute(self.store._sql(
                f"SELECT id, norm, alt FROM search_entries WHERE key IN ({','.join('?' * len(chunk))})"),
                chunk).fetchall()
            for entry_id, norm, alt in found:
                grams += [(g, entry_id) for g in _grams([norm, *alt.split("|")])]
        self.backend.executemany(conn, "INSERT INTO search_grams (gram, id) VALUES (?, ?)", grams)

    def _delete_entries(self, conn: Any, where: str, args: Sequence[Any]) -> None:
        conn.execute(self.store._sql(
            f"DELETE FROM search_grams WHERE id IN (SELECT id FROM search_entries WHERE {where})"), args)
        conn.execute(self.store._sql(f"DELETE FROM search_entries WHERE {where}"), args)

    def _refresh(self, conn: Any, keys: Iterable[str], edition: str) -> None:
        keys = sorted(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            self._delete_entries(conn, f"key IN ({marks})", chunk)
            rows = conn.execute(self.store._sql(
                f"SELECT layer, fid, key, admin_code, wkb, data FROM search_members "
                f"WHERE key IN ({marks})"), chunk).fetchall()
            by_key: dict[str, list[Member]] = defaultdict(list)
            for r in rows:
                by_key[r[2]].append(Member(r[0], r[1], r[2], r[3], bytes(r[4]) if r[4] else None,
                                           orjson.loads(r[5])))
            self._write_entries(conn, by_key, edition)

    def _member_keys(self, conn: Any, layer: str, fids: Sequence[str]) -> set[str]:
        keys: set[str] = set()
        for i in range(0, len(fids), 500):
            chunk = list(fids[i:i + 500])
            marks = ",".join("?" * len(chunk))
            keys |= {r[0] for r in conn.execute(self.store._sql(
                f"SELECT key FROM search_members WHERE layer = ? AND fid IN ({marks})"),
                [layer, *chunk]).fetchall()}
        return keys

    def _delete_members(self, conn: Any, layer: str, fids: Sequence[str]) -> None:
        for i in range(0, len(fids), 500):
            chunk = list(fids[i:i + 500])
            marks = ",".join("?" * len(chunk))
            conn.execute(self.store._sql(
                f"DELETE FROM search_members WHERE layer = ? AND fid IN ({marks})"), [layer, *chunk])

    def _insert_members(self, conn: Any, members: Sequence[Member]) -> None:
        self.backend.executemany(
            conn, "INSERT INTO search_members (layer, fid, key, admin_code, wkb, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(m.layer, m.fid, m.key, m.admin_code, m.wkb, orjson.dumps(m.data).decode())
             for m in members])

    # ------------------------------------------------------------------ divisions as entries
    def _write_admin(self, conn: Any) -> None:
        div = self.divisions
        editions = {}
        for level, layer in enumerate(self.config.admin_layers, start=1):
            if self._exists(layer):
                editions[level] = (layer, self._edition(layer))
        rows = []
        # provincial capitals and their districts first: among divisions that match equally
        # (xihu: 西湖区 of 杭州 and of 南昌, 溪湖区 of 本溪) the lower id wins
        for d in sorted(div, key=lambda d: (capital_rank(d), d.code)):
            if d.is_pseudo or d.level > Level.TOWNSHIP or d.level not in editions:
                continue
            layer, edition = editions[d.level]
            alts = [d.short_name, *d.aliases, *_path_names(div, d)]
            pinyin, initials = (d.pinyin, d.initials) if d.pinyin else pinyin_of(
                d.short_name, phrases=d.level <= Level.COUNTY)
            lon, lat = d.seat if d.seat else (None, None)
            info = {"level": int(d.level), "full_name": div.full_name(d.code), "code": d.adcode,
                    "names": list(dict.fromkeys([d.name, *alts]))}
            rows.append((f"admin/{d.code}", layer, edition, ADMIN, d.name, normalise(d.name),
                         _alt(alts), pinyin, initials, d.level.name.lower(), d.adcode, lon, lat,
                         lon, lat, lon, lat, ADMIN_RANK[int(d.level)], None, None,
                         orjson.dumps(info).decode()))
        self._insert_entries(conn, rows)

    # ------------------------------------------------------------------ state
    def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        with self.store._transaction() as conn:
            self.backend.create(conn)
        self._schema_ready = True

    def _state(self, conn: Any) -> int:
        row = conn.execute("SELECT value FROM search_state WHERE key = 'seq'").fetchone()
        return int(row[0]) if row else -1

    def _set_state(self, conn: Any, seq: int) -> None:
        conn.execute("DELETE FROM search_state WHERE key = 'seq'")
        conn.execute(self.store._sql("INSERT INTO search_state (key, value) VALUES ('seq', ?)"),
                     [str(seq)])


def _path_names(div: AdminDivisions, d: Any) -> list[str]:
    """A county named with its parents, as addresses write it: 杭州市西湖区, 浙江省杭州市西湖区,
    杭州西湖区 (counties below a real city only: townships would add 40,000 entries' worth of
    grams, and the address parser reads their parents anyway)."""
    chain = [x for x in div.chain(d.code) if not x.is_pseudo]
    if len(chain) != 3 or d.level is not Level.COUNTY:
        return []
    parent = chain[-2]
    return [parent.name + d.name, parent.short_name + d.name, "".join(x.name for x in chain)]


def _grams(names: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for n in names:
        out.update(n)
        out.update(n[i:i + 2] for i in range(len(n) - 1))
    return out


def _alt(names: Iterable[str]) -> str:
    """Other names as `|a|b|`, so that exact and prefix matches are LIKE patterns."""
    keys = [normalise(n).replace("|", "") for n in names]
    return "|" + "|".join(k for k in dict.fromkeys(keys) if k) + "|"


def _entry_row(key: str, members: list[Member], spec: SourceSpec, edition: str) -> tuple[Any, ...]:
    names = Counter(m.data["names"][0] for m in members)
    name = names.most_common(1)[0][0]
    alts = [n for m in members for n in m.data["names"]]
    geoms = [shapely.from_wkb(m.wkb) for m in members if m.wkb]
    bounds = shapely.total_bounds(geoms)
    longest = max(geoms, key=lambda g: g.length if g.length else g.area)
    point: BaseGeometry | None = representative_point(longest)
    cats = Counter(m.data["category"] for m in members if m.data.get("category"))
    category = cats.most_common(1)[0][0] if cats else None
    addr = next((m for m in members if m.data.get("housenumber")), None)
    pinyin, initials = pinyin_of(name)
    info = {"fids": sorted(m.fid for m in members)[:50], "members": len(members),
            "names": list(dict.fromkeys(alts))[:10],
            "admin_how": members[0].data.get("how"),
            "street_name": str(addr.data["street"]) if addr and addr.data.get("street") else None}
    return (key, spec.layer, edition, spec.kind, name, normalise(name).replace("|", ""),
            _alt(alts), pinyin, initials, category, members[0].admin_code,
            point.x if point is not None else None, point.y if point is not None else None,
            *[float(v) for v in bounds], spec.rank,
            street_key(str(addr.data["street"])) if addr and addr.data.get("street") else None,
            str(addr.data["housenumber"]).removesuffix("号") if addr else None, orjson.dumps(info).decode())
