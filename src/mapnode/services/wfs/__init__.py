"""WFS 2.0.0 and 1.1.0 as domain code: requests (KVP and POST XML), FES 2.0 / OGC Filter 1.1
filters turned into the store's typed filters, capabilities, DescribeFeatureType schemas and
GML 3.2 / GML 3.1.1 / GeoJSON writers. `mapnode.http.wfs` only moves bytes.

Modules: `errors` (exception codes and reports), `request` (parsing into `WfsRequest`),
`crs` (srsName forms and axis order per version), `gml_in` (GML geometries in filters),
`fes` (filters), `capabilities`, `schema`, `gml_out`, `service` (the operations).
"""
