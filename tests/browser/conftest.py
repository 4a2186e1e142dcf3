"""Browser tests: fixtures from tests/support/browser.py (the harness is documented there)."""

from tests.support.browser import demo_server  # noqa: F401
