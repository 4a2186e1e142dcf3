"""Geometry checks for imports: parse, transform to CGCS2000 lon/lat, validate, repair."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.errors import GEOSException

from mapnode.crs import SourceCRS, to_storage_fn
from mapnode.errors import ProblemItem
from mapnode.ingest.source import SourceBatch
from mapnode.model.layer import GeometryType, LayerMeta
from mapnode.model.log import BBox

_FAMILY_OF_ID = {0: GeometryType.POINT, 4: GeometryType.POINT, 1: GeometryType.LINE,
                 5: GeometryType.LINE, 2: GeometryType.LINE, 3: GeometryType.POLYGON,
                 6: GeometryType.POLYGON}
_FAMILY_ZH = {GeometryType.POINT: "点", GeometryType.LINE: "线", GeometryType.POLYGON: "面"}


@dataclass
class CheckedGeometries:
    wkb: list[bytes | None]
    bbox: list[BBox | None]
    problems: list[ProblemItem] = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)  # unrepairable features dropped by --repair


class GeometryCheck:
    """Checks batches of one layer. `family` is the layer's geometry family once known."""

    def __init__(self, meta: LayerMeta, crs: SourceCRS, repair: bool, source: str) -> None:
        self.family: GeometryType | None = (
            meta.geometry_type if meta.geometry_type is not GeometryType.NONE else None)
        self.to_storage = to_storage_fn(crs)
        self.repair = repair
        self.source = source
        self._repairs: list[ProblemItem] = []

    def take_repairs(self) -> list[ProblemItem]:
        out, self._repairs = self._repairs, []
        return out

    def check(self, batch: SourceBatch) -> CheckedGeometries:
        n = len(batch)
        problems: list[ProblemItem] = []
        bad = np.zeros(n, dtype=bool)
        for i, (zh, en) in batch.errors.items():
            problems.append(self._problem(batch, i, zh, en, batch.error_fields.get(i)))
            bad[i] = True
        geoms = self._parse(batch, bad, problems)
        if self.to_storage is not None:
            ok = ~shapely.is_missing(geoms)
            geoms[ok] = shapely.transform(geoms[ok], self.to_storage)
        geoms = np.where(shapely.is_empty(geoms), None, geoms)
        present = ~shapely.is_missing(geoms) & ~bad
        type_ids = shapely.get_type_id(geoms)
        for i in np.flatnonzero(present):
            family = _FAMILY_OF_ID.get(int(type_ids[i]))
            if family is None:
                problems.append(self._problem(batch, i, "不支持的几何类型（几何集合）",
                                              "unsupported geometry type (collection)"))
                bad[i] = True
            elif self.family is None:
                self.family = family
            elif family is not self.family:
                problems.append(self._problem(
                    batch, i, f"几何类型混杂：图层为{_FAMILY_ZH[self.family]}，此要素为"
                    f"{_FAMILY_ZH[family]}", f"mixed geometry types: layer is "
                    f"{self.family.value}, feature is {family.value}"))
                bad[i] = True
        present &= ~bad
        bounds = shapely.bounds(geoms)
        out_of_range = present & ~(
            np.isfinite(bounds).all(axis=1) & (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180)
            & (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90))
        for i in np.flatnonzero(out_of_range):
            problems.append(self._problem(
                batch, i, "坐标超出经纬度范围（坐标系是否正确？可用 --crs 指定）",
                f"coordinates out of lon/lat range {tuple(np.round(bounds[i], 3))} "
                "(wrong CRS? name it with --crs)"))
        present &= ~out_of_range
        skipped = self._validate(batch, geoms, present, problems)
        bounds = shapely.bounds(geoms)
        wkb = shapely.to_wkb(geoms, output_dimension=2)
        boxes: list[BBox | None] = [
            tuple(map(float, bounds[i])) if geoms[i] is not None else None  # type: ignore[misc]
            for i in range(n)]
        return CheckedGeometries(list(wkb), boxes, problems, skipped)

    def _parse(self, batch: SourceBatch, bad: np.ndarray,
               problems: list[ProblemItem]) -> np.ndarray:
        raw = np.array([None if bad[i] else g for i, g in enumerate(batch.geometries)],
                       dtype=object)
        try:
            return np.asarray(shapely.from_wkb(raw), dtype=object)
        except (GEOSException, ValueError, TypeError):
            pass
        out = np.empty(len(raw), dtype=object)
        for i, g in enumerate(raw):
            try:
                out[i] = shapely.from_wkb(g) if g is not None else None
            except (GEOSException, ValueError, TypeError) as exc:
                text = str(exc)
                closed = "closed" in text.lower()
                zh = "多边形的环未闭合" if closed else "几何无法解析"
                en = ("unclosed ring: " if closed else "unreadable geometry: ") + text[:200]
                fixed = _fix_wkb(g) if self.repair else None
                if fixed is not None:
                    self._repairs.append(self._problem(
                        batch, i, f"已修复：{zh}，已闭合环", f"repaired: {en}; ring closed"))
                    out[i] = fixed
                    continue
                hint = ("（可用 --repair 修复）", " (use --repair)") if not self.repair else ("", "")
                problems.append(self._problem(batch, i, zh + hint[0], en + hint[1]))
                bad[i] = True
                out[i] = None
        return out

    def _validate(self, batch: SourceBatch, geoms: np.ndarray, present: np.ndarray,
                  problems: list[ProblemItem]) -> set[int]:
        """Report invalid geometries, or repair them; returns the indices --repair dropped."""
        if self.family is not GeometryType.POLYGON and self.family is not GeometryType.LINE:
            return set()
        idx = np.flatnonzero(present)
        skipped: set[int] = set()
        if idx.size == 0:
            return skipped
        valid = shapely.is_valid(geoms[idx])
        for j in np.flatnonzero(~valid):
            i = idx[j]
            reason = shapely.is_valid_reason(geoms[i])
            if not self.repair:
                problems.append(self._problem(
                    batch, i, f"几何无效：{reason}（可用 --repair 修复）",
                    f"invalid geometry: {reason} (use --repair)"))
                continue
            fixed = _repair(geoms[i], self.family)
            if fixed is None:  # degenerate (e.g. a zero-length line): dropped, and said so
                self._repairs.append(self._problem(
                    batch, i, f"已跳过：几何无效且无法修复（{reason}）",
                    f"skipped: invalid geometry that cannot be repaired ({reason})"))
                skipped.add(int(i))
                continue
            change = (f"面积 {geoms[i].area:.3g} → {fixed.area:.3g}" if self.family is
                      GeometryType.POLYGON else f"长度 {geoms[i].length:.3g} → {fixed.length:.3g}")
            self._repairs.append(self._problem(
                batch, i, f"已修复：{reason}；{change}",
                f"repaired: {reason}; {change.replace('面积', 'area').replace('长度', 'length')}"))
            geoms[i] = fixed
        return skipped

    def _problem(self, batch: SourceBatch, i: int, zh: str, en: str,
                 field_name: str | None = None) -> ProblemItem:
        return ProblemItem(zh, en, self.source, batch.labels[i], field_name)


def _fix_wkb(wkb: bytes | None) -> shapely.Geometry | None:
    """Parse WKB whose rings are not closed, closing them (shapely's `on_invalid="fix"`)."""
    if wkb is None:
        return None
    try:
        geom = shapely.from_wkb(wkb, on_invalid="fix")
    except (GEOSException, ValueError, TypeError):
        return None
    return None if geom is None or geom.is_empty else geom


def _repair(geom: shapely.Geometry, family: GeometryType) -> shapely.Geometry | None:
    """make_valid, keeping only the parts of the layer's family."""
    fixed = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(fixed)
             if _FAMILY_OF_ID.get(int(shapely.get_type_id(p))) is family]
    if not parts:
        return None
    if family is GeometryType.POLYGON:
        polys = [q for p in parts for q in shapely.get_parts(p)]
        return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    lines = [q for p in parts for q in shapely.get_parts(p)]
    return lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)
