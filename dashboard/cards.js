// dashboard/cards.js — one card per account: state, a bar per quota window (used, reserved,
// remaining, the warning/switch/critical marks), the reset countdown, where each figure came
// from, in-flight requests and the account's action buttons. A card is rebuilt only when what
// it shows changed, so buttons stay put between refreshes.
import { $, el, num, duration, windowLabel, parseTime, countdown, tick } from './dom.js';

const SOURCE_TEXT = {
  config: 'from the configured limits (config.yaml)',
  headers: "from the provider's rate-limit headers",
  poll: 'polled from the usage endpoint',
  estimated: 'estimated from traffic since the last observation',
};
const cardKeys = new Map(); // account id -> JSON of what its card shows (re-render on change)
let thresholds = null;
let onAction = () => {};

// Forget every card (after a sign-out or an action: the next render rebuilds them).
export function forgetCards() { cardKeys.clear(); }

// ---- account cards -----------------------------------------------------------------------
// `th`: GET /api/v1/thresholds; `act(id, verb)`: called by a card's buttons.
export function renderAccounts(accounts, th, act) {
  thresholds = th;
  onAction = act;
  const box = $('accounts');
  const seen = new Set();
  let previous = null;
  for (const a of [...accounts].sort((x, y) => String(x.id).localeCompare(String(y.id)))) {
    seen.add(a.id);
    const key = cardKey(a, thresholds);
    let card = box.querySelector(`[data-account="${CSS.escape(a.id)}"]`);
    if (!card || cardKeys.get(a.id) !== key) {
      const fresh = accountCard(a);
      if (card) card.replaceWith(fresh); else box.append(fresh);
      card = fresh;
      cardKeys.set(a.id, key);
    }
    // keep the sorted order
    if (previous ? previous.nextSibling !== card : box.firstChild !== card) {
      if (previous) previous.after(card); else box.prepend(card);
    }
    previous = card;
  }
  for (const card of [...box.children]) {
    if (!seen.has(card.dataset.account)) { cardKeys.delete(card.dataset.account); card.remove(); }
  }
  if (!accounts.length) box.replaceChildren(el('p', { class: 'muted', text: 'No accounts yet.' }));
  tick();
}

function accountCard(a) {
  const state = String(a.state || 'unknown');
  const cooldownUntil = parseTime(a.cooldown_until);
  const meta = [a.provider, a.type && a.type !== a.provider ? a.type : null, a.email,
    a.models && a.models.length ? 'models: ' + a.models.join(', ') : 'any model'].filter(Boolean).join(' · ');
  const note = [];
  if (state === 'cooldown' || cooldownUntil) {
    note.push(el('div', { class: 'state-note' },
      'cooldown', a.cooldown_reason ? ` (${a.cooldown_reason}${a.cooldown_detail ? ': ' + a.cooldown_detail : ''})` : '',
      cooldownUntil ? ' — ' : '', cooldownUntil ? countdown(cooldownUntil, 'ends in', 'ending') : ''));
  }
  if (a.enabled === false) note.push(el('div', { class: 'state-note', text: 'disabled in configuration' }));
  const windows = (a.windows || []).map(windowRow);
  const actions = el('div', { class: 'card-actions' },
    state === 'draining'
      ? el('button', { type: 'button', class: 'secondary', 'data-action': 'resume', onclick: () => onAction(a.id, 'resume') }, 'Resume')
      : el('button', { type: 'button', class: 'secondary', 'data-action': 'drain', onclick: () => onAction(a.id, 'drain') }, 'Drain'),
    el('button', { type: 'button', class: 'secondary', 'data-action': 'reset-cooldown',
      disabled: !(state === 'cooldown' || cooldownUntil), onclick: () => onAction(a.id, 'reset-cooldown') }, 'Reset cooldown'));
  return el('article', { class: 'card', 'data-account': a.id, 'data-state': state },
    el('div', { class: 'card-head' },
      el('span', { class: 'card-id', text: a.id }),
      el('span', { class: `state ${state}`, 'data-role': 'state', text: state })),
    el('div', { class: 'card-meta', text: meta }),
    note,
    windows.length ? windows : el('div', { class: 'muted', text: 'No quota windows known yet.' }),
    el('div', { class: 'card-foot' },
      el('span', {}, 'in flight ', el('b', { 'data-role': 'in-flight', text: num(a.in_flight) })),
      actions));
}

