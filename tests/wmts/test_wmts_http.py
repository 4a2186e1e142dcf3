"""WMTS through the application: capabilities (generic and 天地图 shapes), GetTile by KVP, REST
and the 天地图 URL, errors as ows:ExceptionReport, access and the Time dimension."""

from __future__ import annotations

import io

import mapbox_vector_tile
import pytest
from lxml import etree
from PIL import Image
from starlette.testclient import TestClient

from mapnode.grids import grid
from mapnode.model import Changeset
from tests.tiles.conftest import GOV_KEY, City, editor
from tests.wmts.conftest import LAKE

NS = {"w": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1"}


def caps(client: TestClient, path: str = "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities",
         key: str | None = None) -> etree._Element:
    r = client.get(path + (f"&tk={key}" if key else ""))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    return etree.fromstring(r.content)


def layer_ids(doc: etree._Element) -> list[str]:
    return doc.xpath("//w:Contents/w:Layer/ows:Identifier/text()", namespaces=NS)


def report(r) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    doc = etree.fromstring(r.content)
    exc = doc.find("{http://www.opengis.net/ows/1.1}Exception")
    assert doc.tag == "{http://www.opengis.net/ows/1.1}ExceptionReport"
    return exc.get("exceptionCode"), exc.get("locator")


def test_capabilities_list_visible_layers_and_three_matrix_sets(client: TestClient) -> None:
    doc = caps(client)
    ids = layer_ids(doc)
    assert {"basemap", "labels", "roads", "water", "landuse", "pois"} <= set(ids)
    assert "gov_roads" not in ids  # public caller
    assert b"gov_roads" not in etree.tostring(doc)
    assert "gov_roads" in layer_ids(caps(client, key=GOV_KEY))
    sets = doc.xpath("//w:Contents/w:TileMatrixSet/ows:Identifier/text()", namespaces=NS)
    assert sets == ["WebMercatorQuad", "CGCS2000Quad", "WorldCRS84Quad"]
    c = doc.xpath("//w:TileMatrixSet[ows:Identifier='CGCS2000Quad']", namespaces=NS)[0]
    assert c.findtext("ows:SupportedCRS", namespaces=NS) == "urn:ogc:def:crs:EPSG::4490"
    first = c.find("w:TileMatrix", NS)
    assert first.findtext("ows:Identifier", namespaces=NS) == "1"  # 天地图 level 1: 2×1 tiles
    assert first.findtext("w:TopLeftCorner", namespaces=NS) == "90.0 -180.0"  # lat lon (EPSG)
    assert (first.findtext("w:MatrixWidth", namespaces=NS),
            first.findtext("w:MatrixHeight", namespaces=NS)) == ("2", "1")
    # 0.703125°/px at 0.28 mm per pixel, one degree = 2π·6378137/360 m
    assert float(first.findtext("w:ScaleDenominator", namespaces=NS)) == pytest.approx(
        279541132.0143589, rel=1e-9)
    crs84 = doc.xpath("//w:TileMatrixSet[ows:Identifier='WorldCRS84Quad']/w:TileMatrix[1]/"
                      "w:TopLeftCorner/text()", namespaces=NS)
    assert crs84 == ["-180.0 90.0"]
    roads = doc.xpath("//w:Layer[ows:Identifier='roads']", namespaces=NS)[0]
    lower = roads.findtext("ows:WGS84BoundingBox/ows:LowerCorner", namespaces=NS).split()
    upper = roads.findtext("ows:WGS84BoundingBox/ows:UpperCorner", namespaces=NS).split()
    west, south, east, north = (float(v) for v in (*lower, *upper))
    assert 119.5 < west < LAKE[0] < east < 120.8 and 29.8 < south < LAKE[1] < north < 30.8
    assert roads.findtext("w:Dimension/ows:Identifier", namespaces=NS) == "Time"
    templates = roads.xpath("w:ResourceURL/@template", namespaces=NS)
    assert ("http://testserver/wmts/1.0.0/roads/{Style}/{TileMatrixSet}/{TileMatrix}/{TileRow}/"
            "{TileCol}.mvt") in templates


def test_tianditu_capabilities(client: TestClient) -> None:
    doc = caps(client, "/vec_c/wmts?request=GetCapabilities&service=wmts")
    assert layer_ids(doc) == ["vec"]
    assert doc.xpath("//w:Contents/w:TileMatrixSet/ows:Identifier/text()",
                     namespaces=NS) == ["c"]
    get = doc.xpath("//ows:Operation[@name='GetTile']//ows:Get/@xlink:href",
                    namespaces={**NS, "xlink": "http://www.w3.org/1999/xlink"})
    assert "http://testserver/vec_c/wmts?" in get
    assert layer_ids(caps(client, "/cva_w/wmts?request=GetCapabilities&service=wmts")) == ["cva"]
    assert layer_ids(caps(client, "/cia_c/wmts?request=GetCapabilities&service=wmts")) == ["cia"]
    cia = client.get("/cia_c/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cia"
                     "&STYLE=default&TILEMATRIXSET=c&FORMAT=tiles&TILEMATRIX=3&TILEROW=1"
                     "&TILECOL=6")
    assert cia.status_code == 200 and cia.headers["content-type"] == "image/png"
    assert layer_ids(caps(client, "/roads_w/wmts?request=GetCapabilities&service=wmts")) == [
        "roads"]
    hidden = client.get("/gov_roads_w/wmts?request=GetCapabilities&service=wmts")
    assert hidden.status_code == 404 and report(hidden) == ("InvalidParameterValue", "LAYER")


def kvp_tile(layer: str, tms: str, z: int, fmt: str, extra: str = "") -> str:
    x, y = grid(tms).tile_of(*LAKE, z)
    return (f"/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default"
            f"&TILEMATRIXSET={tms}&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&FORMAT={fmt}{extra}")


@pytest.mark.parametrize("tms", ["WebMercatorQuad", "CGCS2000Quad", "WorldCRS84Quad"])
def test_vector_tile_by_kvp_rest_equals_tiles_route(client: TestClient, tms: str) -> None:
    z = 14
    x, y = grid(tms).tile_of(*LAKE, z)
    direct = client.get(f"/tiles/basemap/{tms}/{z}/{x}/{y}.mvt")
    by_kvp = client.get(kvp_tile("basemap", tms, z, "application/vnd.mapbox-vector-tile"))
    rest = client.get(f"/wmts/1.0.0/basemap/default/{tms}/{z}/{y}/{x}.mvt")
    assert direct.status_code == by_kvp.status_code == rest.status_code == 200
    assert by_kvp.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert by_kvp.content == rest.content == direct.content
    layers = mapbox_vector_tile.decode(by_kvp.content)
    assert {"roads", "water"} <= set(layers)
    etag = rest.headers["etag"]
    again = client.get(f"/wmts/1.0.0/basemap/default/{tms}/{z}/{y}/{x}.mvt",
                       headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_government_tiles_never_reach_the_public(client: TestClient) -> None:
    url = kvp_tile("gov_roads", "c", 15, "application/vnd.mapbox-vector-tile")
    public = client.get(url)
    assert public.status_code == 404 and report(public) == ("InvalidParameterValue", "LAYER")
    gov = client.get(url + f"&tk={GOV_KEY}")
    assert gov.status_code == 200 and "gov_roads" in mapbox_vector_tile.decode(gov.content)
    base = client.get(kvp_tile("basemap", "c", 15, "application/vnd.mapbox-vector-tile"))
    assert "gov_roads" not in mapbox_vector_tile.decode(base.content)


@pytest.mark.parametrize(("query", "status", "code", "locator"), [
    ("SERVICE=WMTS&VERSION=1.0.0&LAYER=roads", 400, "MissingParameterValue", "REQUEST"),
    ("REQUEST=GetTile&VERSION=1.0.0", 400, "MissingParameterValue", "SERVICE"),
    ("SERVICE=WMS&REQUEST=GetCapabilities", 400, "InvalidParameterValue", "SERVICE"),
    ("SERVICE=WMTS&REQUEST=GetMap", 400, "InvalidParameterValue", "REQUEST"),
    ("SERVICE=WMTS&REQUEST=GetFeatureInfo", 501, "OperationNotSupported", "REQUEST"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=roads&STYLE=default&FORMAT=image/png"
     "&TILEMATRIXSET=w&TILEMATRIX=3&TILEROW=0", 400, "MissingParameterValue", "TILECOL"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=2.0.0&LAYER=roads&STYLE=default&FORMAT=image/png"
     "&TILEMATRIXSET=w&TILEMATRIX=3&TILEROW=0&TILECOL=0", 400, "InvalidParameterValue", "VERSION"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=roads&STYLE=default&FORMAT=image/gif"
     "&TILEMATRIXSET=w&TILEMATRIX=3&TILEROW=0&TILECOL=0", 400, "InvalidParameterValue", "FORMAT"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=roads&STYLE=fancy&FORMAT=image/png"
     "&TILEMATRIXSET=w&TILEMATRIX=3&TILEROW=0&TILECOL=0", 400, "InvalidParameterValue", "STYLE"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=roads&STYLE=default&FORMAT=image/png"
     "&TILEMATRIXSET=EPSG:4326&TILEMATRIX=3&TILEROW=0&TILECOL=0", 400, "InvalidParameterValue",
     "TILEMATRIXSET"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=roads&STYLE=default&FORMAT=image/png"
     "&TILEMATRIXSET=c&TILEMATRIX=0&TILEROW=0&TILECOL=0", 400, "InvalidParameterValue",
     "TILEMATRIX"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=roads&STYLE=default&FORMAT=image/png"
     "&TILEMATRIXSET=c&TILEMATRIX=1&TILEROW=1&TILECOL=0", 400, "TileOutOfRange", "TILEROW"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=roads&STYLE=default&FORMAT=image/png"
     "&TILEMATRIXSET=c&TILEMATRIX=1&TILEROW=0&TILECOL=2", 400, "TileOutOfRange", "TILECOL"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=roads&STYLE=default&FORMAT=image/png"
     "&TILEMATRIXSET=c&TILEMATRIX=x1&TILEROW=0&TILECOL=0", 400, "InvalidParameterValue",
     "TILEMATRIX"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=roads&STYLE=default&FORMAT=image/png"
     "&TILEMATRIXSET=c&TILEMATRIX=1&TILEROW=0&TILECOL=0&TIME=2020-13-45", 400,
     "InvalidParameterValue", "TIME"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=nowhere&STYLE=default"
     "&FORMAT=application/vnd.mapbox-vector-tile&TILEMATRIXSET=c&TILEMATRIX=1&TILEROW=0"
     "&TILECOL=0", 404, "InvalidParameterValue", "LAYER"),
    ("SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=labels&STYLE=default"
     "&FORMAT=application/vnd.mapbox-vector-tile&TILEMATRIXSET=c&TILEMATRIX=1&TILEROW=0"
     "&TILECOL=0", 400, "InvalidParameterValue", "FORMAT"),
])
def test_bad_kvp_requests_get_exception_reports(client: TestClient, query: str, status: int,
                                                code: str, locator: str) -> None:
    r = client.get("/wmts?" + query)
    assert r.status_code == status, r.text
    assert report(r) == (code, locator)


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/wmts/1.0.0/roads/default/w/3/0/0.gif", 400, "InvalidParameterValue"),
    ("/wmts/1.0.0/roads/default/w/3/9/0.mvt", 400, "TileOutOfRange"),
    ("/wmts/1.0.0/roads/default/w/30/0/0.mvt", 400, "InvalidParameterValue"),
    ("/wmts/1.0.0/nowhere/default/w/3/0/0.mvt", 404, "InvalidParameterValue"),
    ("/vec_x/wmts?request=GetCapabilities&service=wmts", 404, "InvalidParameterValue"),
    ("/vec_c/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=img&STYLE=default"
     "&TILEMATRIXSET=c&FORMAT=tiles&TILEMATRIX=1&TILEROW=0&TILECOL=0", 400,
     "InvalidParameterValue"),
    ("/vec_c/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
     "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX=1&TILEROW=0&TILECOL=0", 400,
     "InvalidParameterValue"),
])
def test_bad_rest_and_tianditu_requests(client: TestClient, path: str, status: int,
                                        code: str) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text
    assert report(r)[0] == code


