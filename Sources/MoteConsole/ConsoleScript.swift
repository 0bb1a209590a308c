extension ConsoleAssets {
    /// The script: helpers, charts and the router; the pages are in `ConsoleScript+*.swift`.
    static let scriptCore = #"""
"use strict";
// mote console: plain DOM and SVG, no libraries. Every page reads the socket API of the box
// (docs/api.md) on this origin; changes go through the same routes, roles and audit.

const SVG = "http://www.w3.org/2000/svg";

function build(make, tag, attrs, kids) {
  const e = make(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k === "className" ? "class" : k, v === true ? "" : String(v));
  }
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : String(k));
  }
  return e;
}
const el = (tag, attrs, ...kids) => build(t => document.createElement(t), tag, attrs, kids);
const sv = (tag, attrs, ...kids) => build(t => document.createElementNS(SVG, t), tag, attrs, kids);

class ApiError extends Error {
  constructor(status, message, code) { super(message); this.status = status; this.code = code; }
}

// One call of the socket API. Bodies are JSON (a non-simple request: another origin cannot send it).
async function api(path, method = "GET", body = undefined) {
  const init = { method, headers: {} };
  if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  const r = await fetch(path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!r.ok) throw new ApiError(r.status, (data && data.error) || r.statusText, data && data.code);
  return data;
}

// Numbers as people read them; the exact value stays in data-value.
function fmt(x, digits = 4) {
  if (x === null || x === undefined || (typeof x === "number" && isNaN(x))) return "–";
  if (typeof x !== "number") return String(x);
  if (Number.isInteger(x)) return x.toLocaleString("en-US");
  return String(Number(x.toPrecision(digits)));
}
const num = (x, digits) => el("span", { "data-value": x === null || x === undefined ? "" : x }, fmt(x, digits));
function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0, v = n;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return (u === 0 ? v : v.toFixed(1)) + " " + units[u];
}
function ago(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return s + " s";
  if (s < 5400) return Math.round(s / 60) + " min";
  if (s < 172800) return (s / 3600).toFixed(1) + " h";
  return (s / 86400).toFixed(1) + " d";
}
const since = iso => iso ? ago((Date.now() - Date.parse(iso)) / 1000) + " ago" : "–";
const link = (href, text) => el("a", { href }, text);
const enc = encodeURIComponent;

function table(headers, rows, attrs = {}) {
  return el("table", attrs,
    el("thead", {}, el("tr", {}, headers.map(h => el("th", { class: h.num ? "num" : null }, h.label || h)))),
    el("tbody", {}, rows.map(cells => el("tr", {}, cells.map((c, i) =>
      el("td", { class: headers[i] && headers[i].num ? "num" : null }, c))))));
}
const fact = (key, value, test) => el("div", { class: "fact", "data-test": test }, el("div", { class: "k" }, key), el("div", { class: "v" }, value));
const errorBox = e => el("div", { class: "error", role: "alert", "data-test": "error" },
  e instanceof ApiError ? `${e.status} ${e.code || ""}: ${e.message}` : String(e.message || e));

// An action of an admin: asked first, sent, and the page drawn again (or the refusal shown).
async function act(question, send) {
  if (!confirm(question)) return;
  try { await send(); await show(); }
  catch (e) { document.getElementById("main").prepend(errorBox(e)); }
}

// ---- Charts (SVG) ----
const PALETTE = ["#1f6feb", "#e36209", "#2e7d32", "#8250df", "#c62828", "#0a7f87", "#6e7781"];

