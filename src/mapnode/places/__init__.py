"""Place names: administrative divisions (GB/T 2260 + NBS codes) and the Chinese address parser."""

from mapnode.places.address import Component, ParsedAddress, parse_address
from mapnode.places.boundaries import BoundaryIndex
from mapnode.places.divisions import AdminDivisions, Division, DivisionRow, NameMatch, normalise_code
from mapnode.places.names import Level

__all__ = ["AdminDivisions", "BoundaryIndex", "Component", "Division", "DivisionRow", "Level",
           "NameMatch", "ParsedAddress", "normalise_code", "parse_address"]
