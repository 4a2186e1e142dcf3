"""Landing page, conformance, collections with extents, access by edition, formats, OpenAPI."""

from __future__ import annotations

from datetime import datetime

from mapnode.model import Actor
from tests.ogcapi.conftest import GOV_KEY, Served
from tests.store import hz

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def test_landing_page_links_to_api_conformance_and_collections(served: Served) -> None:
    body = served.client.get("/ogcapi").json()
    rels = {link["rel"]: link for link in body["links"]}
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert served.client.get(rels["data"]["href"]).json()["collections"]
    classes = served.client.get(rels["conformance"]["href"]).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json" in classes


def test_collections_carry_extents_from_the_data_and_the_log(served: Served) -> None:
    body = served.client.get("/ogcapi/collections").json()
    roads = {c["id"]: c for c in body["collections"]}["roads"]
    bbox = roads["extent"]["spatial"]["bbox"][0]
    system = Actor.system()
    current = list(served.store.features(system, "roads"))
    xs = [f.geometry.bounds for f in current]
    assert bbox == [min(b[0] for b in xs), min(b[1] for b in xs), max(b[2] for b in xs),
                    max(b[3] for b in xs)]
    assert bbox[0] < 120.20 < bbox[2]  # reaches the 滨江 roads added at seq 3
    assert roads["extent"]["spatial"]["crs"] == CRS84
    first, end = roads["extent"]["temporal"]["interval"][0]
    assert end is None
    assert datetime.fromisoformat(first) == served.store.log_entry(system, 1).time
    assert datetime.fromisoformat(roads["lastChange"]) == served.store.log_entry(system, 3).time
    assert CRS84 in roads["crs"] and "http://www.opengis.net/def/crs/EPSG/0/4549" in roads["crs"]
    assert roads["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/4490"
    links = {(link["rel"], link["type"]) for link in roads["links"]}
    assert ("items", "application/geo+json") in links


def test_public_caller_never_sees_a_government_collection(served: Served) -> None:
    c = served.client
    public = {x["id"] for x in c.get("/ogcapi/collections").json()["collections"]}
    assert public == {"roads"}
    fid = str(hz.amenities().rows[0].fid)
    for path in ["/ogcapi/collections/amenities", "/ogcapi/collections/amenities/items",
                 f"/ogcapi/collections/amenities/items/{fid}",
                 "/ogcapi/collections/amenities/queryables",
                 "/ogcapi/collections/amenities/items?f=html"]:
        r = c.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
    api = c.get("/ogcapi/api").text
    assert "amenities" not in api
    assert "amenities" not in c.get("/ogcapi/collections?f=html").text


def test_government_key_sees_the_government_collection(served: Served) -> None:
    c = served.client
    ids = {x["id"] for x in c.get(f"/ogcapi/collections?tk={GOV_KEY}").json()["collections"]}
    assert ids == {"roads", "amenities"}
    row = hz.amenities().rows[0]
    one = c.get(f"/ogcapi/collections/amenities/items/{row.fid}",
                headers={"X-API-Key": GOV_KEY}).json()
    assert one["properties"]["osmid"] == row.properties["osmid"]
    page = c.get(f"/ogcapi/collections/amenities/items?tk={GOV_KEY}&limit=3").json()
    assert page["numberMatched"] == len(hz.amenities().rows)
    assert all(f"tk={GOV_KEY}" in link["href"] for link in page["links"])  # links keep the key
    assert "amenities" in c.get(f"/ogcapi/api?tk={GOV_KEY}").text


def test_html_pages_are_chinese_first_and_escaped(served: Served) -> None:
    c = served.client
    for path in ["/ogcapi", "/ogcapi/collections", "/ogcapi/collections/roads",
                 "/ogcapi/collections/roads/items", f"/ogcapi/collections/roads/items/{served.renamed}",
                 "/ogcapi/collections/roads/queryables", "/ogcapi/conformance", "/ogcapi/api"]:
        r = c.get(path, params={"f": "html"})
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert '<html lang="zh-CN">' in r.text
    page = c.get(f"/ogcapi/collections/roads/items/{served.renamed}?f=html").text
    assert "北山街（新）" in page
    assert c.get("/ogcapi/collections", headers={"Accept": "text/html"}).headers[
        "content-type"].startswith("text/html")


def test_accept_negotiation(served: Served) -> None:
    c = served.client
    r = c.get("/ogcapi/collections/roads/items", headers={"Accept": "application/geo+json"})
    assert r.headers["content-type"] == "application/geo+json"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert c.get("/ogcapi/collections", headers={"Accept": browser}).headers[
        "content-type"].startswith("text/html")
    r = c.get("/ogcapi/collections", headers={"Accept": "application/xml"})
    assert r.status_code == 406
    assert r.headers["content-type"] == "application/problem+json"
    assert c.get("/ogcapi/collections?f=json", headers={"Accept": "application/xml"}
                 ).status_code == 200  # f wins over Accept
    assert c.get("/ogcapi/collections?f=xml").status_code == 400


def test_queryables_describe_the_fields(served: Served) -> None:
    body = served.client.get("/ogcapi/collections/roads/queryables").json()
    assert body["properties"]["maxspeed"]["type"] == "integer"
    assert body["properties"]["name"]["type"] == "string"
    assert body["properties"]["geometry"]["format"] == "geometry-linestring"
    assert body["$id"].endswith("/ogcapi/collections/roads/queryables")


def test_openapi_document_describes_every_visible_path(served: Served) -> None:
    doc = served.client.get("/ogcapi/api").json()
    assert doc["openapi"].startswith("3.0")
    paths = doc["paths"]
    for p in ["/", "/conformance", "/collections", "/collections/roads",
              "/collections/roads/items", "/collections/roads/items/{featureId}",
              "/collections/roads/queryables"]:
        assert p in paths
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[1]
             for p in paths["/collections/roads/items"]["get"]["parameters"]}
    assert {"bbox", "limit", "crs", "bbox-crs", "filter", "maxspeed", "name"} <= names
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert limit["maximum"] == 5000
