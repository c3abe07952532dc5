// dashboard/dashboard.js — QuotaGuard's built-in dashboard (docs/DASHBOARD.md): sign-in,
// the refresh loop, confirmed actions, settings and the route explanation. The parts it draws
// live in cards.js (accounts) and panels.js (chart, feeds, forecast); dom.js builds the DOM
// and api.js talks to the admin API.
//
// Everything it shows comes from the admin API with the admin token as a Bearer header; the
// token is asked once and kept in this tab's sessionStorage, never in a URL. Every action is
// an admin API call (the same Operations verbs as Telegram and the CLI), so it is an event.
// All text goes into the DOM through textContent: nothing the API returns is parsed as HTML.
import { auth, api, apiOk, AuthError } from './api.js';
import { forgetCards, renderAccounts } from './cards.js';
import { $, el, show, num, duration, parseTime, clock, tick, fmt, table } from './dom.js';
import { renderChart, renderFeeds, renderForecast } from './panels.js';

const TOKEN_KEY = 'quotaguard.admin_token';
const REFRESH_MS = 5000;
const POLICIES = ['balanced', 'max_remaining', 'fill_first', 'earliest_reset', 'round_robin', 'paced'];

let session = 0;           // bumped at each sign-in and log-out: late answers of another are dropped
let timer = null;
let forecastRoute = true;  // false once GET /api/v1/forecast answered 404

// ---- sign-in -----------------------------------------------------------------------------
function showLogin(message) {
  stop();
  session += 1;
  auth.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  forgetCards();
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
  show($('logout'), auth.token !== '');
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
    auth.token = candidate;
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
  if (auth.token === null) return;
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
    renderSummary(status, policy);
    renderAccounts(accounts.accounts || [], th, act);
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
    auth.token === '' ? el('span', { class: 'error', text: 'admin API open (no admin_token)' }) : null,
  ].filter(Boolean));
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
  forgetCards();
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
  $('forecast').replaceChildren(...renderForecast(r.body));
  show($('forecast-panel'), true);
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
  if (stored) { auth.token = stored; showApp(); return; }
  // No token yet: an admin API without admin_token (loopback only) needs none.
  try {
    await api('/api/v1/status', {}, null);
    auth.token = '';
    showApp();
  } catch (e) {
    showLogin(e instanceof AuthError ? '' : 'Cannot reach QuotaGuard: ' + e.message);
  }
}
start();
