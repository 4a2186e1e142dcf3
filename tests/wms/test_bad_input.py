"""Bad WMS input: a ServiceExceptionReport naming the code and parameter, status 400,
`text/xml` in 1.3.0 and `application/vnd.ogc.se_xml` in 1.1.1, never a 500."""

from __future__ import annotations

import io

import pytest
from lxml import etree
from PIL import Image
from starlette.testclient import TestClient

from tests.wms.conftest import Served

OGC = "{http://www.opengis.net/ogc}"
MAP_130 = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetMap", "LAYERS": "roads",
           "STYLES": "", "CRS": "EPSG:4490", "BBOX": "30.22,120.11,30.27,120.17",
           "WIDTH": "256", "HEIGHT": "256", "FORMAT": "image/png"}
MAP_111 = {**MAP_130, "VERSION": "1.1.1", "SRS": "EPSG:4326", "BBOX": "120.11,30.22,120.17,30.27"}
del MAP_111["CRS"]
INFO_130 = {**MAP_130, "REQUEST": "GetFeatureInfo", "QUERY_LAYERS": "roads", "I": "10",
            "J": "10", "INFO_FORMAT": "application/json"}


def report(client: TestClient, params: dict[str, str], version: str = "1.3.0",
           ) -> tuple[str, str | None, str]:
    r = client.get("/wms", params={k: v for k, v in params.items() if v is not None})
    assert r.status_code == 400, r.text
    if version == "1.3.0":
        assert r.headers["content-type"].startswith("text/xml")
        root = etree.fromstring(r.content)
        assert root.tag == f"{OGC}ServiceExceptionReport"
        item = root.find(f"{OGC}ServiceException")
    else:
        assert r.headers["content-type"].startswith("application/vnd.ogc.se_xml")
        root = etree.fromstring(r.content, etree.XMLParser(load_dtd=False, no_network=True))
        assert root.tag == "ServiceExceptionReport"
        item = root.find("ServiceException")
    assert " / " in item.text  # Chinese, then English
    return item.get("code"), item.get("locator"), item.text


CASES_130 = [
    ({"REQUEST": None}, "MissingParameterValue", "REQUEST"),
    ({"REQUEST": "GetStyles"}, "OperationNotSupported", "REQUEST"),
    ({"SERVICE": "WFS"}, "InvalidParameterValue", "SERVICE"),
    ({"VERSION": None}, "MissingParameterValue", "VERSION"),
    ({"VERSION": "1.2.0"}, "InvalidParameterValue", "VERSION"),
    ({"VERSION": "abc"}, "InvalidParameterValue", "VERSION"),
    ({"LAYERS": "nope"}, "LayerNotDefined", "LAYERS"),
    ({"LAYERS": "roads,,water"}, "LayerNotDefined", "LAYERS"),
    ({"LAYERS": None}, "MissingParameterValue", "LAYERS"),
    ({"CRS": "EPSG:2000"}, "InvalidCRS", "CRS"),
    ({"CRS": "nonsense"}, "InvalidCRS", "CRS"),
    ({"BBOX": "1,2,3"}, "InvalidParameterValue", "BBOX"),
    ({"BBOX": "1,2,3,4,5"}, "InvalidParameterValue", "BBOX"),
    ({"BBOX": "NaN,120,30.3,120.2"}, "InvalidParameterValue", "BBOX"),
    ({"BBOX": "30.3,120.1,30.2,120.2"}, "InvalidParameterValue", "BBOX"),
    ({"BBOX": "30.2,120.1,inf,120.2"}, "InvalidParameterValue", "BBOX"),
    ({"BBOX": "a,b,c,d"}, "InvalidParameterValue", "BBOX"),
    ({"WIDTH": "0"}, "InvalidParameterValue", "WIDTH"),
    ({"WIDTH": "-5"}, "InvalidParameterValue", "WIDTH"),
    ({"HEIGHT": "12.5"}, "InvalidParameterValue", "HEIGHT"),
    ({"WIDTH": "4097"}, "InvalidParameterValue", "WIDTH"),
    ({"WIDTH": "999999999999"}, "InvalidParameterValue", "WIDTH"),
    ({"FORMAT": "image/gif"}, "InvalidFormat", "FORMAT"),
    ({"FORMAT": None}, "MissingParameterValue", "FORMAT"),
    ({"STYLES": ",,"}, "InvalidParameterValue", "STYLES"),
    ({"STYLES": "fancy"}, "StyleNotDefined", "STYLES"),
    ({"TRANSPARENT": "maybe"}, "InvalidParameterValue", "TRANSPARENT"),
    ({"BGCOLOR": "red"}, "InvalidParameterValue", "BGCOLOR"),
    ({"TIME": "2020-01-01/2021-01-01"}, "InvalidDimensionValue", "TIME"),
    ({"TIME": "yesterday"}, "InvalidDimensionValue", "TIME"),
]


@pytest.mark.parametrize(("change", "code", "locator"), CASES_130)
def test_getmap_130(served: Served, change: dict[str, str | None], code: str,
                    locator: str) -> None:
    assert report(served.client, {**MAP_130, **change}) [:2] == (code, locator)


