"""WFS exceptions: an OWS exception code, a locator and a bilingual text. `mapnode.http.wfs`
writes them as an `ows:ExceptionReport` (OWS 1.1 for WFS 2.0.0, OWS 1.0 for WFS 1.1.0) with
the shared writer in `mapnode.http.ogc_xml`.

HTTP status follows the WFS 2.0.2 exception table: NotFound 404, OperationProcessingFailed 403,
everything caused by the request itself 400, OperationNotSupported included (OWS 1.1 says 501;
a 5xx would read as a server fault). Nothing a client sends produces a 5xx, except a request
that runs past `request_timeout` (503, as the WMS does for its render timeout).
"""

from __future__ import annotations

from typing import Any

from mapnode.errors import Forbidden, InvalidParameter, MapnodeError, NotFound, TimedOut

STATUS = {"NotFound": 404, "OperationProcessingFailed": 403}


class WfsError(Exception):
    """An OWS exception: `code` (e.g. InvalidParameterValue), `locator`, texts zh and en."""

    def __init__(self, code: str, locator: str, zh: str, en: str,
                 status: int | None = None) -> None:
        super().__init__(f"{code} ({locator}): {zh} / {en}")
        self.code = code
        self.locator = locator
        self.zh = zh
        self.en = en
        self.status = status if status is not None else STATUS.get(code, 400)


def missing(locator: str) -> WfsError:
    return WfsError("MissingParameterValue", locator, f"缺少参数 {locator}",
                    f"missing parameter {locator}")


def invalid(locator: str, zh: str, en: str) -> WfsError:
    return WfsError("InvalidParameterValue", locator, zh, en)


def from_domain(exc: MapnodeError, locator: str) -> WfsError:
    """A domain error raised while serving a request, as a WFS exception."""
    extra = detail(exc.context)
    zh, en = exc.message_zh + extra, (exc.message_en or exc.message_zh) + extra
    if isinstance(exc, InvalidParameter):
        where = str(exc.context.get("parameter") or locator)
        return WfsError("InvalidParameterValue", where, zh, en)
    if isinstance(exc, NotFound):
        return WfsError("InvalidParameterValue", locator, zh, en)
    if isinstance(exc, Forbidden):
        return WfsError("OperationProcessingFailed", locator, zh, en)
    if isinstance(exc, TimedOut):
        return WfsError("OperationProcessingFailed", locator, zh, en, status=503)
    return WfsError("OperationProcessingFailed", locator, zh, en)


def detail(context: dict[str, Any]) -> str:
    shown = {k: v for k, v in context.items() if k != "parameter"}
    if not shown:
        return ""
    return " (" + ", ".join(f"{k}={str(v)[:200]}" for k, v in shown.items()) + ")"
