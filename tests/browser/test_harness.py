"""The harness itself: a clean page reports nothing, a broken page reports each of its faults,
WebGL 2 works headless, viewport and device scale reach the page, screenshots are written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from mapnode.store import open_store
from tests.support.browser import ARTIFACTS, run_page
from tests.support.server import ServeProcess


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    path = tmp_path_factory.mktemp("harness") / "empty.mapnode"
    open_store(str(path)).close()
    server = ServeProcess(str(path))
    yield server
    server.stop()


def test_a_clean_page_reports_no_problems(empty_server: ServeProcess) -> None:
    facts = run_page("harness_check.mjs", empty_server.url, viewport=(390, 844), scale=2,
                     args={"mode": "clean"})
    facts.assert_clean()
    assert facts.values["title"] == "测试页"
    assert facts.values["webgl2"].startswith("WebGL 2.0")
    assert facts.values["viewport"] == [390, 844, 2]
    assert facts.responses_to(r"/health$") == {200}
    health = next(r for r in facts.responses if r["url"].endswith("/health"))
    assert health["bytes"] > 50 and 0 <= health["ms"] < 30_000 and health["start_ms"] > 0
    assert facts.page_weight() >= health["bytes"]
    # responses are split by when their request started (`since()` in the script)
    split = facts.values["health_from_ms"]
    assert facts.page_weight(r"/health$", since_ms=split) == health["bytes"]
    assert facts.page_weight(r"/health$", until_ms=split) == 0
    assert facts.requests(r"/__test__/", until_ms=split)
    shot = Path(facts.screenshots[0])
    assert shot.parent == ARTIFACTS and Image.open(shot).size == (780, 1688)
    assert facts.timing["total_ms"] >= facts.timing["script_ms"] > 0


def test_a_broken_page_reports_each_fault(empty_server: ServeProcess) -> None:
    facts = run_page("harness_check.mjs", empty_server.url, args={"mode": "broken"})
    problems = facts.problems()
    assert any("deliberate error" in p for p in problems)
    assert any("deliberate page error" in p for p in facts.page_errors)
    assert [r["status"] for r in facts.bad_responses] == [404]
    with pytest.raises(AssertionError):
        facts.assert_clean()
    ignoring = run_page("harness_check.mjs", empty_server.url, args={"mode": "broken"},
                        ignore=[r"/no/such/"])
    assert ignoring.bad_responses == [] and len(ignoring.page_errors) == 1


def test_a_crashing_script_fails_the_test(empty_server: ServeProcess, tmp_path: Path) -> None:
    script = tmp_path / "crash.mjs"
    script.write_text("process.exit(3);\n")
    with pytest.raises(pytest.fail.Exception, match="exited 3"):
        run_page(script, empty_server.url)


def test_a_missing_browser_fails_with_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    from tests.support import browser

    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(browser, "WEB", tmp_path)
    with pytest.raises(pytest.fail.Exception) as failed:
        browser.require_browser()
    message = str(failed.value)
    assert "apt-get install chromium" in message and "npm ci --prefix web" in message
