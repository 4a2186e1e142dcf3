"""mapnode: 地理信息公共服务平台 / a geographic information public service platform."""

__version__ = "0.1.0"
