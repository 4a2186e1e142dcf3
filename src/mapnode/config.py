"""Typed settings (MAPNODE_ prefix), validated at start-up."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Node settings. Every value can come from the environment, e.g. MAPNODE_STORE."""

    model_config = SettingsConfigDict(env_prefix="MAPNODE_", extra="ignore")

    store: str = Field("mapnode.mapnode", description="存储路径或 postgresql:// URL")
    node_name: str = Field("mapnode", description="节点名称 / node name")
    node_title_zh: str = "地理信息公共服务平台"
    node_title_en: str = "Geographic Information Public Service Platform"
    operator: str = Field("", description="运营单位 / operator")
    map_review_number: str = Field("", description="审图号 / map review number")
    host: str = "127.0.0.1"
    port: int = 8000
    ogcapi_max_limit: int = Field(10_000, ge=1, description="OGC API 每次最多返回的要素数 / "
                                  "maximum features per OGC API response (larger limit: 400)")
    wms_max_width: int = Field(4096, ge=1, description="WMS 图像最大宽度 / maximum GetMap WIDTH")
    wms_max_height: int = Field(4096, ge=1, description="WMS 图像最大高度 / maximum GetMap HEIGHT")
    wms_max_pixels: int = Field(4096 * 4096, ge=1,
                                description="WMS 图像最大像素数 / maximum WIDTH×HEIGHT")
    wms_render_timeout: float = Field(30.0, gt=0, description="WMS 出图超时（秒）/ render timeout s")
    request_timeout: float = Field(60.0, gt=0, description="要素请求超时（秒，OGC API 要素与 WFS）/ "
                                   "time limit for feature requests (OGC API items, WFS), s")
    wfs_max_features: int = Field(10_000, ge=1, description="WFS 每次最多返回的要素数 / maximum "
                                  "features per WFS response (larger COUNT is capped)")
    wfs_max_request_bytes: int = Field(1_000_000, ge=1_000, description="WFS 请求体上限 / "
                                       "maximum WFS POST body (bytes)")
    glyph_cache_dir: str = Field("", description="字形缓存目录（空：存储的 data_dir/fonts）/ glyph "
                                 "PBF cache folder, shareable between nodes (empty: data_dir/fonts)")
    tile_fast_path: bool = Field(True, description="热点瓦片直接由事件循环应答 / answer tiles "
                                 "held in memory before the middleware stack (http.fast_tiles)")
    tile_memory_mb: float = Field(64.0, ge=0, description="内存中热点瓦片上限（MB，每进程）/ hot "
                                  "tiles kept in memory per process (MB; 0: none)")
    tile_follow_ms: float = Field(5.0, ge=0, description="瓦片缓存与地名应答缓存查看存储序号的"
                                  "间隔（毫秒）/ ms between two looks at the store's seq by the "
                                  "tile cache and the place-name answer cache (another "
                                  "process's publication reaches them within 10×)")
    search_threads: int = Field(2, ge=1, le=64, description="同时执行的地名查询线程数 / place-name "
                                "calls run at once per process (the rest queue; more than the "
                                "cores only adds contention on the embedded store)")
    answer_memory_mb: float = Field(16.0, ge=0, description="内存中地名查询应答上限（MB，每进程；"
                                    "0：不缓存）/ place-name answers kept in memory per process "
                                    "while the data is unchanged (MB; 0: none; http.fast_answers)")
    api_keys: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='API 密钥 / keys: {"key": {"name": …, "edition": "government"}}')
