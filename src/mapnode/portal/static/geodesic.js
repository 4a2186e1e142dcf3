// Geodesic measures on the CGCS2000 ellipsoid: Vincenty's inverse formula for distances,
// and polygon areas as exact spherical excess on the authalic sphere (areas preserved).

import { CGCS2000 } from "./gk.js";

const { a, f } = CGCS2000;
const b = a * (1 - f);
const e2 = f * (2 - f);
const e = Math.sqrt(e2);
const rad = Math.PI / 180;

/** Distance in metres between [lon, lat] points (Vincenty inverse; falls back to the sphere). */
export function distance(p, q) {
  const L = (q[0] - p[0]) * rad;
  const U1 = Math.atan((1 - f) * Math.tan(p[1] * rad));
  const U2 = Math.atan((1 - f) * Math.tan(q[1] * rad));
  const sinU1 = Math.sin(U1), cosU1 = Math.cos(U1), sinU2 = Math.sin(U2), cosU2 = Math.cos(U2);
  let lam = L, prev, sinS, cosS, sigma, cos2a, cos2sm;
  for (let i = 0; i < 200; i++) {
    const sinL = Math.sin(lam), cosL = Math.cos(lam);
    sinS = Math.hypot(cosU2 * sinL, cosU1 * sinU2 - sinU1 * cosU2 * cosL);
    if (sinS === 0) return 0;
    cosS = sinU1 * sinU2 + cosU1 * cosU2 * cosL;
    sigma = Math.atan2(sinS, cosS);
    const sinA = (cosU1 * cosU2 * sinL) / sinS;
    cos2a = 1 - sinA * sinA;
    cos2sm = cos2a !== 0 ? cosS - (2 * sinU1 * sinU2) / cos2a : 0;
    const C = (f / 16) * cos2a * (4 + f * (4 - 3 * cos2a));
    prev = lam;
    lam = L + (1 - C) * f * sinA * (sigma + C * sinS * (cos2sm + C * cosS * (-1 + 2 * cos2sm * cos2sm)));
    if (Math.abs(lam - prev) < 1e-12) {
      const u2 = (cos2a * (a * a - b * b)) / (b * b);
      const A = 1 + (u2 / 16384) * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
      const B = (u2 / 1024) * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
      const dS = B * sinS * (cos2sm + (B / 4) * (cosS * (-1 + 2 * cos2sm * cos2sm)
        - (B / 6) * cos2sm * (-3 + 4 * sinS * sinS) * (-3 + 4 * cos2sm * cos2sm)));
      return b * A * (sigma - dS);
    }
  }
  return haversine(p, q); // nearly antipodal: no convergence
}

function haversine(p, q) {
  const R = 6371008.8;
  const dlat = (q[1] - p[1]) * rad, dlon = (q[0] - p[0]) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(p[1] * rad) * Math.cos(q[1] * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Length in metres of a line given as [[lon, lat], …]. */
export function length(coords) {
  let total = 0;
  for (let i = 1; i < coords.length; i++) total += distance(coords[i - 1], coords[i]);
  return total;
}

function q(phi) {
  const s = Math.sin(phi);
  return (1 - e2) * (s / (1 - e2 * s * s) - (1 / (2 * e)) * Math.log((1 - e * s) / (1 + e * s)));
}
const qp = q(Math.PI / 2);
const Rq = a * Math.sqrt(qp / 2);

function authalic(latDeg) {
  return Math.asin(Math.max(-1, Math.min(1, q(latDeg * rad) / qp)));
}

/** Area in m² of a polygon ring [[lon, lat], …] (closed or not), any orientation. */
export function area(ring) {
  const pts = ring.length > 1 && ring[0][0] === ring[ring.length - 1][0]
    && ring[0][1] === ring[ring.length - 1][1] ? ring.slice(0, -1) : ring;
  if (pts.length < 3) return 0;
  let sum = 0;
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i], r = pts[(i + 1) % pts.length];
    const t1 = Math.tan(authalic(p[1]) / 2), t2 = Math.tan(authalic(r[1]) / 2);
    let dl = (r[0] - p[0]) * rad;
    if (dl > Math.PI) dl -= 2 * Math.PI;
    if (dl < -Math.PI) dl += 2 * Math.PI;
    sum += 2 * Math.atan2(Math.tan(dl / 2) * (t1 + t2), 1 + t1 * t2);
  }
  return Math.abs(sum) * Rq * Rq;
}

/** Human text for a length: m below 1 km. */
export function formatLength(m, lang = "zh") {
  return m < 1000 ? `${m.toFixed(1)} ${lang === "zh" ? "米" : "m"}`
    : `${(m / 1000).toFixed(3)} ${lang === "zh" ? "千米" : "km"}`;
}

/** Human text for an area: m² or km², and 亩 (1 亩 = 10000/15 m²) in Chinese. */
export function formatArea(m2, lang = "zh") {
  const main = m2 < 1e6 ? `${m2.toFixed(1)} ${lang === "zh" ? "平方米" : "m²"}`
    : `${(m2 / 1e6).toFixed(4)} ${lang === "zh" ? "平方千米" : "km²"}`;
  return lang === "zh" ? `${main}（${(m2 / (10000 / 15)).toFixed(2)} 亩）` : `${main} (${(m2 / 1e4).toFixed(2)} ha)`;
}
