"""QGIS as a client of a running mapnode: run by Debian's /usr/bin/python3 (PyQGIS), headless.

Not a test module and not importable from the project's .venv: `tests/support/qgis.py` runs it
as a subprocess with `MAPNODE_QGIS_ARGS` = {"out_dir": ..., "checks": [...]}. Each check adds
one layer the way QGIS's own dialogs do (the provider and URI a user's "Add layer" makes) and
reports what QGIS saw; the pytest side asserts on it. Kinds:

- `raster` (WMS or WMTS through the `wms` provider): validity, the CRSs QGIS offers, the layer's
  extent, then a render with QgsMapSettings + QgsMapRendererParallelJob in `crs` over the
  lon/lat box `bbox`, saved as `{out_dir}/{name}.png`, with the pixel of each named lon/lat
  point in `points` and the renderer's errors; with `wmst` (a layer name) the layer is added
  as a WMS-T layer the way the Add WMS dialog does and `time` (ISO instant) renders the map
  at that time through the temporal map settings; `legend` fetches the legend graphic;
- `identify`: QGIS's Identify tool on a WMS layer at the lon/lat `point` (GetFeatureInfo
  in each of `formats`: feature = GML, html, text): the features' attributes or the text;
- `vector` (WFS or OAPIF providers): validity, feature count, fields, the features whose
  `key` field has one of `values` (attributes and lon/lat bounds of the geometry), the
  number of features read by iterating the whole layer (paging included), and the `key`
  values of the features QGIS finds in the lon/lat rectangle `bbox` (a filter rectangle).

Prints one JSON object: {"qgis": version, "checks": {name: facts}, "messages": [...],
"requests": [urls]}.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsDateTimeRange,
    QgsFeatureRequest,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsNetworkAccessManager,
    QgsNetworkRequestParameters,
    QgsPointXY,
    QgsProject,
    QgsRaster,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDateTime, QEventLoop, QSize, Qt, QTimer, QUrl
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtNetwork import QNetworkRequest

WGS84 = QgsCoordinateReferenceSystem("EPSG:4490")


def _value(v: Any) -> Any:
    """A QVariant-ish attribute as JSON (NULL → None, dates → text)."""
    if v is None or (hasattr(v, "isNull") and v.isNull()):
        return None
    if isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def legend_size(provider: Any, settings: QgsMapSettings) -> list[int] | str:
    """The legend graphic QGIS fetches for its layer panel: [width, height] or the error."""
    fetcher = provider.getLegendGraphicFetcher(settings)
    if fetcher is None:
        return "no legend fetcher"
    got: dict[str, Any] = {}
    loop = QEventLoop()
    fetcher.finish.connect(lambda image: (got.update(image=image), loop.quit()))
    fetcher.error.connect(lambda message: (got.update(error=message), loop.quit()))
    QTimer.singleShot(30_000, loop.quit)
    fetcher.start()
    if not got:
        loop.exec_()
    if "image" in got:
        return [got["image"].width(), got["image"].height()]
    return str(got.get("error", "timeout"))


def wmst_uri(uri: str, layer: str) -> str:
    """The URI QGIS's Add WMS dialog makes for a layer with a time dimension: the layer's
    `Dimension name="time"` extent from GetCapabilities, and the provider as time source."""
    base = next(p.split("=", 1)[1] for p in uri.split("&") if p.startswith("url="))
    request = QNetworkRequest(QUrl(base + "?SERVICE=WMS&REQUEST=GetCapabilities"))
    body = bytes(QgsNetworkAccessManager.instance().blockingGet(request).content())
    ns = "{http://www.opengis.net/wms}"
    for el in ElementTree.fromstring(body).iter(f"{ns}Layer"):
        if el.findtext(f"{ns}Name") == layer:
            extent = next(d.text for d in el.findall(f"{ns}Dimension") if d.get("name") == "time")
            return (f"{uri}&type=wmst&allowTemporalUpdates=true&temporalSource=provider"
                    f"&timeDimensionExtent={extent}")
    raise LookupError(f"layer {layer} not in the capabilities")


def raster(check: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    uri = wmst_uri(check["uri"], check["wmst"]) if "wmst" in check else check["uri"]
    layer = QgsRasterLayer(uri, check["name"], "wms")
    facts: dict[str, Any] = {"valid": layer.isValid()}
    if not layer.isValid():
        facts["error"] = layer.error().summary()
        return facts
    provider = layer.dataProvider()
    facts["crs"] = layer.crs().authid()
    to_lonlat = QgsCoordinateTransform(layer.crs(), WGS84, QgsProject.instance())
    e = to_lonlat.transformBoundingBox(layer.extent())
    facts["extent_lonlat"] = [e.xMinimum(), e.yMinimum(), e.xMaximum(), e.yMaximum()]
    crs = QgsCoordinateReferenceSystem(check["crs"])
    to_map = QgsCoordinateTransform(WGS84, crs, QgsProject.instance())
    lon0, lat0, lon1, lat1 = check["bbox"]
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(crs)
    settings.setOutputSize(QSize(*check.get("size", (512, 512))))
    settings.setBackgroundColor(QColor(255, 255, 255, 0))
    settings.setExtent(to_map.transformBoundingBox(QgsRectangle(lon0, lat0, lon1, lat1)))
    capabilities = provider.temporalCapabilities()
    facts["temporal"] = bool(capabilities and capabilities.hasTemporalCapabilities())
    if "time" in check:  # the map at a past instant, as QGIS's temporal controller asks
        at = QDateTime.fromString(check["time"], Qt.ISODate)
        settings.setIsTemporal(True)
        settings.setTemporalRange(QgsDateTimeRange(at, at))
    facts["legend"] = legend_size(provider, settings) if check.get("legend") else None
    started = time.monotonic()
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    facts["render_s"] = round(time.monotonic() - started, 2)
    image = job.renderedImage()
    path = out_dir / f"{check['name']}.png"
    image.save(str(path), "PNG")
    facts["image"] = str(path)
    facts["size"] = [image.width(), image.height()]
    facts["errors"] = [f"{e.layerID}: {e.message}" for e in job.errors()]
    m2p = settings.mapToPixel()
    facts["points"] = {}
    for label, (lon, lat) in check.get("points", {}).items():
        p = m2p.transform(to_map.transform(QgsPointXY(lon, lat)))
        facts["points"][label] = [round(p.x()), round(p.y())]
    return facts


def identify(check: dict[str, Any]) -> dict[str, Any]:
    """QGIS's Identify tool on a WMS layer (GetFeatureInfo in each `formats`) at `point`."""
    layer = QgsRasterLayer(check["uri"], check["name"], "wms")
    facts: dict[str, Any] = {"valid": layer.isValid()}
    if not layer.isValid():
        facts["error"] = layer.error().summary()
        return facts
    provider = layer.dataProvider()
    to_layer = QgsCoordinateTransform(WGS84, layer.crs(), QgsProject.instance())
    point = to_layer.transform(QgsPointXY(*check["point"]))
    half = check.get("half", 0.001)
    view = to_layer.transformBoundingBox(QgsRectangle(
        check["point"][0] - half, check["point"][1] - half,
        check["point"][0] + half, check["point"][1] + half))
    facts["capabilities"] = int(provider.capabilities())
    formats = {"feature": QgsRaster.IdentifyFormatFeature,
               "html": QgsRaster.IdentifyFormatHtml, "text": QgsRaster.IdentifyFormatText}
    for name in check.get("formats", ["feature"]):
        result = provider.identify(point, formats[name], view, 101, 101)
        answer: dict[str, Any] = {"valid": result.isValid(),
                                  "error": result.error().summary() if not result.isValid()
                                  else ""}
        features: list[dict[str, Any]] = []
        texts: list[str] = []
        for value in result.results().values():
            if name != "feature":
                texts.append(str(value))
                continue
            for store in value or []:
                for f in store.features():
                    features.append({n.name(): _value(f[n.name()]) for n in f.fields()})
        answer["features"], answer["texts"] = features, texts
        facts[name] = answer
    return facts


