"""QGIS tests run against the browser tests' demo server: mapnode serving the demo's map
layers, one per backend and session."""

from tests.support.browser import demo_server  # noqa: F401  (the session fixture)
