// dashboard/panels.js — the 24-hour chart, the decision/switch/alert feeds, the forecast and
// the route explanation: everything drawn from GET /api/v1/activity, /forecast and /route.
import { $, el, svg, compact, duration, parseTime, clock, ago, fmt, table } from './dom.js';

const DECISIONS_SHOWN = 10;
const PALETTE = ['#3b6fd8', '#dd6b20', '#2f855a', '#b83280', '#6b46c1', '#319795', '#b7791f',
  '#c53030', '#4a5568', '#2c7a7b', '#9c4221', '#276749'];

// ---- 24-hour chart -----------------------------------------------------------------------
export function renderChart(activity) {
  const from = parseTime(activity.from);
  const to = parseTime(activity.to);
  const step = (activity.bucket_minutes || 60) * 60000;
  const n = Math.max(1, Math.round((to - from) / step));
  const accounts = (activity.accounts || []).map((a) => a.id).sort();
  const color = (id) => PALETTE[accounts.indexOf(id) % PALETTE.length];
  $('chart-legend').replaceChildren(...(accounts.length ? accounts.map((id) =>
    el('span', {}, (() => { const s = el('span', { class: 'swatch' }); s.style.background = color(id); return s; })(), id))
    : [el('span', { class: 'muted', text: 'No committed requests in the last 24 hours.' })]));
  const series = (field) => {
    const rows = Array.from({ length: n }, () => new Map());
    for (const a of activity.accounts || []) {
      for (const b of a.buckets) {
        const i = Math.floor((parseTime(b.start) - from) / step);
        if (i >= 0 && i < n) rows[i].set(a.id, (rows[i].get(a.id) || 0) + (Number(b[field]) || 0));
      }
    }
    return rows;
  };
  drawBars($('chart-requests'), series('requests'), accounts, color, from, step, 'requests');
  drawBars($('chart-tokens'), series('tokens'), accounts, color, from, step, 'tokens');
}

function drawBars(box, rows, accounts, color, from, step, unit) {
  const W = 960, H = 150, left = 44, bottom = 18, top = 6;
  const n = rows.length;
  const totals = rows.map((r) => [...r.values()].reduce((s, v) => s + v, 0));
  const max = Math.max(1, ...totals);
  const bw = (W - left) / n;
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img',
    'aria-label': `${unit} per account over the last 24 hours, peak ${max} per bucket` });
  chart.append(svg('line', { class: 'axis', x1: left, x2: W, y1: H - bottom, y2: H - bottom }));
  chart.append(svg('text', { x: left - 4, y: top + 8, 'text-anchor': 'end' }, compact(max)));
  chart.append(svg('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end' }, '0'));
  const labelEvery = Math.max(1, Math.round(n / 6));
  rows.forEach((row, i) => {
    let base = 0;
    const start = from + i * step;
    for (const id of accounts) {
      const v = row.get(id) || 0;
      if (!v) continue;
      const rect = svg('rect', { x: left + i * bw + 0.5, width: Math.max(1, bw - 1), y: y(base + v),
        height: Math.max(0.5, y(base) - y(base + v)), fill: color(id), 'data-account': id, 'data-value': v });
      rect.append(svg('title', {}, `${id}: ${v} ${unit} from ${clock(start)}`));
      chart.append(rect);
      base += v;
    }
    if (i % labelEvery === 0) {
      chart.append(svg('text', { x: left + i * bw, y: H - 4 },
        new Date(start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })));
    }
  });
  box.replaceChildren(chart);
}

// ---- feeds -------------------------------------------------------------------------------
function feedTable(entries, columns, empty) {
  if (!entries.length) return el('p', { class: 'muted', text: empty });
  return el('table', {},
    el('thead', {}, el('tr', {}, el('th', { text: 'when' }), columns.map(([h]) => el('th', { text: h })))),
    el('tbody', {}, entries.map((e) => {
      const ts = parseTime(e.ts);
      return el('tr', { 'data-type': e.type, 'data-account': e.account || null },
        el('td', { class: 'when', title: ts ? new Date(ts).toLocaleString() : '' },
          ts ? el('span', { 'data-since': ts, text: ago(ts) }) : ''),
        columns.map(([, render]) => el('td', {}, render(e))));
    })));
}
const tag = (text) => (text ? el('span', { class: `tag ${text}`, text }) : '');
export function renderFeeds(activity) {
  $('switches').replaceChildren(feedTable(activity.switches || [], [
    ['model', (e) => e.model], ['from', (e) => e.from || '—'], ['to', (e) => e.to], ['reason', (e) => tag(e.reason)],
  ], 'No route switches in the last 24 hours.'));
  $('decisions').replaceChildren(feedTable((activity.decisions || []).slice(0, DECISIONS_SHOWN), [
    ['model', (e) => e.model], ['account', (e) => e.account],
  ], 'No routed requests in the last 24 hours.'));
  $('alerts').replaceChildren(feedTable(activity.alerts || [], [
    ['account', (e) => e.account || '—'], ['kind', (e) => tag(e.reason)], ['what', (e) => e.detail],
  ], 'No alerts or operator actions in the last 24 hours.'));
}

