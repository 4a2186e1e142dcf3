"""Items: bbox, limit and paging links, property filters, datetime as of a past time, Part 2
CRS output and bbox-crs, single items, the maximum page size."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.ogcapi.conftest import MAX_LIMIT, Served
from tests.store import hz

ITEMS = "/ogcapi/collections/roads/items"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


def _current(served: Served) -> dict[str, Any]:
    return {f.fid: f for f in served.store.features(Actor.system(), "roads")}


def _follow(served: Served, url: str) -> tuple[list[dict[str, Any]], int]:
    """Follow `next` links to the end, as a client would: (features, pages)."""
    got, pages = [], 0
    while url:
        body = served.client.get(url).json()
        got.extend(body["features"])
        pages += 1
        assert body["numberReturned"] == len(body["features"])
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), "")
    return got, pages


def test_paging_links_lead_through_every_feature_once(served: Served) -> None:
    current = _current(served)
    got, pages = _follow(served, f"{ITEMS}?limit=500")
    assert [f["id"] for f in got] == sorted(current)  # ordered by id, no gaps, no repeats
    assert pages == -(-len(current) // 500)
    first = served.client.get(f"{ITEMS}?limit=500").json()
    assert first["numberMatched"] == len(current)
    assert not any(link["rel"] == "prev" for link in first["links"])
    second = served.client.get(f"{ITEMS}?limit=500&offset=500").json()
    prev = next(link["href"] for link in second["links"] if link["rel"] == "prev")
    assert served.client.get(prev).json()["features"] == first["features"]


def test_default_limit_and_the_maximum(served: Served) -> None:
    assert served.client.get(ITEMS).json()["numberReturned"] == 10
    assert served.client.get(f"{ITEMS}?limit={MAX_LIMIT}").status_code == 200
    r = served.client.get(f"{ITEMS}?limit={MAX_LIMIT + 1}")
    assert r.status_code == 400
    problem = r.json()
    assert problem["detail"]["parameter"] == "limit"
    assert problem["detail"]["maximum"] == str(MAX_LIMIT)
    assert "上限" in problem["title"] and "maximum" in problem["title_en"]


def test_bbox_selects_what_the_store_selects(served: Served) -> None:
    box = (120.14, 30.24, 120.16, 30.26)
    got, _ = _follow(served, f"{ITEMS}?limit=1000&bbox={','.join(map(str, box))}")
    want = {f.fid for f in served.store.features(Actor.system(), "roads", bbox=box)}
    assert {f["id"] for f in got} == want
    assert 50 < len(want) < len(_current(served))
    six = served.client.get(f"{ITEMS}?limit=1000&bbox=120.14,30.24,0,120.16,30.26,100").json()
    assert {f["id"] for f in six["features"]} == want


def test_bbox_crs_in_lat_lon_and_in_gauss_kruger(served: Served) -> None:
    box = (120.14, 30.24, 120.16, 30.26)
    want = {f.fid for f in served.store.features(Actor.system(), "roads", bbox=box)}
    latlon = f"{box[1]},{box[0]},{box[3]},{box[2]}"  # EPSG:4490 is lat/lon
    got, _ = _follow(served, f"{ITEMS}?limit=1000&bbox={latlon}&bbox-crs={EPSG.format(4490)}")
    assert {f["id"] for f in got} == want
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4549")  # authority order: lat/lon → N/E
    n0, e0 = to_gk.transform(30.245, 120.145)
    n1, e1 = to_gk.transform(30.255, 120.155)
    gk = f"{n0},{e0},{n1},{e1}"
    got, _ = _follow(served, f"{ITEMS}?limit=1000&bbox={gk}&bbox-crs={EPSG.format(4549)}")
    inner = {f.fid for f in served.store.features(Actor.system(), "roads",
                                                  bbox=(120.146, 30.246, 120.154, 30.254))}
    ids = {f["id"] for f in got}
    assert inner <= ids <= want


def test_crs_4549_output_matches_pyproj(served: Served) -> None:
    road = served.store.feature(Actor.system(), "roads", served.renamed)
    r = served.client.get(f"{ITEMS}/{served.renamed}?crs={EPSG.format(4549)}")
    assert r.headers["content-crs"] == f"<{EPSG.format(4549)}>"
    coords = r.json()["geometry"]["coordinates"]
    lon, lat = road.geometry.coords[0]
    northing, easting = Transformer.from_crs("EPSG:4490", "EPSG:4549").transform(lat, lon)
    assert coords[0] == pytest.approx([northing, easting], abs=1e-6)
    assert 3_300_000 < coords[0][0] < 3_400_000 and 400_000 < coords[0][1] < 600_000


@pytest.mark.parametrize("code, order", [(4490, "latlon"), (4326, "latlon"), (3857, "xy"),
                                         (4547, "ne"), (4548, "ne")])
def test_crs_output_axis_order(served: Served, code: int, order: str) -> None:
    road = served.store.feature(Actor.system(), "roads", served.renamed)
    lon, lat = road.geometry.coords[0]
    body = served.client.get(f"{ITEMS}?crs={EPSG.format(code)}&osm_id="
                             f"{road.properties['osm_id']}").json()
    first = body["features"][0]["geometry"]["coordinates"][0]
    if order == "latlon":
        assert first == pytest.approx([lat, lon])
    else:
        x, y = Transformer.from_crs("EPSG:4490", f"EPSG:{code}", always_xy=True).transform(lon, lat)
        assert first == pytest.approx([y, x] if order == "ne" else [x, y], abs=1e-6)


def test_default_output_is_crs84_lon_lat(served: Served) -> None:
    r = served.client.get(f"{ITEMS}/{served.renamed}")
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    road = served.store.feature(Actor.system(), "roads", served.renamed)
    assert shape(r.json()["geometry"]).equals_exact(road.geometry, 1e-12)


def test_property_filters_match_the_data(served: Served) -> None:
    current = _current(served).values()
    got, _ = _follow(served, f"{ITEMS}?limit=1000&fclass=primary")
    assert {f["id"] for f in got} == {f.fid for f in current if f.properties["fclass"] == "primary"}
    got, _ = _follow(served, f"{ITEMS}?limit=1000&fclass=primary&maxspeed=60")
    assert {f["id"] for f in got} == {f.fid for f in current if f.properties["fclass"] ==
                                      "primary" and f.properties["maxspeed"] == 60}
    got, _ = _follow(served, f"{ITEMS}?name=北山街（新）")
    assert [f["id"] for f in got] == [served.renamed]


def test_datetime_reads_the_data_as_it_was(served: Served) -> None:
    before = served.before.isoformat()
    then = served.client.get(f"{ITEMS}?limit=5000", params={"datetime": before}).json()
    ids = {f["id"] for f in then["features"]}
    assert ids == {r.fid for r in hz.roads().rows}  # the original slice, nothing added
    assert served.deleted in ids and not set(served.added) & ids
    now = served.client.get(f"{ITEMS}?limit=5000").json()
    assert served.deleted not in {f["id"] for f in now["features"]}
    old = served.client.get(f"{ITEMS}/{served.renamed}", params={"datetime": before}).json()
    assert old["properties"]["name"] == "北山街"
    assert served.client.get(f"{ITEMS}/{served.deleted}", params={"datetime": before}
                             ).status_code == 200
    assert served.client.get(f"{ITEMS}/{served.deleted}").status_code == 404
    future = served.client.get(f"{ITEMS}?limit=1&datetime=2999-01-01T00:00:00Z").json()
    assert future["numberMatched"] == len(_current(served))
    empty = served.client.get(f"{ITEMS}?datetime=2000-01-01").json()
    assert empty["features"] == [] and empty["numberMatched"] == 0
    z = served.client.get(f"{ITEMS}?limit=1", params={"datetime": before.replace("+00:00", "Z")})
    assert z.json()["numberMatched"] == len(hz.roads().rows)


def test_every_field_is_a_property_even_when_empty(served: Served) -> None:
    """QGIS's OAPIF provider takes a layer's fields from the features of the first page: a
    field left out when empty (most roads have no `name`) was missing from the layer."""
    meta = served.store.layer(Actor.system(), "roads")
    page = served.client.get(ITEMS, params={"limit": 50}).json()["features"]
    assert all(list(f["properties"]) == list(meta.fields) for f in page)
    unnamed = next(f for f in served.store.features(Actor.system(), "roads")
                   if f.properties.get("name") is None)
    one = served.client.get(f"{ITEMS}/{unnamed.fid}").json()
    assert list(one["properties"]) == list(meta.fields) and one["properties"]["name"] is None
    assert {k: v for k, v in one["properties"].items() if v is not None} == {
        k: v for k, v in unnamed.properties.items() if v is not None}
    html = served.client.get(f"{ITEMS}/{unnamed.fid}", params={"f": "html"}).text
    assert "None" not in html


def test_single_item_links_and_404(served: Served) -> None:
    body = served.client.get(f"{ITEMS}/{served.renamed}").json()
    assert body["id"] == served.renamed and body["type"] == "Feature"
    assert {link["rel"] for link in body["links"]} >= {"self", "alternate", "collection"}
    r = served.client.get(f"{ITEMS}/no-such-feature")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_intersects_via_cql2_gives_numbers_and_paging(served: Served) -> None:
    lake = hz.west_lake()
    wkt = shapely.to_wkt(lake.simplify(0.0005), rounding_precision=6)
    want = {f.fid for f in served.store.features(Actor.system(), "roads",
                                                 intersects=shapely.from_wkt(wkt))}
    got, pages = _follow(served, f"{ITEMS}?limit=20&filter=S_INTERSECTS(geometry,{wkt})")
    assert {f["id"] for f in got} == want and pages == -(-len(want) // 20)


def test_a_table_layer_without_geometry_is_served(store: VersionedStore) -> None:
    from mapnode.model import FieldType, GeometryType, LayerKind, LayerMeta
    from mapnode.store import NewRow
    from mapnode.store.base import dump_props

    system = Actor.system()
    with store.write(system, "codes") as w:
        w.create_layer(LayerMeta("codes", kind=LayerKind.TABLE, geometry_type=GeometryType.NONE,
                                 fields={"code": FieldType.STRING, "name": FieldType.STRING}))
        w.insert_rows("codes", [NewRow("330106", None, None,
                                       dump_props({"code": "330106", "name": "西湖区"}))])
    with TestClient(create_app(Settings(store=store.url), store=store)) as client:
        described = client.get("/ogcapi/collections/codes").json()
        assert "spatial" not in described["extent"] and described["extent"]["temporal"]
        body = client.get("/ogcapi/collections/codes/items",
                          params={"crs": EPSG.format(4549), "name": "西湖区"}).json()
        assert body["features"] == [{"type": "Feature", "id": "330106", "geometry": None,
                                     "properties": {"code": "330106", "name": "西湖区"}}]
        assert "geometry" not in client.get("/ogcapi/collections/codes/queryables").json()[
            "properties"]
        assert client.get("/ogcapi/collections/codes/items?f=html").status_code == 200
