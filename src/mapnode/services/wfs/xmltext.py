"""Small helpers for writing XML as text: escaping (dropping characters XML 1.0 forbids),
NCName checks and the namespaces every WFS document uses."""

from __future__ import annotations

import re

PREFIX = "mapnode"
NS = "http://mapnode.org/features"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XLINK = "http://www.w3.org/1999/xlink"
WFS20 = "http://www.opengis.net/wfs/2.0"
WFS11 = "http://www.opengis.net/wfs"
GML32 = "http://www.opengis.net/gml/3.2"
GML311 = "http://www.opengis.net/gml"
FES20 = "http://www.opengis.net/fes/2.0"
OGC = "http://www.opengis.net/ogc"
OWS11 = "http://www.opengis.net/ows/1.1"
OWS10 = "http://www.opengis.net/ows"

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NCNAME = re.compile(r"^[^\W\d][\w.\-]*$")
SPECIAL = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
"""Characters that make `esc` change a text (a fast check before escaping)."""
_TABLE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def esc(value: object) -> str:
    """Text (or attribute content inside double quotes) safe to place in XML."""
    text = str(value)
    if _BAD.search(text):
        text = _BAD.sub("", text)
    return text.translate(_TABLE)


def is_ncname(name: str) -> bool:
    """Whether `name` can be an XML element name without a prefix (Chinese letters allowed)."""
    return bool(_NCNAME.match(name)) and not name.lower().startswith("xml")
