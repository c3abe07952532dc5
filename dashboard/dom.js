// dashboard/dom.js — DOM building (text only, never HTML), formatting and countdowns.

export const $ = (id) => document.getElementById(id);

// ---- DOM helpers -------------------------------------------------------------------------
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
const SVG_NS = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
export function show(node, visible) { node.hidden = !visible; }

// ---- formatting --------------------------------------------------------------------------
const nf = new Intl.NumberFormat();
export function num(v) { return typeof v === 'number' ? nf.format(v) : '—'; }
export function compact(v) {
  if (v >= 1e9) return (v / 1e9).toFixed(1) + 'G';
  if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (v >= 1e4) return (v / 1e3).toFixed(0) + 'k';
  return String(Math.round(v));
}
export function duration(ms) {
  let s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}
export function windowLabel(w) {
  if (typeof w === 'number') return w > 0 ? duration(w * 1000).replace(/ 0[smh]$/, '') : '?';
  return w ? String(w) : '?';
}
export function parseTime(t) {
  if (t === null || t === undefined || t === '' || t === 0) return null;
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}
export function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
export function ago(ms) { return duration(Date.now() - ms) + ' ago'; }

// Elements whose text counts down to (or up from) a time: refreshed every second.
export function countdown(until, prefix, doneText) {
  return el('span', { class: 'countdown', 'data-until': until, 'data-prefix': prefix, 'data-done': doneText });
}
export function tick() {
  const now = Date.now();
  for (const node of document.querySelectorAll('[data-until]')) {
    const until = Number(node.dataset.until);
    node.textContent = until > now ? `${node.dataset.prefix} ${duration(until - now)}` : node.dataset.done;
  }
  for (const node of document.querySelectorAll('[data-since]')) node.textContent = ago(Number(node.dataset.since));
}

export function fmt(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? num(v) : v.toFixed(2);
  if (Array.isArray(v)) return v.map(fmt).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
export function table(items) {
  const cols = [];
  for (const it of items) for (const k of Object.keys(it)) if (!cols.includes(k)) cols.push(k);
  return el('table', {},
    el('thead', {}, el('tr', {}, cols.map((c) => el('th', { text: c.replace(/_/g, ' ') })))),
    el('tbody', {}, items.map((it) => el('tr', {}, cols.map((c) => {
      const v = it[c];
      if (Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object')) return el('td', {}, table(v));
      return el('td', { text: fmt(v) });
    })))));
}
