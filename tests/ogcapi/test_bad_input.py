"""Malformed requests answer OGC API problem JSON with the right status (400/404/406), never
a 500; each 400 names the bad parameter."""

from __future__ import annotations

import pytest

from tests.ogcapi.conftest import Served

ITEMS = "/ogcapi/collections/roads/items"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"

BAD_400 = [
    ("bbox=120.16,30.24,120.14,30.26", "bbox"),  # min x > max x
    ("bbox=120.14,30.26,120.16,30.24", "bbox"),  # min y > max y
    ("bbox=120.14,30.24,120.16", "bbox"),
    ("bbox=1,2,3,4,5", "bbox"),
    ("bbox=1,2,3,4,5,6,7", "bbox"),
    ("bbox=NaN,30,121,31", "bbox"),
    ("bbox=120,30,inf,31", "bbox"),
    ("bbox=a,b,c,d", "bbox"),
    ("bbox=", "bbox"),
    ("bbox=120,-91,121,31", "bbox"),
    ("bbox=-181,30,121,31", "bbox"),
    (f"bbox=30,120,31,121&bbox-crs={EPSG}4490x", "bbox-crs"),
    ("bbox=1e300,1e300,1e301,1e301&bbox-crs=" + EPSG + "3857", "bbox"),
    ("bbox-crs=" + EPSG + "4490", "bbox-crs"),  # without bbox
    ("crs=EPSG:9999", "crs"),
    ("crs=" + EPSG + "2000", "crs"),
    ("crs=not a crs", "crs"),
    ("limit=0", "limit"),
    ("limit=-1", "limit"),
    ("limit=ten", "limit"),
    ("limit=1.5", "limit"),
    ("limit=5001", "limit"),
    ("offset=-1", "offset"),
    ("offset=99999999999999999999999", "offset"),
    ("datetime=yesterday", "datetime"),
    ("datetime=2024-01-01T00:00:00Z/2025-01-01T00:00:00Z", "datetime"),
    ("datetime=../2025-01-01", "datetime"),
    ("datetime=0001-01-01T00:00:00%2B01:00", "datetime"),
    ("nosuchproperty=1", "nosuchproperty"),
    ("maxspeed=fast", "filter"),  # the store names the field; the parameter is the property
    ("maxspeed=99999999999999999999999", "filter"),
    ("filter=name%20%3D", "filter"),
    ("filter=nosuch%20%3D%201", "filter"),
    ("filter=name%3D'a'&filter-lang=sql", "filter-lang"),
    ("filter-lang=cql2-text", "filter-lang"),
    ("filter={&filter-lang=cql2-json", "filter"),
    ("filter=S_INTERSECTS(geometry,POINT(1 2))&filter-crs=EPSG:1", "filter-crs"),
    ("name=%00", "name"),
    ("f=xml", "f"),
]


@pytest.mark.parametrize("query, parameter", BAD_400, ids=[q for q, _ in BAD_400])
def test_bad_items_parameters_are_400_problems(served: Served, query: str, parameter: str,
                                               ) -> None:
    r = served.client.get(f"{ITEMS}?{query}")
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 400 and body["title"] and body["title_en"]
    if parameter != "filter" or "parameter" in body["detail"]:
        assert body["detail"].get("parameter", body["detail"].get("field")) in (
            parameter, "maxspeed")


@pytest.mark.parametrize("path", [
    "/ogcapi/collections/nosuch", "/ogcapi/collections/nosuch/items",
    "/ogcapi/collections/nosuch/items/1", "/ogcapi/collections/nosuch/queryables",
    "/ogcapi/collections/roads/items/nosuch", "/ogcapi/collections/roads/items/%00",
    "/ogcapi/collections/%00/items", "/ogcapi/collections/roads/other", "/ogcapi/x/y/z",
])
def test_unknown_resources_are_404_problems(served: Served, path: str) -> None:
    r = served.client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 404


@pytest.mark.parametrize("query", ["crs=EPSG:1", "nosuch=1", "datetime=x", "f=pdf"])
def test_bad_single_item_parameters(served: Served, query: str) -> None:
    r = served.client.get(f"{ITEMS}/{served.renamed}?{query}")
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"


def test_unacceptable_media_type_is_406(served: Served) -> None:
    for path in ["/ogcapi", "/ogcapi/collections/roads/items", "/ogcapi/api"]:
        r = served.client.get(path, headers={"Accept": "image/png"})
        assert r.status_code == 406
        assert r.headers["content-type"] == "application/problem+json"


def test_request_time_limit_is_a_503_problem(served: Served) -> None:
    """A read past `request_timeout` answers problem JSON 503 naming the limit; the server
    goes on answering."""
    from starlette.testclient import TestClient

    from mapnode.config import Settings
    from mapnode.http.app import create_app

    settings = Settings(store=served.store.url, request_timeout=0.001)
    with TestClient(create_app(settings, store=served.store)) as slow:
        r = slow.get(f"{ITEMS}?limit=1000")
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"]["limit_seconds"] == "0.001"
        assert slow.get("/ogcapi/conformance").status_code == 200
    assert served.client.get(f"{ITEMS}?limit=10").json()["numberReturned"] == 10