@pytest.mark.parametrize(("change", "code", "locator"), [
    ({"SRS": "EPSG:2000"}, "InvalidSRS", "SRS"),
    ({"SRS": "CRS:84"}, "InvalidSRS", "SRS"),
    ({"LAYERS": "gov_zones"}, "LayerNotDefined", "LAYERS"),
    ({"BBOX": "120.17,30.22,120.11,30.27"}, "InvalidParameterValue", "BBOX"),
    ({"FORMAT": "image/tiff"}, "InvalidFormat", "FORMAT"),
])
def test_getmap_111(served: Served, change: dict[str, str], code: str, locator: str) -> None:
    assert report(served.client, {**MAP_111, **change}, "1.1.1")[:2] == (code, locator)


def test_a_130_bbox_in_lon_lat_order_is_refused_not_drawn_elsewhere(served: Served) -> None:
    code, _, _ = report(served.client, {**MAP_130, "BBOX": "120.11,30.22,120.17,30.27"})
    assert code in ("InvalidParameterValue", "NoApplicableCode")


def test_oversized_image_names_the_limit(served: Served) -> None:
    code, locator, text = report(served.client, {**MAP_130, "WIDTH": "4096", "HEIGHT": "4096",
                                                 "LAYERS": "roads"} | {"WIDTH": "5000"})
    assert (code, locator) == ("InvalidParameterValue", "WIDTH") and "4096" in text


@pytest.mark.parametrize(("change", "code", "locator"), [
    ({"QUERY_LAYERS": "basemap", "LAYERS": "basemap"}, "LayerNotQueryable", "QUERY_LAYERS"),
    ({"QUERY_LAYERS": "water"}, "LayerNotDefined", "QUERY_LAYERS"),  # not in LAYERS
    ({"QUERY_LAYERS": "gov_pois", "LAYERS": "gov_pois"}, "LayerNotDefined", "LAYERS"),
    ({"I": "256"}, "InvalidPoint", "I"),
    ({"J": "-1"}, "InvalidPoint", "J"),
    ({"I": "x"}, "InvalidPoint", "I"),
    ({"I": None}, "MissingParameterValue", "I"),
    ({"INFO_FORMAT": "image/png"}, "InvalidFormat", "INFO_FORMAT"),
    ({"FEATURE_COUNT": "0"}, "InvalidParameterValue", "FEATURE_COUNT"),
    ({"QUERY_LAYERS": None}, "MissingParameterValue", "QUERY_LAYERS"),
])
def test_feature_info(served: Served, change: dict[str, str | None], code: str,
                      locator: str) -> None:
    assert report(served.client, {**INFO_130, **change})[:2] == (code, locator)


def test_feature_info_111_uses_x_y(served: Served) -> None:
    params = {**MAP_111, "REQUEST": "GetFeatureInfo", "QUERY_LAYERS": "roads", "X": "300",
              "Y": "10"}
    assert report(served.client, params, "1.1.1")[:2] == ("InvalidPoint", "X")


def test_legend_errors(served: Served) -> None:
    base = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetLegendGraphic"}
    assert report(served.client, base)[:2] == ("MissingParameterValue", "LAYER")
    assert report(served.client, {**base, "LAYER": "nope"})[:2] == ("LayerNotDefined", "LAYER")
    assert report(served.client, {**base, "LAYER": "roads", "FORMAT": "x/y"})[0] == "InvalidFormat"


def test_blank_and_inimage_exceptions_answer_images(served: Served) -> None:
    for mode in ("BLANK", "INIMAGE"):
        r = served.client.get("/wms", params={**MAP_130, "LAYERS": "nope", "EXCEPTIONS": mode})
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(r.content)).convert("RGB")
        assert image.size == (256, 256)
        colours = len(set(image.get_flattened_data()))
        assert colours == 1 if mode == "BLANK" else colours > 1
    r = served.client.get("/wms", params={**MAP_111, "LAYERS": "nope",
                                          "EXCEPTIONS": "application/vnd.ogc.se_blank"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"


def test_render_timeout_is_a_report(served: Served) -> None:
    from mapnode.config import Settings
    from mapnode.http.app import create_app
    from tests.wms.conftest import KEYS

    settings = Settings(store=served.store.url, api_keys=KEYS, wms_render_timeout=0.001)
    with TestClient(create_app(settings, store=served.store)) as slow:
        r = slow.get("/wms", params={**MAP_130, "LAYERS": "basemap"})
    assert r.status_code == 503 and b"NoApplicableCode" in r.content


def test_configured_pixel_limit(served: Served) -> None:
    from mapnode.config import Settings
    from mapnode.http.app import create_app
    from tests.wms.conftest import KEYS

    settings = Settings(store=served.store.url, api_keys=KEYS, wms_max_pixels=10_000)
    with TestClient(create_app(settings, store=served.store)) as small:
        code, _, text = report(small, {**MAP_130, "WIDTH": "101", "HEIGHT": "100"})
    assert code == "InvalidParameterValue" and "10000" in text