function windowRow(w) {
  const limit = typeof w.limit === 'number' && w.limit > 0 ? w.limit : 0;
  const used = Number(w.used) || 0;
  const reserved = Number(w.reserved) || 0;
  const known = w.window && w.window !== 'unknown';
  const label = known ? `${w.metric} / ${windowLabel(w.window)}` : String(w.metric);
  const source = String(w.source || 'unknown');
  const bar = el('div', { class: 'bar', role: 'img',
    'aria-label': limit ? `${label}: ${used} used, ${reserved} reserved of ${limit}` : `${label}: limit unknown` });
  if (limit) {
    const usedPct = Math.min(100, (used / limit) * 100);
    const resPct = Math.min(100 - usedPct, (reserved / limit) * 100);
    const u = el('div', { class: 'seg-used' }); u.style.width = usedPct + '%';
    const r = el('div', { class: 'seg-reserved' }); r.style.width = resPct + '%';
    bar.append(u, r);
    for (const level of ['warning', 'switch', 'critical']) {
      const at = thresholds && Number(thresholds[level]);
      if (!Number.isFinite(at)) continue;
      const m = el('div', { class: `mark ${level}`, title: `${level} at ${at}%` });
      m.style.left = `calc(${Math.min(100, at)}% - 1px)`;
      bar.append(m);
    }
  }
  const resetAt = parseTime(w.reset_at);
  const remaining = limit ? (typeof w.remaining === 'number' ? w.remaining : Math.max(0, limit - used - reserved)) : null;
  return el('div', { class: 'window', 'data-metric': w.metric, 'data-window': String(w.window) },
    el('div', { class: 'window-head' },
      el('span', {}, el('span', { class: 'window-name', text: label,
        title: known ? null : 'the provider did not say how long this window is' }),
        el('span', { class: 'source', 'data-role': 'source', title: SOURCE_TEXT[source] || source, text: source })),
      el('span', { class: 'muted' }, resetAt ? countdown(resetAt, 'resets in', 'resetting now') : 'reset unknown')),
    bar,
    el('div', { class: 'window-figures' },
      el('span', {}, 'used ', el('b', { 'data-role': 'used', 'data-used': used, text: num(used) })),
      el('span', {}, 'reserved ', el('b', { 'data-role': 'reserved', text: num(reserved) })),
      el('span', {}, 'remaining ', el('b', { 'data-role': 'remaining', text: remaining === null ? '—' : num(remaining) })),
      el('span', {}, 'limit ', el('b', { text: limit ? num(limit) : 'unknown' })),
      limit ? el('span', {}, el('b', { text: (((used + reserved) / limit) * 100).toFixed(1) + '%' })) : null),
    forecastLine(w.forecast));
}

// The window's forecast (GET /api/v1/accounts carries one once the daemon forecasts): runs out
// before its reset (a countdown), resets first (what stays unused), or idle.
function forecastLine(f) {
  if (!f || typeof f !== 'object') return null;
  const at = parseTime(f.exhausts_at);
  if (f.verdict === 'runs_out') {
    return el('div', { class: 'forecast-line runs-out', 'data-role': 'forecast' }, 'at this pace: ',
      at ? countdown(at, 'runs out in', 'running out now') : 'runs out',
      f.short_by_s ? ` (${duration(f.short_by_s * 1000)} before its reset)` : '');
  }
  if (f.verdict === 'resets_first') {
    return el('div', { class: 'forecast-line', 'data-role': 'forecast' }, 'at this pace: resets first',
      typeof f.unused_at_reset === 'number' ? `, ${num(f.unused_at_reset)} unused` : '');
  }
  return el('div', { class: 'forecast-line', 'data-role': 'forecast', text: `at this pace: ${f.verdict || '—'}` });
}

// What a card shows, minus what moves every second (the forecast's exact times): the card is
// rebuilt when this changes.
function cardKey(a, th) {
  const windows = (a.windows || []).map((w) => (w.forecast ? { ...w, forecast: {
    verdict: w.forecast.verdict, at: Math.round((parseTime(w.forecast.exhausts_at) || 0) / 60000) } } : w));
  return JSON.stringify([{ ...a, windows }, th]);
}
