"""`mapnode glyphs`: make the glyph PBFs a Chinese map needs before the first visitor asks.

A map with Chinese labels asks for ~90 ranges at once; made on demand that is tens of seconds
of CPU on the first visit. This command makes them ahead (Latin, CJK punctuation, the CJK
Unified Ideographs, full-width forms), skipping ranges already on disk, so it can be stopped
and run again.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from tqdm import tqdm

from mapnode.assets.fonts import FACES, resolve
from mapnode.assets.glyphs import GlyphCache, parse_range
from mapnode.errors import MapnodeError

# 256-code-point ranges: Latin, CJK symbols and punctuation, CJK Unified Ideographs, full-width
DEFAULT_STARTS = [0x0000, 0x3000, *range(0x4E00, 0xA000, 256), 0xFF00]


@click.command("glyphs")
@click.option("--store", envvar="MAPNODE_STORE", default="mapnode.mapnode", show_default=True,
              help="存储（缓存在其 data_dir/fonts）/ store (cache in its data_dir/fonts)")
@click.option("--cache-dir", envvar="MAPNODE_GLYPH_CACHE_DIR", default="",
              help="共享字形缓存目录 / shared glyph cache folder (instead of the store's)")
@click.option("--font", "fonts", multiple=True, help="字体（默认全部）/ fontstack (default: all)")
@click.option("--start", "starts", type=int, multiple=True,
              help="只生成这些范围（起点，256 的倍数）/ only the ranges starting here")
@click.option("--quiet", is_flag=True, help="不显示进度条 / no progress bar")
def glyphs_cmd(store: str, cache_dir: str, fonts: tuple[str, ...], starts: tuple[int, ...],
               quiet: bool) -> None:
    """预先生成字形 PBF / make the glyph PBFs ahead of the first map."""
    for start in starts:
        try:
            parse_range(f"{start}-{start + 255}")
        except MapnodeError as exc:
            raise click.BadParameter(str(exc), param_hint="--start") from exc
    if cache_dir:
        root = Path(cache_dir)
    else:
        from mapnode.store import open_store

        opened = open_store(store)
        root = opened.data_dir / "fonts"
        opened.close()
    cache = GlyphCache(root)
    faces = [resolve(f) for f in fonts] if fonts else list(FACES.values())
    jobs = [(face, start) for face in faces for start in (starts or DEFAULT_STARTS)]
    with tqdm(total=len(jobs), desc="字形/glyphs", unit="范围", disable=quiet) as bar:
        for face, start in jobs:
            cache.ensure(face, start)
            bar.update()
    click.echo(f"{len(jobs)} 个范围 / ranges in {os.fspath(root)}")
