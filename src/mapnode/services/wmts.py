"""WMTS 1.0.0 as domain code: the layers a caller may see, request parameters (KVP, RESTful and
the 天地图 shapes), and the capabilities document. No HTTP here (mapnode.http.wmts renders).

- **Layers**: the raster tilesets `basemap` (天地图 `vec`), `labels` (`cva`), `imagery` (`img`)
  and every vector layer the caller may see (MVT and rendered images). 天地图 names are accepted
  wherever a layer is named, and are the identifiers of the `/{vec|cva|img}_{w|c}/wmts` shape.
- **TileMatrixSets**: WebMercatorQuad, CGCS2000Quad and WorldCRS84Quad (`w` and `c` in the 天地图
  shape). Scale denominators follow the standard 0.28 mm pixel; for the geographic sets one
  degree is 2π·6378137/360 m. CGCS2000Quad is `urn:ogc:def:crs:EPSG::4490`, whose axis order is
  latitude, longitude: its TopLeftCorner is `90 -180` (GDAL and OpenLayers read it in the CRS's
  axis order); WorldCRS84Quad is lon/lat (`-180 90`).
- **Time**: a `Time` dimension (ISO 8601 instants, default `current`); an instant selects the
  data as it stood then.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any

from lxml import etree

from mapnode.errors import MapnodeError, NotFound
from mapnode.grids import GRIDS, TILE_SIZE, Grid
from mapnode.model import Actor, GeometryType, LayerKind, LayerMeta
from mapnode.store import VersionedStore

NS = {"wmts": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1",
      "xlink": "http://www.w3.org/1999/xlink", "gml": "http://www.opengis.net/gml"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
VERSION = "1.0.0"
PIXEL_M = 0.00028  # the standard rendering pixel of OGC scale denominators
METRES_PER_DEGREE = 2 * math.pi * 6378137.0 / 360

MVT = "application/vnd.mapbox-vector-tile"
MEDIA = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", MVT: "mvt"}
EXTENSIONS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp", "mvt": "mvt",
              "pbf": "mvt"}
MEDIA_OF = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "mvt": MVT}
RASTER = ("image/png", "image/jpeg", "image/webp")


@dataclass(frozen=True)
class Special:
    """A raster-only tileset with a 天地图 name."""

    tileset: str
    tianditu: str
    title_zh: str
    title_en: str
    tiles_format: str  # what 天地图's FORMAT=tiles means for it
    formats: tuple[str, ...]


SPECIAL = {s.tileset: s for s in (
    Special("basemap", "vec", "矢量底图", "Vector base map", "png", (*RASTER, MVT)),
    Special("labels", "cva", "矢量注记", "Vector labels", "png", ("image/png", "image/webp")),
    Special("imagery", "img", "影像底图", "Imagery", "jpg", ("image/jpeg", "image/png", "image/webp")),
)}
TIANDITU = {**{s.tianditu: s.tileset for s in SPECIAL.values()}, "cia": "labels"}  # cia: 影像注记
GRID_IDS = {"w": "WebMercatorQuad", "c": "CGCS2000Quad"}


class WmtsError(MapnodeError):
    """A WMTS request error with its OWS exception code and locator (the parameter)."""

    code = "wmts"

    def __init__(self, ows_code: str, locator: str, message_zh: str, message_en: str,
                 context: dict[str, Any] | None = None) -> None:
        super().__init__(message_zh, message_en, context or {})
        self.ows_code = ows_code
        self.locator = locator


def missing(name: str) -> WmtsError:
    return WmtsError("MissingParameterValue", name, f"缺少参数 {name}",
                     f"missing parameter {name}")


def invalid(name: str, value: str, known: str = "") -> WmtsError:
    context = {"parameter": name, "value": value, **({"known": known} if known else {})}
    return WmtsError("InvalidParameterValue", name, f"参数 {name} 的值无效",
                     f"invalid value of parameter {name}", context)


@dataclass(frozen=True)
class WmtsLayer:
    """One layer of the capabilities: its identifier and the tileset it serves."""

    id: str
    tileset: str
    title_zh: str
    title_en: str
    abstract: str
    formats: tuple[str, ...]
    bbox: tuple[float, float, float, float] | None  # lon/lat
    times: tuple[datetime, ...]


@dataclass(frozen=True)
class TileRequest:
    """A GetTile request, parsed and checked against the grid."""

    layer: str  # the identifier as asked (basemap, vec, roads…)
    tileset: str
    style: str
    grid: Grid
    z: int
    row: int
    col: int
    fmt: str  # png, jpg, webp or mvt
    time: datetime | None


# ---------------------------------------------------------------------------------- layers


def tileset_of(name: str) -> str:
    """The tileset a layer identifier names (天地图 names included)."""
    return TIANDITU.get(name, name)


def layers(store: VersionedStore, actor: Actor, only: str | None = None,
           tianditu: bool = False) -> list[WmtsLayer]:
    """The layers the actor may see (or just `only`); 天地图 identifiers when `tianditu`.
    Hidden or unknown layers are NotFound."""
    metas = [m for m in store.layers(actor)
             if m.kind is LayerKind.VECTOR and m.geometry_type is not GeometryType.NONE]
    rasters = [m for m in store.layers(actor) if m.kind is LayerKind.RASTER and m.raster_path]
    extents = {m.name: store.extent(actor, m.name) for m in metas}
    boxes = [e[0] for e in extents.values() if e[0] is not None]
    times = _times(store, actor)
    found: list[WmtsLayer] = []
    for s in SPECIAL.values():
        if s.tileset == "imagery" and not rasters:
            continue
        box = _union([_raster_bbox(m) for m in rasters]) if s.tileset == "imagery" \
            else _union(boxes)
        if s.tileset != "imagery" and not metas:
            continue
        layer_times = () if s.tileset == "imagery" else times.get("*", ())
        found.append(WmtsLayer(s.tianditu if tianditu else s.tileset, s.tileset, s.title_zh,
                               s.title_en, "", s.formats, box, layer_times))
    for m in metas:
        found.append(WmtsLayer(m.name, m.name, m.title_zh or m.name, m.title_en or m.name,
                               m.abstract, formats_of(m.name), extents[m.name][0],
                               times.get(m.name, ())))
    for m in rasters:
        found.append(WmtsLayer(m.name, m.name, m.title_zh or m.name, m.title_en or m.name,
                               m.abstract, RASTER, _raster_bbox(m), times.get(m.name, ())))
    if only is None:
        return found
    wanted = tileset_of(only)
    chosen = [replace(lay, id=only) if tianditu else lay for lay in found
              if lay.tileset == wanted]
    if not chosen:
        raise NotFound("图层不存在", "layer not found", {"layer": only})
    return chosen


def _times(store: VersionedStore, actor: Actor, limit: int = 100) -> dict[str, tuple[datetime, ...]]:
    """Per layer (and `*` for any), the times of the last `limit` log entries that changed it."""
    per: dict[str, list[datetime]] = {"*": []}
    since = max(0, store.current_seq() - 10_000)
    for entry in store.log(actor, since, 10_000):
        if not entry.layers:
            continue
        per["*"].append(entry.time)
        for name in entry.layers:
            per.setdefault(name, []).append(entry.time)
    return {k: tuple(v[-limit:]) for k, v in per.items()}


def _raster_bbox(meta: LayerMeta) -> tuple[float, float, float, float] | None:
    box = meta.extra.get("bbox_lonlat") if meta.extra else None
    return tuple(float(v) for v in box) if box and len(box) == 4 else None  # type: ignore[return-value]


def _union(boxes: list[Any]) -> tuple[float, float, float, float] | None:
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


# ------------------------------------------------------------------------------ parameters


def kvp(query: Mapping[str, str]) -> dict[str, str]:
    """KVP names are case-insensitive: upper-case them (the first value wins)."""
    params: dict[str, str] = {}
    for k, v in query.items():
        params.setdefault(k.upper(), v)
    return params


def operation(params: Mapping[str, str]) -> str:
    """Check SERVICE/VERSION/REQUEST; returns GetCapabilities or GetTile."""
    request = params.get("REQUEST")
    if not request:
        raise missing("REQUEST")
    service = params.get("SERVICE")
    if not service:
        raise missing("SERVICE")
    if service.upper() != "WMTS":
        raise invalid("SERVICE", service, "WMTS")
    for known in ("GetCapabilities", "GetTile"):
        if request.lower() == known.lower():
            if known == "GetTile":
                version = params.get("VERSION")
                if not version:
                    raise missing("VERSION")
                if version != VERSION:
                    raise invalid("VERSION", version, VERSION)
            return known
    if request.lower() == "getfeatureinfo":
        raise WmtsError("OperationNotSupported", "REQUEST", "不支持该操作",
                        "operation not supported", {"request": request})
    raise invalid("REQUEST", request, "GetCapabilities, GetTile")


def tile_request(params: Mapping[str, str], *, path_layer: str | None = None,
                 path_grid: str | None = None) -> TileRequest:
    """A GetTile from KVP parameters; `path_layer`/`path_grid` come from the 天地图 path
    (`/vec_c/wmts`), where FORMAT=tiles means what it means at 天地图."""
    layer = params.get("LAYER") or path_layer
    if not layer:
        raise missing("LAYER")
    if path_layer is not None and tileset_of(layer) != tileset_of(path_layer):
        raise invalid("LAYER", layer, path_layer)
    fmt_text = params.get("FORMAT")
    if not fmt_text:
        raise missing("FORMAT")
    tms = params.get("TILEMATRIXSET") or path_grid
    if not tms:
        raise missing("TILEMATRIXSET")
    if path_grid is not None and GRID_IDS.get(tms, tms) != GRID_IDS[path_grid]:
        raise invalid("TILEMATRIXSET", tms, path_grid)
    for name in ("TILEMATRIX", "TILEROW", "TILECOL"):
        if not params.get(name):
            raise missing(name)
    if fmt_text.lower() == "tiles":
        special = SPECIAL.get(tileset_of(layer))
        fmt = special.tiles_format if special else "png"
    elif fmt_text in MEDIA:
        fmt = MEDIA[fmt_text]
    else:
        raise invalid("FORMAT", fmt_text, ", ".join(MEDIA))
    return checked(layer, params.get("STYLE") or "default", tms, params["TILEMATRIX"],
                   params["TILEROW"], params["TILECOL"], fmt, params.get("TIME"))


def rest_request(layer: str, style: str, tms: str, matrix: str, row: str, col_ext: str,
                 time_text: str | None = None) -> TileRequest:
    """A GetTile from the RESTful path `{layer}/{style}/{tms}/{matrix}/{row}/{col}.{ext}`."""
    col, dot, ext = col_ext.rpartition(".")
    if not dot or ext.lower() not in EXTENSIONS:
        raise invalid("FORMAT", ext, ", ".join(EXTENSIONS))
    return checked(layer, style, tms, matrix, row, col, EXTENSIONS[ext.lower()], time_text)


def checked(layer: str, style: str, tms: str, matrix: str, row: str, col: str, fmt: str,
            time_text: str | None) -> TileRequest:
    """Check every parameter that does not need the store; the layer is checked later."""
    if style not in ("default", ""):
        raise invalid("STYLE", style, "default")
    g = GRIDS.get(GRID_IDS.get(tms, tms))
    if g is None:
        raise invalid("TILEMATRIXSET", tms, ", ".join([*GRIDS, *GRID_IDS]))
    z = _integer("TILEMATRIX", matrix)
    if not g.minzoom <= z <= g.maxzoom:
        raise invalid("TILEMATRIX", matrix, f"{g.minzoom}–{g.maxzoom}")
    y, x = _integer("TILEROW", row), _integer("TILECOL", col)
    m = g.tms.matrix(z - g.level_offset)
    for name, value, size in (("TILEROW", y, m.matrixHeight), ("TILECOL", x, m.matrixWidth)):
        if not 0 <= value < size:
            raise WmtsError("TileOutOfRange", name, "瓦片行列号超出范围",
                            "tile row or column out of range",
                            {"parameter": name, "value": value, "size": size})
    return TileRequest(layer, tileset_of(layer), "default", g, z, y, x, fmt,
                       instant(time_text))


def _integer(name: str, text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise invalid(name, text)
    return int(text)


def instant(text: str | None) -> datetime | None:
    """A TIME value: empty, `current` or `default` mean now; else an ISO 8601 instant (a date
    means 00:00 UTC, no offset means UTC). Intervals are refused."""
    if text is None or text.strip().lower() in ("", "current", "default", "now"):
        return None
    value = text.strip()
    if "T" in value and value[-6:-5] == " ":  # a "+hh:mm" offset whose + was not URL-encoded
        value = value[:-6] + "+" + value[-5:]
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("TIME", text, "ISO 8601 instant") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def formats_of(tileset: str) -> tuple[str, ...]:
    """The media types a tileset is served in (every vector layer: MVT and images)."""
    special = SPECIAL.get(tileset)
    return special.formats if special else (MVT, *RASTER)


def check_format(req: TileRequest) -> None:
    formats = formats_of(req.tileset)
    if MEDIA_OF[req.fmt] not in formats:
        raise invalid("FORMAT", MEDIA_OF[req.fmt], ", ".join(formats))


# ---------------------------------------------------------------------------- capabilities


@dataclass(frozen=True)
class MatrixSet:
    """A TileMatrixSet as advertised: its identifier (`w`/`c` in the 天地图 shape) and grid."""

    id: str
    grid: Grid


def matrix_sets(tianditu: str | None = None) -> list[MatrixSet]:
    if tianditu is not None:
        return [MatrixSet(tianditu, GRIDS[GRID_IDS[tianditu]])]
    return [MatrixSet(g.id, g) for g in GRIDS.values()]


def capabilities(wmts_layers: list[WmtsLayer], sets: list[MatrixSet], *, kvp_url: str,
                 rest_url: str | None, query: str = "", title_zh: str, title_en: str,
                 operator: str = "") -> bytes:
    """The WMTS 1.0.0 capabilities document. `kvp_url` ends with `?` (or `&`); `rest_url` is
    the RESTful base (…/wmts/1.0.0) or None; `query` (e.g. `?tk=…`) is added to templates."""
    root = _el("wmts", "Capabilities", nsmap={None: NS["wmts"], **{k: v for k, v in NS.items()
                                                                    if k != "wmts"}})
    root.set("version", VERSION)
    ident = _sub(root, "ows", "ServiceIdentification")
    _title(ident, title_zh, title_en)
    _sub(ident, "ows", "Abstract").text = (
        "瓦片地图服务（矢量底图、注记、影像与各图层）/ tiled maps: base map, labels, imagery, layers")
    _sub(ident, "ows", "ServiceType").text = "OGC WMTS"
    _sub(ident, "ows", "ServiceTypeVersion").text = VERSION
    _sub(ident, "ows", "Fees").text = "none"
    _sub(ident, "ows", "AccessConstraints").text = "none"
    provider = _sub(root, "ows", "ServiceProvider")
    _sub(provider, "ows", "ProviderName").text = operator or "mapnode"
    ops = _sub(root, "ows", "OperationsMetadata")
    for name in ("GetCapabilities", "GetTile"):
        http = _sub(_sub(_sub(ops, "ows", "Operation", name=name), "ows", "DCP"), "ows", "HTTP")
        encodings = [("KVP", kvp_url)] + ([("RESTful", rest_url + "/")] if rest_url else [])
        for encoding, href in encodings:
            get = _sub(http, "ows", "Get", **{f"{{{NS['xlink']}}}href": href})
            constraint = _sub(get, "ows", "Constraint", name="GetEncoding")
            _sub(_sub(constraint, "ows", "AllowedValues"), "ows", "Value").text = encoding
    contents = _sub(root, "wmts", "Contents")
    for layer in wmts_layers:
        _layer(contents, layer, sets, rest_url, query)
    for s in sets:
        _matrix_set(contents, s)
    if rest_url:
        _sub(root, "wmts", "ServiceMetadataURL",
             **{f"{{{NS['xlink']}}}href": f"{rest_url}/WMTSCapabilities.xml{query}"})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _layer(contents: Any, layer: WmtsLayer, sets: list[MatrixSet], rest_url: str | None,
           query: str) -> None:
    el = _sub(contents, "wmts", "Layer")
    _title(el, layer.title_zh, layer.title_en)
    if layer.abstract:
        _sub(el, "ows", "Abstract").text = layer.abstract
    if layer.bbox is not None:
        box = _sub(el, "ows", "WGS84BoundingBox")
        _sub(box, "ows", "LowerCorner").text = f"{layer.bbox[0]:.6f} {layer.bbox[1]:.6f}"
        _sub(box, "ows", "UpperCorner").text = f"{layer.bbox[2]:.6f} {layer.bbox[3]:.6f}"
    _sub(el, "ows", "Identifier").text = layer.id
    style = _sub(el, "wmts", "Style", isDefault="true")
    _sub(style, "ows", "Title").text = "默认 / default"
    _sub(style, "ows", "Identifier").text = "default"
    for media in layer.formats:
        _sub(el, "wmts", "Format").text = media
    dim = _sub(el, "wmts", "Dimension")
    _sub(dim, "ows", "Title").text = "数据时刻 / data as of"
    _sub(dim, "ows", "Identifier").text = "Time"
    _sub(dim, "ows", "UOM").text = "ISO8601"
    _sub(dim, "wmts", "Default").text = "current"
    _sub(dim, "wmts", "Current").text = "true"
    _sub(dim, "wmts", "Value").text = "current"
    for t in layer.times:
        _sub(dim, "wmts", "Value").text = t.astimezone(UTC).isoformat().replace("+00:00", "Z")
    for s in sets:
        link = _sub(el, "wmts", "TileMatrixSetLink")
        _sub(link, "wmts", "TileMatrixSet").text = s.id
    if rest_url:
        for media in layer.formats:
            template = (f"{rest_url}/{layer.id}/{{Style}}/{{TileMatrixSet}}/{{TileMatrix}}/"
                        f"{{TileRow}}/{{TileCol}}.{MEDIA[media]}{query}")
            _sub(el, "wmts", "ResourceURL", format=media, resourceType="tile", template=template)


def _matrix_set(contents: Any, s: MatrixSet) -> None:
    g = s.grid
    el = _sub(contents, "wmts", "TileMatrixSet")
    _sub(el, "ows", "Identifier").text = s.id
    _sub(el, "ows", "SupportedCRS").text = crs_urn(g)
    if g.id == "WebMercatorQuad":
        _sub(el, "wmts", "WellKnownScaleSet").text = "urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible"
    elif g.id == "WorldCRS84Quad":
        _sub(el, "wmts", "WellKnownScaleSet").text = "urn:ogc:def:wkss:OGC:1.0:GoogleCRS84Quad"
    metres = 1.0 if g.srid == 3857 else METRES_PER_DEGREE
    for z in range(g.minzoom, g.maxzoom + 1):
        m = g.tms.matrix(z - g.level_offset)
        left, _, _, top = g.bounds(z, 0, 0)
        matrix = _sub(el, "wmts", "TileMatrix")
        _sub(matrix, "ows", "Identifier").text = str(z)
        _sub(matrix, "wmts", "ScaleDenominator").text = repr(g.resolution(z) * metres / PIXEL_M)
        corner = f"{top!r} {left!r}" if g.srid == 4490 else f"{left!r} {top!r}"
        _sub(matrix, "wmts", "TopLeftCorner").text = corner
        _sub(matrix, "wmts", "TileWidth").text = str(TILE_SIZE)
        _sub(matrix, "wmts", "TileHeight").text = str(TILE_SIZE)
        _sub(matrix, "wmts", "MatrixWidth").text = str(m.matrixWidth)
        _sub(matrix, "wmts", "MatrixHeight").text = str(m.matrixHeight)


def crs_urn(g: Grid) -> str:
    return {3857: "urn:ogc:def:crs:EPSG::3857", 4490: "urn:ogc:def:crs:EPSG::4490",
            4326: "urn:ogc:def:crs:OGC:1.3:CRS84"}[g.srid]


def _title(parent: Any, zh: str, en: str) -> None:
    _sub(parent, "ows", "Title", **{XML_LANG: "zh-CN"}).text = zh
    if en:
        _sub(parent, "ows", "Title", **{XML_LANG: "en"}).text = en


def _el(prefix: str, tag: str, **kw: Any) -> Any:
    return etree.Element(f"{{{NS[prefix]}}}{tag}", **kw)


def _sub(parent: Any, prefix: str, tag: str, **attrs: str) -> Any:
    return etree.SubElement(parent, f"{{{NS[prefix]}}}{tag}", attrs)


__all__ = ["MVT", "SPECIAL", "TIANDITU", "MatrixSet", "TileRequest", "WmtsError", "WmtsLayer",
           "capabilities", "check_format", "formats_of", "kvp", "layers", "matrix_sets", "operation",
           "rest_request", "tile_request"]
