"""WFS tests: one store per backend per module with the real Hangzhou data of the OGC API
tests (public `roads` with a rename, a delete and 20 roads added at seq 3; government
`amenities`), served by the real app through a TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from lxml import etree
from starlette.testclient import TestClient

from mapnode.config import Settings
from mapnode.http.app import create_app
from mapnode.model import Actor
from mapnode.store import VersionedStore
from tests.ogcapi.conftest import GOV_KEY, KEYS, load_hangzhou
from tests.support.backends import backend_store

NS = {"wfs": "http://www.opengis.net/wfs/2.0", "wfs11": "http://www.opengis.net/wfs",
      "gml": "http://www.opengis.net/gml/3.2", "gml311": "http://www.opengis.net/gml",
      "ows": "http://www.opengis.net/ows/1.1", "ows10": "http://www.opengis.net/ows",
      "fes": "http://www.opengis.net/fes/2.0", "ogc": "http://www.opengis.net/ogc",
      "m": "http://mapnode.org/features", "xsd": "http://www.w3.org/2001/XMLSchema"}
__all__ = ["GOV_KEY", "NS", "Served", "xml"]


@dataclass
class Served:
    store: VersionedStore
    client: TestClient
    renamed: str
    deleted: str
    added: list[str]
    before: datetime

    def get(self, status: int = 200, /, **params: Any) -> Any:
        """GET /wfs with these parameters; asserts the status and parses XML answers."""
        r = self.client.get("/wfs", params=params)
        assert r.status_code == status, r.text[:2000]
        return r

    def features(self, **params: Any) -> list[str]:
        """Feature ids of a WFS 2.0.0 GetFeature answer."""
        doc = xml(self.get(SERVICE="WFS", VERSION="2.0.0", REQUEST="GetFeature", **params))
        return [e.get(f"{{{NS['gml']}}}id").split(".", 1)[1]
                for e in doc.findall("wfs:member/*", NS)]

    def fids(self, **kwargs: Any) -> list[str]:
        """What the store itself answers (system actor), for comparison."""
        return [f.fid for f in self.store.features(Actor.system(), "roads", **kwargs)]


def xml(response: Any) -> etree._Element:
    return etree.fromstring(response.content)


def exception(response: Any) -> tuple[str, str, str]:
    """(exceptionCode, locator, text) of an ows:ExceptionReport (OWS 1.1 or 1.0)."""
    doc = xml(response)
    assert etree.QName(doc).localname == "ExceptionReport", response.text[:500]
    exc = doc[0]
    return exc.get("exceptionCode"), exc.get("locator") or "", "".join(exc.itertext())


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[Served]:
    def run(store: VersionedStore) -> Iterator[Served]:
        renamed, deleted, added = load_hangzhou(store)
        before = store.log_entry(Actor.system(), 2).time
        settings = Settings(store=store.url, api_keys=KEYS)
        with TestClient(create_app(settings, store=store)) as client:
            yield Served(store, client, renamed, deleted, added, before)

    with backend_store(request.param, tmp_path_factory.mktemp("wfs")) as store:
        yield from run(store)