def vector(check: dict[str, Any]) -> dict[str, Any]:
    layer = QgsVectorLayer(check["uri"], check["name"], check["provider"])
    facts: dict[str, Any] = {"valid": layer.isValid()}
    if not layer.isValid():
        facts["error"] = layer.error().summary()
        return facts
    facts["crs"] = layer.crs().authid()
    facts["geometry_type"] = layer.geometryType()
    facts["wkb_type"] = int(layer.wkbType())
    facts["fields"] = [f.name() for f in layer.fields()]
    facts["feature_count"] = layer.featureCount()
    to_lonlat = QgsCoordinateTransform(layer.crs(), WGS84, QgsProject.instance())
    e = to_lonlat.transformBoundingBox(layer.extent())
    facts["extent_lonlat"] = [e.xMinimum(), e.yMinimum(), e.xMaximum(), e.yMaximum()]
    key, values = check.get("key"), set(check.get("values", []))
    if key not in facts["fields"]:
        key = None
    found: dict[str, Any] = {}
    read, null_geometries, types = 0, 0, set()
    started = time.monotonic()
    for feature in layer.getFeatures(QgsFeatureRequest()):
        read += 1
        null_geometries += feature.geometry().isNull()
        types.add(int(feature.geometry().wkbType()))
        if key is None:
            continue
        value = _value(feature[key])
        if value in values or str(value) in values:
            g = feature.geometry()
            g.transform(to_lonlat)
            b = g.boundingBox()
            found[str(value)] = {
                "attributes": {f.name(): _value(feature[f.name()]) for f in layer.fields()},
                "bounds": [b.xMinimum(), b.yMinimum(), b.xMaximum(), b.yMaximum()],
                "area": g.area(), "valid_geometry": not g.isNull()}
    facts["read_s"] = round(time.monotonic() - started, 2)
    if "subset" in check:  # the layer's filter (Query Builder): QGIS sends it to the server
        facts["subset_ok"] = layer.setSubsetString(check["subset"])
        facts["subset_ids"] = sorted(str(_value(f[key])) for f in layer.getFeatures()
                                     ) if key else None
        facts["subset_count"] = layer.featureCount()
        layer.setSubsetString("")
    if "bbox" in check:  # a filter rectangle, as QGIS asks when it draws a view
        to_layer = QgsCoordinateTransform(WGS84, layer.crs(), QgsProject.instance())
        rect = to_layer.transformBoundingBox(QgsRectangle(*check["bbox"]))
        request = QgsFeatureRequest().setFilterRect(rect)
        facts["bbox_ids"] = sorted(str(_value(f[key])) for f in layer.getFeatures(request)
                                   ) if key else None
    facts["features_read"] = read
    facts["null_geometries"] = null_geometries
    facts["feature_wkb_types"] = sorted(types)
    facts["found"] = found
    return facts


def main() -> int:
    args = json.loads(os.environ["MAPNODE_QGIS_ARGS"])
    out_dir = Path(args["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    messages: list[dict[str, Any]] = []
    requests: list[str] = []

    def logged(message: str, tag: str, level: Qgis.MessageLevel) -> None:
        messages.append({"tag": tag, "level": int(level), "message": message[:2000]})

    QgsApplication.messageLog().messageReceived.connect(logged)
    QgsNetworkAccessManager.instance().requestAboutToBeCreated[
        QgsNetworkRequestParameters].connect(
        lambda params: requests.append(params.request().url().toString()))
    checks: dict[str, Any] = {}
    for check in args["checks"]:
        try:
            facts = (raster(check, out_dir) if check["kind"] == "raster" else
                     identify(check) if check["kind"] == "identify" else vector(check))
        except Exception:  # reported to the test, which fails on it
            facts = {"valid": False, "error": traceback.format_exc()}
        app.processEvents()
        checks[check["name"]] = facts
    app.processEvents()
    print(json.dumps({"qgis": Qgis.version(), "checks": checks, "messages": messages,
                      "requests": requests}, ensure_ascii=False))
    sys.stdout.flush()
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
