// What the server put in the page (node config, mounted services) and small fetch helpers.

export const boot = JSON.parse(document.getElementById("mapnode-boot").textContent);

/** The caller's key (tk=) from the page URL, passed on to every API request. */
const tk = new URLSearchParams(location.search).get("tk");

export function withKey(url) {
  if (!tk) return url;
  return `${url}${url.includes("?") ? "&" : "?"}tk=${encodeURIComponent(tk)}`;
}

export async function getJSON(url, options = {}) {
  const r = await fetch(withKey(url), options);
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const error = new Error(body?.title || `HTTP ${r.status}`);
    error.status = r.status;
    error.body = body;
    throw error;
  }
  return body;
}

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, v);
  return p.toString();
}

export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
