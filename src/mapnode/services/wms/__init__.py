"""WMS 1.3.0 / 1.1.1 as domain code: parameters, layer list, capabilities, maps, feature info.

No HTTP here: errors are `InvalidParameter`s whose context names the OGC exception code
(`ogc_code`) and the parameter; `mapnode.http.wms` turns them into ServiceExceptionReports.
"""
