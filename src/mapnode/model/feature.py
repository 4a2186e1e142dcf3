"""Features as read from the store, and the difference between two states."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry


@dataclass
class Feature:
    """One version of one feature. `seq_to` is None while the version is current."""

    layer: str
    fid: str
    version: int
    geometry: BaseGeometry | None
    properties: dict[str, Any]
    seq_from: int = 0
    seq_to: int | None = None

    def to_geojson(self) -> dict[str, Any]:
        from shapely.geometry import mapping

        return {
            "type": "Feature",
            "id": self.fid,
            "geometry": mapping(self.geometry) if self.geometry is not None else None,
            "properties": self.properties,
        }


@dataclass
class FeatureChange:
    """A feature that exists in both states with different content."""

    old: Feature
    new: Feature


@dataclass
class Diff:
    """What changed in a layer between two sequence numbers (变化提取)."""

    layer: str
    from_seq: int
    to_seq: int
    added: list[Feature] = field(default_factory=list)
    changed: list[FeatureChange] = field(default_factory=list)
    removed: list[Feature] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed), "removed": len(self.removed)}
