// CGCS2000 3° Gauss–Krüger (transverse Mercator) forward projection, Krüger n-series.
// zone = round(lon / 3), central meridian = 3·zone, false easting 500 km, scale 1:
// the projected x/y of EPSG:4534–4554 (e.g. EPSG:4549 is CM 120°E) with no zone prefix.

export const CGCS2000 = { a: 6378137.0, f: 1 / 298.257222101 };

const n = CGCS2000.f / (2 - CGCS2000.f);
const n2 = n * n, n3 = n2 * n, n4 = n3 * n;
const A = (CGCS2000.a / (1 + n)) * (1 + n2 / 4 + n4 / 64);
const alpha = [
  n / 2 - (2 / 3) * n2 + (5 / 16) * n3 + (41 / 180) * n4,
  (13 / 48) * n2 - (3 / 5) * n3 + (557 / 1440) * n4,
  (61 / 240) * n3 - (103 / 140) * n4,
  (49561 / 161280) * n4,
];
const e = Math.sqrt(CGCS2000.f * (2 - CGCS2000.f));

export function zoneOf(lon, width = 3) {
  return Math.round(lon / width);
}

/** Project lon/lat (degrees) to {zone, cm, x (northing, m), y (easting, m), yZone}. */
export function gaussKruger(lon, lat, width = 3) {
  const zone = zoneOf(lon, width);
  const cm = zone * width;
  const phi = (lat * Math.PI) / 180;
  const lam = ((lon - cm) * Math.PI) / 180;
  // conformal latitude
  const t = Math.sinh(Math.atanh(Math.sin(phi)) - e * Math.atanh(e * Math.sin(phi)));
  const xiP = Math.atan2(t, Math.cos(lam));
  const etaP = Math.atanh(Math.sin(lam) / Math.sqrt(1 + t * t));
  let xi = xiP, eta = etaP;
  for (let j = 1; j <= 4; j++) {
    xi += alpha[j - 1] * Math.sin(2 * j * xiP) * Math.cosh(2 * j * etaP);
    eta += alpha[j - 1] * Math.cos(2 * j * xiP) * Math.sinh(2 * j * etaP);
  }
  const x = A * xi;
  const y = A * eta + 500000;
  return { zone, cm, x, y, yZone: zone * 1e6 + y };
}
