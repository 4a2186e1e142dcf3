"""The `mapnode` command: help on every subcommand, clear errors with non-zero exits."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from mapnode.cli import main


def _subcommands() -> list[str]:
    return sorted(main.commands)


def test_every_subcommand_has_bilingual_help() -> None:
    runner = CliRunner()
    names = _subcommands()
    assert {"import", "serve", "layers", "log"} <= set(names)
    for name in names:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output
        # Chinese first, English too.
        assert any("\u4e00" <= ch <= "\u9fff" for ch in result.output), name


def test_console_script_runs_as_a_process() -> None:
    out = subprocess.run([sys.executable, "-m", "mapnode.cli", "--help"], capture_output=True,
                         text=True, check=True)
    assert "import" in out.stdout and "serve" in out.stdout


def test_serve_passes_the_access_log_switch_to_uvicorn(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    store = str(tmp_path / "s.mapnode")
    runner = CliRunner()
    assert runner.invoke(main, ["serve", "--store", store]).exit_code == 0
    assert seen["access_log"] is True
    assert runner.invoke(main, ["serve", "--store", store, "--no-access-log"]).exit_code == 0
    assert seen["access_log"] is False


@pytest.mark.parametrize("args", [
    ["import", "/nonexistent/file.gpkg"],
    ["import", __file__],  # not geodata
])
def test_import_errors_exit_non_zero_without_traceback(tmp_path, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    store = str(tmp_path / "s.mapnode")
    proc = subprocess.run([sys.executable, "-m", "mapnode.cli", *args, "--store", store],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "错误 / error" in proc.stderr


def test_store_from_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "env.mapnode"
    result = CliRunner().invoke(main, ["layers"], env={"MAPNODE_STORE": str(store)})
    assert result.exit_code == 0, result.output
    assert store.exists()


def test_index_builds_the_place_index_once_then_follows_the_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mapnode.model import Actor
    from mapnode.services.search.query import Query
    from mapnode.services.search.service import PlacesService
    from mapnode.store import open_store
    from tests.support.data import STATIONS_GPKG

    store = str(tmp_path / "idx.mapnode")
    runner = CliRunner()
    imported = runner.invoke(main, ["import", str(STATIONS_GPKG), "--store", store,
                                    "--layer", "stations", "--quiet"])
    assert imported.exit_code == 0, imported.output
    first = runner.invoke(main, ["index", "--store", store, "--quiet"])
    assert first.exit_code == 0, first.output
    assert "seq 1" in first.output
    service = PlacesService(open_store(store))
    assert service.gazetteer.indexed_seq() == 1
    hits = service.search(Actor.anonymous(), Query(text="杭州东")).hits
    assert hits and "杭州东" in hits[0].name
