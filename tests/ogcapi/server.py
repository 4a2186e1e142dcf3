"""`mapnode serve` for the OGC API client tests: API keys and a page limit from the
environment, the access log kept in a file so the tests can count 5xx answers."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ogcapi.conftest import KEYS
from tests.support.server import ServeProcess


class OgcServer(ServeProcess):
    def __init__(self, store_url: str, log: Path) -> None:
        super().__init__(store_url, env={"MAPNODE_API_KEYS": json.dumps(KEYS),
                                         "MAPNODE_OGCAPI_MAX_LIMIT": "5000"}, log=log)

    @property
    def ogc(self) -> str:
        return self.url + "/ogcapi"