// A readable rendering of any JSON object: arrays of objects become tables (nested arrays of
// objects become nested tables), scalars become "key: value" lines.
export function renderAny(body) {
  const out = [];
  const scalars = [];
  for (const [k, v] of Object.entries(body)) {
    if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      out.push(el('h3', { text: k.replace(/_/g, ' ') }), table(v));
    } else if (v === null || typeof v !== 'object') {
      scalars.push(el('span', {}, k.replace(/_/g, ' ') + ': ', el('b', { text: fmt(v) })));
    } else {
      out.push(el('h3', { text: k.replace(/_/g, ' ') }), ...renderAny(v));
    }
  }
  if (scalars.length) out.unshift(el('p', { class: 'window-figures' }, scalars));
  return out;
}

// GET /api/v1/forecast (docs/ADMIN_API.md "Forecast"): model pools first (when each runs dry),
// then every window's pace against its reset. Another shape falls back to renderAny.
export function renderForecast(f) {
  if (!Array.isArray(f.accounts) || !Array.isArray(f.pools)) return renderAny(f);
  const inTime = (t) => { const ms = parseTime(t); return ms ? `in ${duration(ms - Date.now())}` : '—'; };
  const pools = f.pools.map((p) => el('tr', { 'data-forecast-pool': p.model },
    el('td', { text: p.model }),
    el('td', { text: (p.chain || []).join(' → ') }),
    el('td', { class: p.dry_at ? 'error' : null,
      text: p.dry_at ? `runs dry ${inTime(p.dry_at)}` + (parseTime(p.dry_until) ? ` until ${clock(parseTime(p.dry_until))}` : '')
        : 'does not run dry before its resets' }),
    el('td', { text: (p.accounts || []).map((a) => a.critical_at ? `${a.id}: critical ${inTime(a.critical_at)}` : `${a.id}: ok`).join(' · ') })));
  const windows = [];
  for (const a of f.accounts) {
    for (const w of a.windows || []) {
      const verdict = w.verdict === 'runs_out'
        ? `runs out ${inTime(w.exhausts_at)}` + (w.short_by_s ? `, ${duration(w.short_by_s * 1000)} before its reset` : '')
        : w.verdict === 'resets_first' ? 'resets first' : String(w.verdict || '—');
      windows.push(el('tr', { 'data-forecast-account': a.id },
        el('td', { text: a.id }),
        el('td', { text: `${w.metric} / ${w.window}` }),
        el('td', { text: typeof w.used_percent === 'number' ? w.used_percent.toFixed(1) + '%' : '—' }),
        el('td', { text: typeof w.rate_per_hour === 'number' ? `${fmt(w.rate_per_hour)}/h` : '—' }),
        el('td', { class: w.verdict === 'runs_out' ? 'error' : null, text: verdict }),
        el('td', { text: typeof w.unused_at_reset === 'number' ? `${fmt(w.unused_at_reset)}` +
          (typeof w.unused_ratio === 'number' ? ` (${(w.unused_ratio * 100).toFixed(0)}%)` : '') : '—' })));
    }
  }
  const head = (...names) => el('thead', {}, el('tr', {}, names.map((n) => el('th', { text: n }))));
  return [
    el('p', { class: 'muted', text: `At the current pace (burn rate smoothed with a ${duration((f.half_life_s || 0) * 1000)} half-life).` }),
    el('h3', { text: 'Model pools' }),
    pools.length ? el('table', {}, head('model', 'fallback chain', 'pool', 'accounts'), el('tbody', {}, pools))
      : el('p', { class: 'muted', text: 'No pools.' }),
    el('h3', { text: 'Windows' }),
    windows.length ? el('table', {}, head('account', 'window', 'used', 'pace', 'verdict', 'unused at reset'), el('tbody', {}, windows))
      : el('p', { class: 'muted', text: 'No window with a known limit.' }),
  ];
}
