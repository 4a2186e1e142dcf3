"""`mapnode seed` and `mapnode export-tiles`: warm the tile cache, or write MBTiles/PMTiles.

Both read tiles through `TileService.tile` as a caller of the given edition (public by
default), so the cache they fill is the one that caller's requests hit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from mapnode.errors import InvalidParameter, MapnodeError
from mapnode.model import Actor, Edition, Role
from mapnode.model.log import BBox

STORE_HELP = "存储：文件路径或 postgresql:// URL（默认取 MAPNODE_STORE）/ store path or URL"


def _bbox(text: str) -> BBox:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise click.BadParameter("应为 西,南,东,北 / expected west,south,east,north")
    return values  # type: ignore[return-value]


def _zooms(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    try:
        zmin, zmax = int(low), int(high or low)
    except ValueError:
        raise click.BadParameter("应为 z 或 zmin-zmax / expected z or zmin-zmax") from None
    return zmin, zmax


def _options(f):  # type: ignore[no-untyped-def]
    for option in reversed([
        click.option("--store", "-s", envvar="MAPNODE_STORE", default="mapnode.mapnode",
                     show_default=True, help=STORE_HELP),
        click.option("--tileset", "-t", default="basemap", show_default=True,
                     help="瓦片集：basemap、labels、imagery 或图层名 / tileset or layer name"),
        click.option("--grid", "-g", "tms", default="w", show_default=True,
                     help="网格：w、c、WebMercatorQuad、CGCS2000Quad、WorldCRS84Quad / grid"),
        click.option("--bbox", "-b", required=True,
                     help="经纬度范围 西,南,东,北 / lon/lat bbox west,south,east,north"),
        click.option("--zoom", "-z", required=True, help="级别 z 或 zmin-zmax / levels"),
        click.option("--format", "-f", "fmt", default="mvt", show_default=True,
                     type=click.Choice(["mvt", "png", "jpg", "webp"]), help="瓦片格式 / format"),
        click.option("--edition", type=click.Choice(["public", "government", "classified"]),
                     default="public", show_default=True,
                     help="以该版本用户的身份取瓦片 / fetch tiles as a caller of this edition"),
        click.option("--quiet", "-q", is_flag=True, help="不显示进度条 / no progress bar"),
    ]):
        f = option(f)
    return f


def _setup(store: str, tileset: str, tms: str, bbox: str, zoom: str, fmt: str,
           edition: str):  # type: ignore[no-untyped-def]
    from mapnode.services.seed import SeedPlan
    from mapnode.services.tiles import TileService
    from mapnode.store import open_store

    zmin, zmax = _zooms(zoom)
    plan = SeedPlan.make(tileset, tms, _bbox(bbox), zmin, zmax, fmt)
    s = open_store(store)
    actor = (Actor.anonymous() if edition == "public"
             else Actor(f"seed-{edition}", Edition(edition), frozenset({Role.READER})))
    service = TileService(s)
    from mapnode.services.tiles import tileset_layers

    if fmt == "mvt" or tileset not in ("labels", "imagery"):
        tileset_layers(s, actor, tileset)  # an unknown or hidden tileset fails before any work
    return s, service, actor, plan


def _fail(exc: MapnodeError) -> None:
    click.echo(f"错误 / error: {exc}", err=True)
    sys.exit(1)


@click.command("seed")
@_options
@click.option("--progress", "progress_file", type=click.Path(dir_okay=False),
              help="进度文件（默认在缓存目录）/ progress file (default: in the cache directory)")
def seed_cmd(store: str, tileset: str, tms: str, bbox: str, zoom: str, fmt: str, edition: str,
             quiet: bool, progress_file: str | None) -> None:
    """预生成瓦片缓存（可中断、可续传）/ seed the tile cache (resumable).

    例 / e.g. mapnode seed --tileset basemap --grid w --bbox 120.0,30.1,120.3,30.4 --zoom 10-14
    """
    from mapnode.services.seed import resume_point, seed

    try:
        s, service, actor, plan = _setup(store, tileset, tms, bbox, zoom, fmt, edition)
    except MapnodeError as exc:
        _fail(exc)
        return
    path = Path(progress_file) if progress_file else None
    bar = tqdm(total=plan.count(), initial=resume_point(service, actor, plan, path),
               desc=f"预生成/seed {plan.tileset} {plan.grid}", unit="瓦片", disable=quiet,
               file=sys.stderr, dynamic_ncols=True)
    try:
        summary = seed(service, actor, plan, path, lambda _s: bar.update(1))
    except MapnodeError as exc:
        bar.close()
        _fail(exc)
        return
    finally:
        s.close()
    bar.close()
    rate = f"{summary.rate:.1f}"
    click.echo(f"瓦片/tiles {summary.tiles} (新生成/made {summary.made}), 空/empty {summary.empty}, "
               f"跳过/skipped {summary.skipped}, 字节/bytes {summary.bytes}, "
               f"用时/seconds {summary.seconds:.1f}, 速度/rate {rate} tiles/s; "
               f"完成/done {summary.done}/{summary.total}")
    if summary.interrupted:
        click.echo("已中断，进度已保存；再次运行即可继续 / interrupted, progress saved: run again "
                   "to resume", err=True)
        sys.exit(130)


@click.command("export-tiles")
@_options
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="输出文件 .mbtiles 或 .pmtiles / output file")
def export_cmd(store: str, tileset: str, tms: str, bbox: str, zoom: str, fmt: str, edition: str,
               quiet: bool, output: str) -> None:
    """导出瓦片为 MBTiles 或 PMTiles（Web 墨卡托网格）/ export tiles to MBTiles or PMTiles.

    例 / e.g. mapnode export-tiles --bbox 120.0,30.1,120.3,30.4 --zoom 10-14 -o hz.mbtiles
    """
    from mapnode.services.export_tiles import export

    try:
        s, service, actor, plan = _setup(store, tileset, tms, bbox, zoom, fmt, edition)
        if Path(output).suffix.lower() not in (".mbtiles", ".pmtiles"):
            raise InvalidParameter("输出文件须为 .mbtiles 或 .pmtiles",
                                   "the output must be .mbtiles or .pmtiles", {"output": output})
    except MapnodeError as exc:
        _fail(exc)
        return
    bar = tqdm(total=plan.count(), desc=f"导出/export {plan.tileset}", unit="瓦片",
               disable=quiet, file=sys.stderr, dynamic_ncols=True)
    try:
        summary = export(service, actor, plan, Path(output), lambda _s: bar.update(1))
    except MapnodeError as exc:
        bar.close()
        _fail(exc)
        return
    finally:
        s.close()
    bar.close()
    click.echo(f"{output}: 瓦片/tiles {summary.tiles}, 空/empty {summary.empty}, "
               f"字节/bytes {summary.bytes}")


COMMANDS = [seed_cmd, export_cmd]
