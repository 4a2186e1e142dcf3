"""Place-name search: a gazetteer derived from published layers, kept current by the log."""

from mapnode.services.search.config import DEFAULT_SOURCES, SearchConfig, SourceSpec
from mapnode.services.search.index import Gazetteer
from mapnode.services.search.query import Hit, Page, Query
from mapnode.services.search.service import PlacesService, check_point

__all__ = ["DEFAULT_SOURCES", "Gazetteer", "Hit", "Page", "PlacesService", "Query", "SearchConfig",
           "SourceSpec", "check_point"]
