"""Make the demo's imagery layer: a colour-shaded relief of China from the MIT-licensed 0.2° DEM.

    .venv/bin/python demo/dem_china_relief/make_relief.py \
        ../shared/data/dem_china_cnmaps_sample/china_dem_0p2deg.tif demo/dem_china_relief/china_relief.tif

Upsamples 4× (bilinear, 0.05°), colours by height (hypsometric tints), multiplies by a hillshade
(sun from the north-west, 45°); nodata (sea and outside the source grid) is transparent. Output:
RGBA uint8 GeoTIFF, EPSG:4326, deflate. Deterministic.
"""

from __future__ import annotations

import sys

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.transform import Affine

UPSAMPLE = 4
# (height in metres, RGB): lowland green → hills yellow-brown → mountains grey → snow
TINTS = [(-200, (172, 208, 165)), (0, (172, 208, 165)), (200, (148, 191, 139)),
         (500, (168, 198, 143)), (1000, (209, 215, 171)), (2000, (225, 228, 181)),
         (3000, (202, 185, 130)), (4000, (172, 154, 124)), (5000, (224, 222, 216)),
         (7500, (255, 255, 255))]


def relief(src_path: str, dst_path: str) -> None:
    with rasterio.open(src_path) as src:
        height, width = src.height * UPSAMPLE, src.width * UPSAMPLE
        dem = src.read(1, out_shape=(height, width), resampling=Resampling.bilinear, masked=True)
        mask = src.read_masks(1, out_shape=(height, width), resampling=Resampling.nearest) == 0
        transform = src.transform * Affine.scale(src.width / width, src.height / height)
    z = np.where(mask, 0.0, dem.filled(0.0)).astype("float64")
    heights = np.array([h for h, _ in TINTS], dtype="float64")
    rgb = np.stack([np.interp(z, heights, [c[i] for _, c in TINTS]) for i in range(3)])
    # hillshade on a grid of ~5.5 km cells, heights exaggerated so relief shows at this scale
    cell = 0.05 * 111_000
    dy, dx = np.gradient(z * 8.0, cell)
    slope = np.pi / 2 - np.arctan(np.hypot(dx, dy))
    aspect = np.arctan2(-dx, dy)
    azimuth, altitude = np.radians(315.0), np.radians(45.0)
    shade = (np.sin(altitude) * np.sin(slope)
             + np.cos(altitude) * np.cos(slope) * np.cos(azimuth - aspect))
    shade = 0.55 + 0.45 * np.clip(shade, 0, 1)
    rgb = np.clip(rgb * shade, 0, 255)
    alpha = np.where(mask, 0, 255)[None]
    profile = {"driver": "GTiff", "dtype": "uint8", "count": 4, "width": width, "height": height,
               "crs": "EPSG:4326", "transform": transform, "compress": "deflate", "tiled": True,
               "blockxsize": 256, "blockysize": 256, "photometric": "RGB",
               "alpha": "yes"}
    with rasterio.open(dst_path, "w", **profile) as dst:
        dst.write(np.concatenate([rgb.round(), alpha]).astype("uint8"))


if __name__ == "__main__":
    relief(sys.argv[1], sys.argv[2])