def test_time_dimension_shows_the_past(client: TestClient, city: City) -> None:
    """A tile with TIME before an edit shows the data as it was; now shows the edit."""
    store = city.store
    before = store.log(editor(), 0, 10_000)[-1].time
    fid = "589384551"  # 南山路
    feature = store.feature(editor(), "roads", fid)
    new_name = "测试改名路"
    lon, lat = feature.geometry.interpolate(0.5, normalized=True).coords[0]
    tx, ty = grid("c").tile_of(lon, lat, 16)
    image_url = ("/vec_c/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
                 f"&TILEMATRIXSET=c&FORMAT=tiles&TILEMATRIX=16&TILEROW={ty}&TILECOL={tx}")
    image_before = client.get(image_url).content
    entry = store.apply(editor(), Changeset("t", "rename a road").update(
        "roads", fid, feature.version, feature.geometry, {**feature.properties, "name": new_name}))
    assert entry is not None
    try:
        z = 16
        lon, lat = feature.geometry.representative_point().coords[0]
        x, y = grid("c").tile_of(lon, lat, z)
        base = (f"/wmts/1.0.0/roads/default/c/{z}/{y}/{x}.mvt")
        now = mapbox_vector_tile.decode(client.get(base).content)["roads"]["features"]
        then = client.get(base, params={"TIME": before.isoformat()})
        unencoded = client.get(base + "?TIME=" + before.isoformat())  # "+00:00" read as " 00:00"
        assert unencoded.status_code == 200 and unencoded.content == then.content
        assert then.status_code == 200
        assert then.headers["x-seq"] != client.get(base).headers["x-seq"]
        past = mapbox_vector_tile.decode(then.content)["roads"]["features"]
        assert new_name in {f["properties"].get("name") for f in now}
        assert new_name not in {f["properties"].get("name") for f in past}
        assert feature.properties["name"] in {f["properties"].get("name") for f in past}
        # the rendered map too: now the new label, as of then the old image
        assert client.get(image_url).content != image_before
        old_image = client.get(image_url + "&TIME=" + before.isoformat().replace("+00:00", "Z"))
        assert old_image.status_code == 200 and old_image.content == image_before
    finally:
        current = store.feature(editor(), "roads", fid)
        store.apply(editor(), Changeset("t", "rename back").update(
            "roads", fid, current.version, current.geometry, feature.properties))


