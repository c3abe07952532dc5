// dashboard/dashboard.js — QuotaGuard's built-in dashboard (docs/DASHBOARD.md).
//
// Everything it shows comes from the admin API with the admin token as a Bearer header; the
// token is asked once and kept in this tab's sessionStorage, never in a URL. Every action is
// an admin API call (the same Operations verbs as Telegram and the CLI), so it is an event.
// All text goes into the DOM through textContent: nothing the API returns is parsed as HTML.
'use strict';

(() => {
  const TOKEN_KEY = 'quotaguard.admin_token';
  const REFRESH_MS = 5000;
  const DECISIONS_SHOWN = 10;
  const POLICIES = ['balanced', 'max_remaining', 'fill_first', 'earliest_reset', 'round_robin'];
  const PALETTE = ['#3b6fd8', '#dd6b20', '#2f855a', '#b83280', '#6b46c1', '#319795', '#b7791f',
    '#c53030', '#4a5568', '#2c7a7b', '#9c4221', '#276749'];
  const SOURCE_TEXT = {
    config: 'from the configured limits (config.yaml)',
    headers: "from the provider's rate-limit headers",
    poll: 'polled from the usage endpoint',
    estimated: 'estimated from traffic since the last observation',
  };

  const $ = (id) => document.getElementById(id);
  let token = null;          // null: not signed in; '' : the admin API is open (no admin_token)
  let session = 0;           // bumped at each sign-in and log-out: late answers of another are dropped
  let timer = null;
  let thresholds = null;
  let forecastRoute = true;  // false once GET /api/v1/forecast answered 404
  const cardKeys = new Map(); // account id -> JSON of what its card shows (re-render on change)

  // ---- DOM helpers -------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
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
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }
  function show(node, visible) { node.hidden = !visible; }

  // ---- formatting --------------------------------------------------------------------------
  const nf = new Intl.NumberFormat();
  function num(v) { return typeof v === 'number' ? nf.format(v) : '—'; }
  function compact(v) {
    if (v >= 1e9) return (v / 1e9).toFixed(1) + 'G';
    if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (v >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    return String(Math.round(v));
  }
  function duration(ms) {
    let s = Math.max(0, Math.round(ms / 1000));
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    if (d) return `${d}d ${h}h`;
    if (h) return `${h}h ${m}m`;
    if (m) return `${m}m ${s}s`;
    return `${s}s`;
  }
  function windowLabel(w) {
    if (typeof w === 'number') return w > 0 ? duration(w * 1000).replace(/ 0[smh]$/, '') : '?';
    return w ? String(w) : '?';
  }
  function parseTime(t) {
    if (t === null || t === undefined || t === '' || t === 0) return null;
    const ms = typeof t === 'number' ? t : Date.parse(t);
    return Number.isFinite(ms) && ms > 0 ? ms : null;
  }
  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }
  function ago(ms) { return duration(Date.now() - ms) + ' ago'; }

  // Elements whose text counts down to (or up from) a time: refreshed every second.
  function countdown(until, prefix, doneText) {
    return el('span', { class: 'countdown', 'data-until': until, 'data-prefix': prefix, 'data-done': doneText });
  }
  function tick() {
    const now = Date.now();
    for (const node of document.querySelectorAll('[data-until]')) {
      const until = Number(node.dataset.until);
      node.textContent = until > now ? `${node.dataset.prefix} ${duration(until - now)}` : node.dataset.done;
    }
    for (const node of document.querySelectorAll('[data-since]')) node.textContent = ago(Number(node.dataset.since));
  }

  // ---- admin API ---------------------------------------------------------------------------
  class AuthError extends Error {}
  async function api(path, options = {}, authToken = token) {
    const headers = { Accept: 'application/json' };
    if (authToken) headers.Authorization = 'Bearer ' + authToken;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method: options.method || 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    let body = null;
    try { body = await res.json(); } catch (_) { body = null; }
    if (res.status === 401) throw new AuthError(messageOf(body) || 'unauthorized');
    return { status: res.status, ok: res.ok, body };
  }
  function messageOf(body) { return body && body.error && body.error.message ? String(body.error.message) : ''; }
  async function apiOk(path, options) {
    const r = await api(path, options);
    if (!r.ok) throw new Error(`${path}: ${messageOf(r.body) || 'HTTP ' + r.status}`);
    return r.body;
  }

  // ---- sign-in -----------------------------------------------------------------------------
  function showLogin(message) {
    stop();
    session += 1;
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    cardKeys.clear();
    $('accounts').replaceChildren();
    for (const id of ['switches', 'decisions', 'alerts', 'forecast', 'chart-requests', 'chart-tokens',
      'chart-legend', 'summary', 'explain', 'models']) $(id).replaceChildren();
    show($('app'), false);
    show($('logout'), false);
    show($('login'), true);
    $('refreshed').textContent = '';
    const err = $('login-error');
    err.textContent = message || '';
    show(err, Boolean(message));
    $('token').focus();
  }

  function showApp() {
    session += 1;
    show($('login'), false);
    show($('app'), true);
    show($('logout'), token !== '');
    refresh();
    stop();
    timer = setInterval(refresh, REFRESH_MS);
  }
  function stop() { if (timer) clearInterval(timer); timer = null; }

  async function signIn(event) {
    event.preventDefault();
    const input = $('token');
    const candidate = input.value.trim();
    if (!candidate) return;
    const button = event.submitter || $('login-form').querySelector('button');
    button.disabled = true;
    try {
      await api('/api/v1/status', {}, candidate);
      token = candidate;
      sessionStorage.setItem(TOKEN_KEY, candidate);
      input.value = '';
      show($('login-error'), false);
      showApp();
    } catch (e) {
      input.value = '';
      const err = $('login-error');
      err.textContent = e instanceof AuthError ? 'That token was not accepted by QuotaGuard.'
        : 'Cannot reach QuotaGuard: ' + e.message;
      show(err, true);
      input.focus();
    } finally {
      button.disabled = false;
    }
  }

  // ---- refresh -----------------------------------------------------------------------------
  let refreshing = null;  // the refresh in progress, if any
  let again = false;       // another refresh was asked for meanwhile (e.g. after an action)
  async function refresh() {
    if (token === null) return;
    if (refreshing) { again = true; return refreshing; }
    refreshing = load().finally(() => { refreshing = null; });
    await refreshing;
    if (again) { again = false; await refresh(); }
  }
  async function load() {
    const mine = session;
    try {
      const [status, accounts, th, policy, activity] = await Promise.all([
        apiOk('/api/v1/status'), apiOk('/api/v1/accounts'), apiOk('/api/v1/thresholds'),
        apiOk('/api/v1/policy'), apiOk('/api/v1/activity?hours=24&bucket_minutes=15'),
      ]);
      if (mine !== session) return;  // logged out (or in again) meanwhile: show nothing stale
      thresholds = th;
      renderSummary(status, policy);
      renderAccounts(accounts.accounts || []);
      renderModels(accounts.accounts || []);
      renderSettings(th, policy);
      renderChart(activity);
      renderFeeds(activity);
      await refreshForecast(mine);
      if (mine !== session) return;
      if (Date.now() > actionErrorUntil) show($('error'), false);
      $('refreshed').textContent = 'updated ' + clock(Date.now());
      document.body.dataset.loaded = 'true';
    } catch (e) {
      if (mine !== session) return;
      if (e instanceof AuthError) { showLogin('The admin token is no longer accepted; sign in again.'); return; }
      $('error').textContent = 'Refresh failed: ' + e.message;
      show($('error'), true);
    }
  }

  function renderSummary(status, policy) {
    const by = status.accounts_by_state || {};
    const states = Object.entries(by).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ') || 'none';
    const item = (label, value) => el('span', {}, label + ' ', el('b', { text: value }));
    $('summary').replaceChildren(...[
      item('accounts', states),
      item('policy', policy.policy || '?'),
      item('open reservations', num(status.open_reservations)),
      item('events', num(status.journal_seq)),
      item('up', duration((status.uptime_s || 0) * 1000)),
      item('version', status.version || '?'),
      token === '' ? el('span', { class: 'error', text: 'admin API open (no admin_token)' }) : null,
    ].filter(Boolean));
  }

  // ---- account cards -----------------------------------------------------------------------
  function renderAccounts(accounts) {
    const box = $('accounts');
    const seen = new Set();
    let previous = null;
    for (const a of [...accounts].sort((x, y) => String(x.id).localeCompare(String(y.id)))) {
      seen.add(a.id);
      const key = JSON.stringify([a, thresholds]);
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
        ? el('button', { type: 'button', class: 'secondary', 'data-action': 'resume', onclick: () => act(a.id, 'resume') }, 'Resume')
        : el('button', { type: 'button', class: 'secondary', 'data-action': 'drain', onclick: () => act(a.id, 'drain') }, 'Drain'),
      el('button', { type: 'button', class: 'secondary', 'data-action': 'reset-cooldown',
        disabled: !(state === 'cooldown' || cooldownUntil), onclick: () => act(a.id, 'reset-cooldown') }, 'Reset cooldown'));
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
        limit ? el('span', {}, el('b', { text: (((used + reserved) / limit) * 100).toFixed(1) + '%' })) : null));
  }

  // ---- actions (every one confirmed, every one an admin API call) ---------------------------
  const ACTIONS = {
    drain: ['Drain account', (id) => `Stop sending new requests to ${id}? Requests in flight finish.`],
    resume: ['Resume account', (id) => `Let ${id} take new requests again?`],
    'reset-cooldown': ['Reset cooldown', (id) => `End the cooldown of ${id} now?`],
  };
  async function act(id, verb) {
    const [title, text] = ACTIONS[verb];
    if (!(await confirmDialog(title, text(id)))) return;
    await perform(`/api/v1/accounts/${encodeURIComponent(id)}/${verb}`, { method: 'POST' }, `${title}: ${id}`);
  }
  let actionErrorUntil = 0;  // a failed action's message stays up this long across refreshes
  async function perform(path, options, what) {
    try {
      await apiOk(path, options);
      actionErrorUntil = 0;
      show($('error'), false);
    } catch (e) {
      if (e instanceof AuthError) { showLogin('The admin token is no longer accepted; sign in again.'); return; }
      $('error').textContent = `${what} failed: ${e.message}`;
      show($('error'), true);
      actionErrorUntil = Date.now() + 15000;
    }
    cardKeys.clear();
    await refresh();
  }

  function confirmDialog(title, text) {
    const dialog = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    return new Promise((resolve) => {
      const done = (answer) => {
        $('confirm-ok').onclick = null;
        $('confirm-cancel').onclick = null;
        dialog.onclose = null;
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      $('confirm-ok').onclick = () => done(true);
      $('confirm-cancel').onclick = () => done(false);
      dialog.onclose = () => done(false);
      dialog.showModal();
    });
  }

  // ---- settings ----------------------------------------------------------------------------
  function renderSettings(th, policy) {
    const select = $('policy');
    if (document.activeElement !== select) {
      const names = POLICIES.includes(policy.policy) ? POLICIES : [...POLICIES, policy.policy];
      select.replaceChildren(...names.map((p) => el('option', { value: p, text: p })));
      select.value = policy.policy;
    }
    const form = $('thresholds-form');
    if (!form.contains(document.activeElement)) {
      for (const level of ['warning', 'switch', 'critical']) $('th-' + level).value = th[level];
    }
  }
  async function applyPolicy(event) {
    event.preventDefault();
    const policy = $('policy').value;
    if (!(await confirmDialog('Change policy', `Route with the "${policy}" policy from now on?`))) return;
    await perform('/api/v1/policy', { method: 'PUT', body: { policy } }, 'Policy change');
  }
  async function applyThresholds(event) {
    event.preventDefault();
    const body = {};
    for (const level of ['warning', 'switch', 'critical']) body[level] = Number($('th-' + level).value);
    if (!(await confirmDialog('Change thresholds',
      `Set warning ${body.warning}%, switch ${body.switch}%, critical ${body.critical}%?`))) return;
    await perform('/api/v1/thresholds', { method: 'PUT', body }, 'Threshold change');
  }

  // ---- 24-hour chart -----------------------------------------------------------------------
  function renderChart(activity) {
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
  function renderFeeds(activity) {
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

  // ---- forecast (shown once GET /api/v1/forecast exists) ------------------------------------
  async function refreshForecast(mine) {
    if (!forecastRoute) return;
    const r = await api('/api/v1/forecast');
    if (mine !== session) return;
    if (r.status === 404) {
      // This build has no forecast route: stop asking until the page is reloaded.
      forecastRoute = false;
      show($('forecast-panel'), false);
      return;
    }
    if (!r.ok || !r.body) { show($('forecast-panel'), false); return; }
    $('forecast').replaceChildren(...renderAny(r.body));
    show($('forecast-panel'), true);
  }
  // A readable rendering of any JSON object: arrays of objects become tables (nested arrays of
  // objects become nested tables), scalars become "key: value" lines.
  function renderAny(body) {
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
  function fmt(v) {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'number') return Number.isInteger(v) ? num(v) : v.toFixed(2);
    if (Array.isArray(v)) return v.map(fmt).join(', ');
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  function table(items) {
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

  // ---- explain a route (GET /api/v1/route: read-only) ---------------------------------------
  function renderModels(accounts) {
    const models = new Set();
    for (const a of accounts) for (const m of a.models || []) models.add(m);
    $('models').replaceChildren(...[...models].sort().map((m) => el('option', { value: m })));
  }
  async function explain(event) {
    event.preventDefault();
    const model = $('explain-model').value.trim();
    if (!model) return;
    const box = $('explain');
    const mine = session;
    try {
      const x = await apiOk('/api/v1/route?model=' + encodeURIComponent(model));
      if (mine !== session) return;
      const sw = x.switch || {};
      box.replaceChildren(
        el('p', { 'data-role': 'chosen' },
          x.chosen ? ['-> ', el('b', { text: x.chosen }), ` (model ${x.model_used || model})`]
            : el('span', { class: 'error', text: 'no account can serve it' + (x.error ? ': ' + fmt(x.error) : '') }),
          ` · policy ${x.policy || '?'} · mode ${x.mode || '?'}`,
          x.fallback ? ' · via the fallback chain' : '',
          sw.reason ? ` · ${sw.from ? 'switch ' + sw.from + ' -> ' + sw.to : 'first choice'} (${sw.reason})` : '',
          x.sticky ? ` · sticky on ${x.sticky.account || fmt(x.sticky)}` +
            (parseTime(x.sticky.since) ? ` since ${clock(parseTime(x.sticky.since))}` : '') : ''),
        (x.candidates || []).length ? table((x.candidates || []).map((c) => ({
          account: c.account, model: c.model, zone: c.zone, score: c.score,
          'used % after': c.used_percent_after, priority: c.priority,
        }))) : el('p', { class: 'muted', text: 'No candidates.' }),
        (x.excluded || []).length ? el('h3', { text: 'excluded' }) : null,
        (x.excluded || []).length ? table(x.excluded.map((e) => ({
          account: e.account, model: e.model, reason: e.reason, detail: e.detail,
        }))) : null);
    } catch (e) {
      if (e instanceof AuthError) { showLogin('The admin token is no longer accepted; sign in again.'); return; }
      box.replaceChildren(el('p', { class: 'error', text: e.message }));
    }
  }

  // ---- start -------------------------------------------------------------------------------
  async function start() {
    $('login-form').addEventListener('submit', signIn);
    $('logout').addEventListener('click', () => showLogin(''));
    $('policy-form').addEventListener('submit', applyPolicy);
    $('thresholds-form').addEventListener('submit', applyThresholds);
    $('explain-form').addEventListener('submit', explain);
    setInterval(tick, 1000);
    const stored = sessionStorage.getItem(TOKEN_KEY);
    if (stored) { token = stored; showApp(); return; }
    // No token yet: an admin API without admin_token (loopback only) needs none.
    try {
      await api('/api/v1/status', {}, null);
      token = '';
      showApp();
    } catch (e) {
      showLogin(e instanceof AuthError ? '' : 'Cannot reach QuotaGuard: ' + e.message);
    }
  }
  start();
})();
