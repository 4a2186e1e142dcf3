"""The `mapnode` command. Help in Chinese first, English too; progress bars on long work."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click
from tqdm import tqdm

from mapnode.errors import InvalidData, MapnodeError
from mapnode.model import Actor, Edition

STORE_HELP = "存储：文件路径或 postgresql:// URL（默认取 MAPNODE_STORE）/ store path or URL"


def _store_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--store", "-s", envvar="MAPNODE_STORE", default="mapnode.mapnode",
                        show_default=True, help=STORE_HELP)(f)


def _fail(exc: MapnodeError) -> None:
    click.echo(f"错误 / error: {exc}", err=True)
    if isinstance(exc, InvalidData):
        for p in exc.problems:
            click.echo(f"  - {p}", err=True)
    sys.exit(2 if isinstance(exc, InvalidData) else 1)


def _open(store: str) -> Any:
    from mapnode.store import open_store

    return open_store(store)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mapnode")
def main() -> None:
    """mapnode 地理信息公共服务平台 / geographic information public service platform."""


@main.command("import")
@_store_option
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--layer", "-l", help="目标图层名（默认取文件名）/ target layer name")
@click.option("--crs", help="源坐标系，覆盖文件声明：EPSG:4490/4326/3857/4547…，gcj02，bd09 / "
              "source CRS (overrides the file)")
@click.option("--key", help="键字段：重新导入只写入差异 / key field: re-imports write differences")
@click.option("--replace", is_flag=True, help="无键字段时替换图层内容 / replace layer content")
@click.option("--repair", is_flag=True, help="修复无效几何（make_valid）/ repair invalid geometries")
@click.option("--encoding", help="属性编码（如 GBK），文件未声明时使用 / attribute encoding")
@click.option("--source-layer", "source_layers", multiple=True,
              help="只导入文件中的这些图层 / only these layers of the file")
@click.option("--lon", "lon_field", help="CSV 经度列 / CSV longitude column")
@click.option("--lat", "lat_field", help="CSV 纬度列 / CSV latitude column")
@click.option("--edition", type=click.Choice(["public", "government", "classified"]),
              default="public", show_default=True, help="版本：公众/政务/涉密 / edition")
@click.option("--title", help="中文标题 / Chinese title")
@click.option("--title-en", help="英文标题 / English title")
@click.option("--licence", help="许可 / licence")
@click.option("--attribution", help="署名 / attribution")
@click.option("--message", "-m", default="", help="变更说明 / changeset message")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条 / no progress bar")
def import_cmd(store: str, path: str, layer: str | None, crs: str | None, key: str | None,
               replace: bool, repair: bool, encoding: str | None,
               source_layers: tuple[str, ...], lon_field: str | None, lat_field: str | None,
               edition: str, title: str | None, title_en: str | None, licence: str | None,
               attribution: str | None, message: str, quiet: bool) -> None:
    """导入数据文件到图层（一次导入 = 一个变更集）/ import a file into a layer (one changeset).

    支持 / formats: GeoJSON, GeoPackage, 压缩 Shapefile (.zip), CSV, OSM PBF, GeoTIFF.
    """
    from mapnode.ingest import ImportOptions, import_file

    metadata = {k: v for k, v in {"title_zh": title, "title_en": title_en, "licence": licence,
                                  "attribution": attribution}.items() if v}
    options = ImportOptions(layer=layer, crs=crs, key=key, replace=replace, repair=repair,
                            encoding=encoding, source_layers=list(source_layers) or None,
                            message=message, edition=Edition(edition), metadata=metadata,
                            lon_field=lon_field, lat_field=lat_field)
    bars: list[tqdm] = []

    def progress(label: str, total: int | None) -> Callable[[int], None]:
        bar = tqdm(total=total, desc=f"导入/import {label}", unit="要素", disable=quiet,
                   file=sys.stderr, dynamic_ncols=True)
        bars.append(bar)
        return bar.update

    try:
        report = import_file(_open(store), Actor.system(), path, options, progress)
    except MapnodeError as exc:
        for bar in bars:
            bar.close()
        _fail(exc)
        return
    for bar in bars:
        bar.close()
    for p in report.notes:
        click.echo(f"  提示 / note: {p}", err=True)
    for p in report.repaired:
        click.echo(f"  已修复 / repaired: {p}", err=True)
    if report.seq is None:
        click.echo(f"无变化 / no changes ({report.features_read} 要素/features read)")
        return
    for name, change in report.layers.items():
        if not (change.inserted or change.updated or change.deleted):
            click.echo(f"{name}: 已登记（栅格或图层信息）/ registered (raster or layer metadata)")
            continue
        click.echo(f"{name}: 新增/inserted {change.inserted}, 修改/updated {change.updated}, "
                   f"删除/deleted {change.deleted}")
    click.echo(f"序号 / seq {report.seq}")


@main.command("load")
@_store_option
@click.argument("manifest", type=click.Path(dir_okay=False))
@click.option("--only", multiple=True, help="只载入这些条目（图层名）/ only these entries (layer names)")
@click.option("--force", is_flag=True, help="文件未变也重新读取 / re-read files even if unchanged")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条 / no progress bar")
def load_cmd(store: str, manifest: str, only: tuple[str, ...], force: bool, quiet: bool) -> None:
    """按数据清单载入（每个条目一个变更集，可重复执行）/ load a data manifest.

    每个条目 = 一个变更集；重复载入未变化的文件不产生任何变化。
    Each entry is one changeset; loading unchanged files again changes nothing.
    """
    from mapnode.manifest import EntryResult, EntryStatus, load_manifest, read_manifest

    bars: list[tqdm] = []

    def progress(label: str, total: int | None) -> Callable[[int], None]:
        for bar in bars:  # one bar at a time (an OSM file has several layers)
            bar.close()
        bars.clear()
        bar = tqdm(total=total, desc=f"载入/load {label}", unit="要素",
                   disable=True if quiet else None, file=sys.stderr, dynamic_ncols=True,
                   leave=False)
        bars.append(bar)
        return bar.update

    def report(r: EntryResult) -> None:
        for bar in bars:
            bar.close()
        bars.clear()
        name = r.entry.layer
        for p in r.report.repaired if r.report else []:
            click.echo(f"  已修复 / repaired: {p}", err=True)
        if r.status is EntryStatus.LOADED and r.report is not None:
            counts = "; ".join(f"{k} +{c.inserted} ~{c.updated} -{c.deleted}"
                               for k, c in r.report.layers.items())
            click.echo(f"{name}: 序号/seq {r.seq} ({counts})")
        elif r.status is EntryStatus.METADATA:
            click.echo(f"{name}: 仅更新元数据 / metadata updated")
        else:
            click.echo(f"{name}: 无变化 / no changes")

    try:
        s = _open(store)
        try:
            results = load_manifest(s, Actor.system(), read_manifest(manifest),
                                    only=list(only) or None, force=force, progress=progress,
                                    on_result=report)
            seq = s.current_seq()
        finally:
            s.close()
    except MapnodeError as exc:
        for bar in bars:
            bar.close()
        _fail(exc)
        return
    loaded = [r for r in results if r.status is EntryStatus.LOADED]
    if not loaded:
        click.echo(f"无变化 / no changes (序号/seq {seq})")
    else:
        click.echo(f"载入 {len(loaded)} 个变更集 / {len(loaded)} changesets loaded (序号/seq {seq})")


@main.command("index")
@_store_option
@click.option("--rebuild", is_flag=True, help="从头重建 / rebuild from scratch")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条 / no progress bar")
def index_cmd(store: str, rebuild: bool, quiet: bool) -> None:
    """更新地名搜索索引（跟随序列日志）/ bring the place-name search index up to date.

    服务也会自动跟随日志；在载入大量数据后运行可免去首次搜索的等待。
    The server follows the log by itself; run this after a large load so the first search
    does not wait for indexing.
    """
    from mapnode.services.search.service import PlacesService

    try:
        gazetteer = PlacesService(_open(store)).gazetteer
        if rebuild or gazetteer.indexed_seq() < 0:
            with tqdm(desc="地名索引 / place index", unit="条", disable=quiet,
                      file=sys.stderr) as bar:
                def progress(done: int, total: int) -> None:
                    bar.total = total
                    bar.n = done
                    bar.refresh()

                seq = gazetteer.rebuild(progress)
        else:
            seq = gazetteer.catch_up()
    except MapnodeError as exc:
        _fail(exc)
        return
    click.echo(f"地名索引已更新至序号 / place index at seq {seq}")


@main.command("layers")
@_store_option
@click.option("--json", "as_json", is_flag=True, help="JSON 输出 / JSON output")
def layers_cmd(store: str, as_json: bool) -> None:
    """列出图层 / list layers."""
    try:
        s = _open(store)
        metas = s.layers(Actor.system())
    except MapnodeError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps([m.to_dict() for m in metas], ensure_ascii=False, indent=2))
        return
    for m in metas:
        click.echo(f"{m.name}\t{m.kind.value}\t{m.geometry_type.value}\t{m.edition.label_zh}\t"
                   f"{m.title_zh}")


@main.command("log")
@_store_option
@click.option("--since", default=0, show_default=True, help="从此序号之后 / after this seq")
@click.option("--limit", default=50, show_default=True)
def log_cmd(store: str, since: int, limit: int) -> None:
    """显示序列日志 / show the sequence log."""
    try:
        entries = _open(store).log(Actor.system(), since, limit)
    except MapnodeError as exc:
        _fail(exc)
        return
    for e in entries:
        layers = ", ".join(f"{k}(+{v.inserted} ~{v.updated} -{v.deleted})"
                           for k, v in e.layers.items())
        click.echo(f"{e.seq}\t{e.time.isoformat(timespec='seconds')}\t{e.author}\t{e.message}\t"
                   f"{layers}")


@main.command("serve")
@_store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 / bind address")
@click.option("--port", default=8000, show_default=True, help="端口 / port")
@click.option("--workers", default=1, show_default=True, help="工作进程数 / worker processes")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              envvar="MAPNODE_ACCESS_LOG",
              help="每个请求记一行日志（前端代理已记录时可关闭，瓦片吞吐更高）/ log one line per "
                   "request (turn off when a reverse proxy logs requests: more tiles/s)")
def serve_cmd(store: str, host: str, port: int, workers: int, access_log: bool) -> None:
    """启动 HTTP 服务 / start the HTTP server."""
    import os

    import uvicorn

    try:
        _open(store).close()
    except MapnodeError as exc:
        _fail(exc)
        return
    os.environ["MAPNODE_STORE"] = store
    click.echo(f"mapnode 服务 / serving {store} at http://{host}:{port}/")
    uvicorn.run("mapnode.http.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="info", access_log=access_log)


main.add_command(__import__("mapnode.cli_geocode", fromlist=["geocode_cmd"]).geocode_cmd)
main.add_command(__import__("mapnode.assets.cli", fromlist=["glyphs_cmd"]).glyphs_cmd)

for _command in __import__("mapnode.cli_tiles", fromlist=["COMMANDS"]).COMMANDS:  # seed, export-tiles
    main.add_command(_command)


if __name__ == "__main__":
    main()
