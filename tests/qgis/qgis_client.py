"""QGIS as a client of a running mapnode: run by Debian's /usr/bin/python3 (PyQGIS), headless.

Not a test module and not importable from the project's .venv: `tests/support/qgis.py` runs it
as a subprocess with `MAPNODE_QGIS_ARGS` = {"out_dir": ..., "checks": [...]}. Each check adds
one layer the way QGIS's own dialogs do (the provider and URI a user's "Add layer" makes) and
reports what QGIS saw; the pytest side asserts on it. Kinds:

- `raster` (WMS or WMTS through the `wms` provider): validity, the CRSs QGIS offers, the layer's
  extent, then a render with QgsMapSettings + QgsMapRendererParallelJob in `crs` over the
  lon/lat box `bbox`, saved as `{out_dir}/{name}.png`, with the pixel of each named lon/lat
  point in `points` and the renderer's errors;
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

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsNetworkAccessManager,
    QgsNetworkRequestParameters,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

WGS84 = QgsCoordinateReferenceSystem("EPSG:4490")


def _value(v: Any) -> Any:
    """A QVariant-ish attribute as JSON (NULL → None, dates → text)."""
    if v is None or (hasattr(v, "isNull") and v.isNull()):
        return None
    if isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def raster(check: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    layer = QgsRasterLayer(check["uri"], check["name"], "wms")
    facts: dict[str, Any] = {"valid": layer.isValid()}
    if not layer.isValid():
        facts["error"] = layer.error().summary()
        return facts
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
            facts = (raster(check, out_dir) if check["kind"] == "raster" else vector(check))
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