def image(r) -> Image.Image:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text
    return Image.open(io.BytesIO(r.content))


@pytest.mark.parametrize("tms", ["w", "c"])
def test_raster_tiles_by_kvp_rest_and_tianditu_shape(client: TestClient, tms: str) -> None:
    z = 14
    x, y = grid(tms).tile_of(*LAKE, z)
    direct = client.get(f"/tiles/basemap/{tms}/{z}/{x}/{y}.png")
    by_kvp = client.get(kvp_tile("basemap", tms, z, "image/png"))
    rest = client.get(f"/wmts/1.0.0/basemap/default/{tms}/{z}/{y}/{x}.png")
    tdt = client.get(f"/vec_{tms}/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
                     f"&STYLE=default&TILEMATRIXSET={tms}&FORMAT=tiles&TILEMATRIX={z}"
                     f"&TILEROW={y}&TILECOL={x}&tk=")
    assert tdt.headers["content-type"] == by_kvp.headers["content-type"] == "image/png"
    assert by_kvp.content == rest.content == tdt.content == direct.content
    png = image(by_kvp)
    assert png.size == (256, 256)
    r, g, b = png.convert("RGB").getpixel((128, 128))  # the middle of 西湖
    assert b > r + 20, (r, g, b)
    labels = image(client.get(f"/cva_{tms}/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                              f"&LAYER=cva&STYLE=default&TILEMATRIXSET={tms}&FORMAT=tiles"
                              f"&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}")).convert("RGBA")
    alpha = labels.getchannel("A").getextrema()
    assert alpha[0] == 0 and alpha[1] > 0  # transparent, with some labels drawn
    img = client.get(f"/img_{tms}/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=img"
                     f"&STYLE=default&TILEMATRIXSET={tms}&FORMAT=tiles&TILEMATRIX=6"
                     f"&TILEROW={grid(tms).tile_of(*LAKE, 6)[1]}"
                     f"&TILECOL={grid(tms).tile_of(*LAKE, 6)[0]}")
    assert img.headers["content-type"] == "image/jpeg"
    assert image(img).format == "JPEG"
    webp = client.get(kvp_tile("roads", tms, 15, "image/webp"))
    assert image(webp).format == "WEBP"


def test_every_wmts_layer_has_a_tilejson(client: TestClient) -> None:
    """Each tileset the WMTS offers (vector, raster, imagery) has TileJSON 3.0 in both grids."""
    for layer in layer_ids(caps(client)):
        for tms in ("w", "c"):
            body = client.get(f"/tiles/{layer}/{tms}/tilejson.json").json()
            assert body["tilejson"] == "3.0.0", (layer, body)
            ext = body["tiles"][0].rsplit(".", 1)[1]
            assert ext == ("png" if layer in ("labels", "relief", "imagery") else "mvt"), layer
