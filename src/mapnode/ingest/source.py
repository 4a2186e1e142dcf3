"""What every reader produces: layer descriptions and streamed batches of raw features."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from mapnode.errors import ProblemItem
from mapnode.model.layer import FieldType, GeometryType


@dataclass
class SourceLayer:
    """One layer of an input file as the reader found it (before the user's overrides)."""

    name: str  # the layer's name in the file; the importer maps it to a store layer
    geometry_type: GeometryType
    fields: dict[str, FieldType]
    crs: str | None  # as the file declares it (EPSG code or WKT); None when it declares none
    count: int | None = None  # features, when known cheaply (for the progress bar)
    default_key: str | None = None  # a field that identifies features (e.g. OSM ids)
    extra: dict[str, Any] = field(default_factory=dict)
    # True when every value of a field is known to have the field's type (typed columns, as
    # from GDAL/Arrow); the importer then checks values only where the layer's type differs.
    typed: bool = False


@dataclass
class SourceBatch:
    """Up to a few thousand features in the source CRS.

    `geometries` holds WKB bytes (or None); `labels` names each feature for error messages
    (a row number, an OSM id); `properties` holds one dict per feature, nulls left out.
    `errors` holds per-feature read problems (index -> reason) found by the reader itself;
    `error_fields` names the field a read problem is about, where there is one.
    """

    geometries: list[bytes | None] = field(default_factory=list)
    properties: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    errors: dict[int, tuple[str, str]] = field(default_factory=dict)
    error_fields: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.properties)

    def error(self, i: int, zh: str, en: str, field_name: str | None = None) -> None:
        """Record a read problem for feature `i` (the first one found is kept)."""
        if i not in self.errors:
            self.errors[i] = (zh, en)
            if field_name is not None:
                self.error_fields[i] = field_name


class Reader(Protocol):
    """A format reader. It streams: memory does not grow with the size of the input.

    `notes` collects what the reader decided on the user's behalf (an encoding it detected,
    features it skipped under `--repair`); the importer passes them on in its report.
    """

    source: str  # the file name, for messages
    notes: list[ProblemItem]

    def layers(self) -> list[SourceLayer]: ...

    def batches(self, layer: SourceLayer, batch_size: int) -> Iterator[SourceBatch]: ...


def empty_mask(n: int) -> np.ndarray:
    return np.zeros(n, dtype=bool)
