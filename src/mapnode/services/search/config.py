"""Which published layers feed the gazetteer, and how (a small declarative table).

Each `SourceSpec` names a store layer, the kind of entry it gives, the property fields that
hold names (the first non-empty one is the display name, the others are also searchable) and
the field that holds the category. Road layers are `merge`d: every named way of one name in
one county becomes one entry (a road is one place, not 40 OSM ways). Administrative divisions
come from the NBS table layers through `mapnode.places.sources.load_from_store`; seats and
boundaries, when the node has published them, from `seats_layer` and `boundaries_layer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

POI = "poi"
ROAD = "road"
ADMIN = "admin"
KINDS = (ADMIN, POI, ROAD)


@dataclass(frozen=True)
class SourceSpec:
    layer: str
    kind: str  # poi | road
    name_fields: tuple[str, ...] = ("name", "name:zh", "official_name", "alt_name", "brand")
    category_field: str | None = None
    category: str | None = None  # fixed category when the layer has no category field
    merge: bool = False  # one entry per (name, county) instead of one per feature
    rank: int = 6  # importance: lower first among equally good matches


@dataclass(frozen=True)
class SearchConfig:
    sources: tuple[SourceSpec, ...] = field(default_factory=lambda: DEFAULT_SOURCES)
    admin_layers: tuple[str, ...] = ("admin_provinces", "admin_cities", "admin_counties",
                                     "admin_townships")
    seats_layer: str = "admin_seats"  # points with `adcode` (e.g. cpca seats, GCJ-02 converted)
    boundaries_layer: str = "admin_boundaries"  # county polygons with `adcode`
    code_field: str = "adcode"
    max_radius_m: float = 50_000.0
    max_limit: int = 300  # 天地图 allows count up to 300
    max_offset: int = 10_000
    max_keyword: int = 100

    def source(self, layer: str) -> SourceSpec | None:
        return next((s for s in self.sources if s.layer == layer), None)

    @property
    def layers(self) -> set[str]:
        return {s.layer for s in self.sources}

    @property
    def derived_layers(self) -> set[str]:
        """Layers whose change alters the admin codes of entries (divisions, seats, boundaries)."""
        return {*self.admin_layers, self.seats_layer, self.boundaries_layer}


DEFAULT_SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("poi_points", POI, category_field="amenity"),
    SourceSpec("poi_polygons", POI, category_field="amenity"),
    SourceSpec("poi_lines", POI, category_field="amenity"),
    SourceSpec("stations", POI, name_fields=("name",), category_field="station", rank=4),
    SourceSpec("water", POI, name_fields=("name",), category_field="fclass", rank=5),
    SourceSpec("landuse", POI, name_fields=("name",), category_field="fclass", rank=7),
    SourceSpec("roads", ROAD, name_fields=("name",), category_field="fclass", merge=True, rank=5),
)

ADMIN_RANK = {1: 1, 2: 2, 3: 3, 4: 5}  # Level → rank: provinces, cities, counties before POIs
