"""GetLegendGraphic: one store layer's swatch from the renderer, or for `basemap` / `labels`
a column of every visible layer's swatch with its Chinese title beside it."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from mapnode.model import Actor, GeometryType, LayerKind
from mapnode.services.wms.inimage import font
from mapnode.services.wms.maps import encode
from mapnode.store import VersionedStore

ROW = 24
SWATCH = 20


def style_legend(store: VersionedStore, actor: Actor, style: str, fmt: str) -> bytes:
    """Swatches of every vector layer the actor may see, in the style `style`."""
    from mapnode.render import legend_image

    metas = [m for m in store.layers(actor)
             if m.kind is LayerKind.VECTOR and m.geometry_type is not GeometryType.NONE]
    face = font(12)
    titles = [m.title_zh or m.name for m in metas]
    text_w = max((int(face.getlength(t)) for t in titles), default=40)
    image = Image.new("RGBA", (SWATCH + 10 + text_w, max(ROW * len(metas), ROW)),
                      (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for i, (meta, title) in enumerate(zip(metas, titles, strict=True)):
        data = legend_image(store, actor, style=style, layer=meta.name, width=SWATCH,
                            height=SWATCH, fmt="png")
        image.alpha_composite(Image.open(io.BytesIO(data)).convert("RGBA"), (0, i * ROW + 2))
        draw.text((SWATCH + 6, i * ROW + 3), title, fill=(40, 40, 40, 255), font=face)
    return encode(image, fmt, transparent=True)
