"""The sequence log: one entry per applied changeset."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

BBox = tuple[float, float, float, float]


@dataclass
class LayerChange:
    """Per-layer summary of one log entry: counts and the bbox of old and new geometries."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    bbox: BBox | None = None

    def extend(self, box: BBox | None) -> None:
        if box is None:
            return
        if self.bbox is None:
            self.bbox = box
        else:
            a = self.bbox
            self.bbox = (min(a[0], box[0]), min(a[1], box[1]), max(a[2], box[2]), max(a[3], box[3]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "deleted": self.deleted,
            "bbox": list(self.bbox) if self.bbox else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LayerChange:
        bbox = d.get("bbox")
        return cls(d.get("inserted", 0), d.get("updated", 0), d.get("deleted", 0),
                   tuple(bbox) if bbox else None)  # type: ignore[arg-type]


@dataclass
class LogEntry:
    seq: int
    changeset_id: int
    time: datetime
    author: str
    message: str = ""
    source: str = ""
    layers: dict[str, LayerChange] = field(default_factory=dict)