// Bars on shared bins: one group per label, one bar per series (class ref / live / s0...).
function barChart({ labels, series, width = 380, height = 190, yFormat = v => fmt(v, 2) }) {
  const L = 44, R = 8, T = 10, B = 34, w = width - L - R, h = height - T - B;
  const all = series.flatMap(s => s.values).filter(v => v !== null && v !== undefined && isFinite(v));
  const max = Math.max(1e-12, ...all);
  const group = w / Math.max(1, labels.length), bar = Math.max(1, (group - 4) / Math.max(1, series.length));
  const g = sv("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  g.append(sv("line", { class: "axis", x1: L, y1: T + h, x2: L + w, y2: T + h }));
  g.append(sv("text", { x: L - 4, y: T + 8, "text-anchor": "end" }, yFormat(max)));
  g.append(sv("text", { x: L - 4, y: T + h, "text-anchor": "end" }, "0"));
  labels.forEach((label, i) => {
    series.forEach((s, k) => {
      const v = s.values[i] || 0, bh = h * v / max;
      g.append(sv("rect", { class: `bar ${s.cls || "s" + k}`, x: L + i * group + 2 + k * bar, y: T + h - bh, width: Math.max(1, bar - 1), height: bh,
        fill: s.cls ? null : PALETTE[k % PALETTE.length], "data-value": v }, sv("title", {}, `${s.name} ${label}: ${fmt(v)}`)));
    });
    const every = Math.ceil(labels.length / 6);
    if (i % every === 0) g.append(sv("text", { x: L + i * group + group / 2, y: T + h + 14, "text-anchor": "middle" }, label));
  });
  return g;
}

// Lines over x (numbers or times in ms), one circle per point (class pt).
function lineChart({ series, width = 380, height = 190, time = false }) {
  const L = 48, R = 10, T = 10, B = 30, w = width - L - R, h = height - T - B;
  const pts = series.flatMap(s => s.points).filter(p => isFinite(p[1]));
  const g = sv("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  if (pts.length === 0) { g.append(sv("text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, "no points yet")); return g; }
  let [x0, x1] = [Math.min(...pts.map(p => p[0])), Math.max(...pts.map(p => p[0]))];
  let [y0, y1] = [Math.min(...pts.map(p => p[1])), Math.max(...pts.map(p => p[1]))];
  if (x1 === x0) { x1 = x0 + 1; }
  if (y1 === y0) { y1 = y0 + (Math.abs(y0) || 1) * 0.1; y0 = y0 - (Math.abs(y0) || 1) * 0.1; }
  const X = x => L + w * (x - x0) / (x1 - x0), Y = y => T + h - h * (y - y0) / (y1 - y0);
  g.append(sv("line", { class: "axis", x1: L, y1: T + h, x2: L + w, y2: T + h }));
  g.append(sv("line", { class: "axis", x1: L, y1: T, x2: L, y2: T + h }));
  g.append(sv("text", { x: L - 4, y: T + 8, "text-anchor": "end" }, fmt(y1, 3)));
  g.append(sv("text", { x: L - 4, y: T + h, "text-anchor": "end" }, fmt(y0, 3)));
  const xText = x => time ? new Date(x).toISOString().slice(11, 16) : fmt(x, 3);
  g.append(sv("text", { x: L, y: T + h + 16 }, xText(x0)));
  g.append(sv("text", { x: L + w, y: T + h + 16, "text-anchor": "end" }, xText(x1)));
  series.forEach((s, k) => {
    const color = s.color || PALETTE[k % PALETTE.length];
    const ok = s.points.filter(p => isFinite(p[1]));
    g.append(sv("polyline", { points: ok.map(p => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" "), stroke: color, "data-series": s.name }));
    ok.forEach(p => g.append(sv("circle", { class: "pt", cx: X(p[0]), cy: Y(p[1]), r: 2.5, fill: color, "data-series": s.name, "data-value": p[1] },
      sv("title", {}, `${s.name} ${xText(p[0])}: ${fmt(p[1])}`))));
  });
  return g;
}
// Swatches by class (the page's security policy allows no inline style).
const legend = series => el("div", { class: "legend" }, series.map((s, k) =>
  [el("span", { class: "sw-" + (s.cls || k % PALETTE.length) }), s.name]));
const chartBox = (title, chart, series) => el("div", { class: "chartbox" }, el("h3", {}, title), chart, series ? legend(series) : null);
"""#
}
