"""`mapnode geocode input.csv -o output.csv`: batch geocoding with a progress bar."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from mapnode.errors import MapnodeError
from mapnode.model import Actor, Edition, Role


@click.command("geocode")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="输出 CSV（UTF-8）/ output CSV (UTF-8)")
@click.option("--address-column", "-c", default=None,
              help="地址列名（默认 地址 或 address）/ address column (default 地址 or address)")
@click.option("--store", "-s", envvar="MAPNODE_STORE", default="mapnode.mapnode", show_default=True,
              help="存储：文件路径或 postgresql:// URL / store path or URL")
@click.option("--edition", type=click.Choice(["public", "government", "classified"]),
              default="public", show_default=True,
              help="以此版本的身份读取图层 / read layers as a caller of this edition")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条 / no progress bar")
def geocode_cmd(path: Path, output: Path, address_column: str | None, store: str, edition: str,
                quiet: bool) -> None:
    """批量地理编码：CSV 输入，CSV 输出（经纬度、级别、置信度、匹配名称、区划代码）/
    batch geocode: CSV in (UTF-8 or GBK), CSV out with lon, lat, level, confidence, matched
    name and admin code. 出错退出码 2 / exit 2 on a bad file."""
    from mapnode.services.search.batch import geocode_all, read_table, write_table
    from mapnode.services.search.service import PlacesService
    from mapnode.store import open_store

    try:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise click.ClickException(f"无法读取 {path} / cannot read {path}: {exc.strerror}") \
                from None
        table = read_table(data, address_column, str(path))
        if "://" not in store and not Path(store).exists():
            raise click.ClickException(f"存储不存在 / no store at {store}")
        svc = PlacesService(open_store(store))
        svc.gazetteer.catch_up()
        with tqdm(total=len(table.rows), desc="地理编码 / geocoding", unit="条", disable=quiet,
                  file=sys.stderr) as bar:
            results = geocode_all(svc, _actor(edition), (r[table.column] for r in table.rows),
                                  bar.update)
        output.write_bytes(write_table(table, results))
    except MapnodeError as exc:
        click.echo(f"错误 / error: {exc}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"错误 / error: {exc.message}", err=True)
        sys.exit(2)
    found = sum(1 for r in results if r["lon"] is not None)
    click.echo(f"{found}/{len(results)} 条已定位 / located, 写入 / written to {output} "
               f"(输入编码 / input encoding {table.encoding})")


def _actor(edition: str) -> Actor:
    if edition == "public":
        return Actor.anonymous()
    return Actor("cli-geocode", Edition.parse(edition), frozenset({Role.READER}))
