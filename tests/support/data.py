"""Where the real test data lives (../shared/data beside the repo, or MAPNODE_SHARED_DATA)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("MAPNODE_SHARED_DATA", REPO.parent / "shared" / "data"))

HANGZHOU_GPKG = SHARED_DATA / "osm_hangzhou_roads_water_landuse_2019" / (
    "hangzhou_osm_roads_water_landuse.gpkg")
AMENITIES_GPKG = SHARED_DATA / "osm_hangzhou_amenities_2024" / "hangzhou_osm_amenities_2024.gpkg"
AMENITIES_CSV = SHARED_DATA / "osm_hangzhou_amenities_2024" / (
    "hangzhou_osm_amenities_named_points.csv")
AMENITIES_PBF = SHARED_DATA / "osm_hangzhou_amenities_2024" / (
    "hangzhou_amenities_overpass_2024.osm.pbf")
STATIONS_GPKG = SHARED_DATA / "osm_china_railway_stations_2025" / (
    "china_railway_stations_osm_2025.gpkg")
COASTLINE = SHARED_DATA / "coastline_rivers_gshhg" / "gshhg_full_coastline_hangzhou_bay.geojson"
RASTERS = SHARED_DATA / "raster_samples_rasterio"
DEM = SHARED_DATA / "dem_china_cnmaps_sample"


def data(*parts: str) -> Path:
    return SHARED_DATA.joinpath(*parts)
