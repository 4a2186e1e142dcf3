"""Colours, road classes and icon names of the default style (a light map like 天地图 vec).

Road classes are Geofabrik `fclass` values; landuse and water classes too. Icon names are the
ones the sprite at `/sprites/mapnode` provides.
"""

from __future__ import annotations

FONT = "Noto Sans CJK SC Regular"
FONT_BOLD = "Noto Sans CJK SC Bold"

LAND = "#f6f4ee"
WATER = "#a9cbe8"
WATER_LINE = "#8db6dc"
WATER_TEXT = "#3f6f9e"
TEXT = "#333333"
TEXT_SOFT = "#5b5b5b"
HALO = "#ffffff"
BOUNDARY = "#a88fc2"
COAST = "#7fa7cf"

# landuse fclass → fill colour; the last entry is the default
LANDUSE_COLOURS: list[tuple[list[str], str]] = [
    (["forest", "wood", "nature_reserve", "scrub", "heath"], "#cfe5c1"),
    (["park", "grass", "meadow", "recreation_ground", "village_green", "cemetery",
      "allotments"], "#dcefd0"),
    (["farmland", "farmyard", "orchard", "vineyard"], "#ebf0d6"),
    (["residential"], "#efece6"),
    (["commercial", "retail"], "#f4e9e4"),
    (["industrial", "quarry", "military"], "#ebe6ef"),
]
LANDUSE_DEFAULT = "#eeede6"

# road groups, drawn bottom to top: (id, fclass values, min zoom, fill, casing, widths by zoom)
ROAD_GROUPS: list[tuple[str, list[str], int, str, str, list[tuple[int, float]]]] = [
    ("path", ["footway", "path", "cycleway", "steps", "pedestrian", "track", "track_grade1",
              "track_grade2", "track_grade3", "track_grade4", "track_grade5", "bridleway"],
     14, "#ffffff", "#d4cfc4", [(14, 0.6), (16, 1.2), (18, 3.0)]),
    ("minor", ["residential", "unclassified", "living_street", "service", "road", "unknown"],
     12, "#ffffff", "#d4cfc4", [(12, 0.5), (14, 1.6), (16, 5.0), (18, 14.0)]),
    ("tertiary", ["tertiary", "tertiary_link"], 10, "#ffffff", "#cfc6b5",
     [(10, 0.6), (12, 1.4), (14, 3.0), (16, 7.0), (18, 18.0)]),
    ("secondary", ["secondary", "secondary_link"], 9, "#fdf4c8", "#d9c68a",
     [(9, 0.6), (12, 1.8), (14, 3.6), (16, 8.0), (18, 20.0)]),
    ("primary", ["primary", "primary_link", "trunk", "trunk_link"], 7, "#fde4a6", "#dcb46a",
     [(7, 0.6), (10, 1.2), (12, 2.4), (14, 4.4), (16, 10.0), (18, 24.0)]),
    ("motorway", ["motorway", "motorway_link"], 5, "#f8c57c", "#d0944a",
     [(5, 0.6), (8, 1.2), (12, 2.8), (14, 5.0), (16, 11.0), (18, 26.0)]),
]

# POI amenity → icon; the rest is poi-default
ICONS = ["poi-default", "poi-restaurant", "poi-school", "poi-hospital", "poi-bank", "poi-shop",
         "poi-hotel", "poi-park", "poi-government", "station-rail", "station-bus", "marker"]
AMENITY_ICONS: list[tuple[list[str], str]] = [
    (["restaurant", "fast_food", "cafe", "food_court", "bar", "pub", "ice_cream"],
     "poi-restaurant"),
    (["school", "university", "college", "kindergarten", "library", "language_school",
      "driving_school"], "poi-school"),
    (["hospital", "clinic", "doctors", "dentist", "pharmacy"], "poi-hospital"),
    (["bank", "atm", "bureau_de_change"], "poi-bank"),
    (["marketplace", "shop", "vending_machine"], "poi-shop"),
    (["hotel", "guest_house", "hostel"], "poi-hotel"),
    (["park", "garden", "fountain"], "poi-park"),
    (["townhall", "police", "courthouse", "post_office", "fire_station", "public_building",
      "government"], "poi-government"),
    (["bus_station", "bus_stop"], "station-bus"),
]

# icon colours: the sprite (mapnode.assets.sprites) draws each icon in its colour; the
# server renderer uses that same sprite
ICON_COLOURS = {"poi-default": "#8a8a8a", "poi-restaurant": "#e07b39", "poi-school": "#3f7fbf",
                "poi-hospital": "#d9453d", "poi-bank": "#c9a227", "poi-shop": "#b55fb0",
                "poi-hotel": "#6a5acd", "poi-park": "#4e9a4e", "poi-government": "#7b5d3f",
                "station-rail": "#2b5fa8", "station-bus": "#2f9e8f", "marker": "#e3342f"}
