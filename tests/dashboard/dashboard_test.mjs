// tests/dashboard/dashboard_test.mjs — the dashboard in Debian's headless Chromium, driven by
// playwright-core, against a real daemon (tests/dashboard/run.sh starts it and sends traffic).
//
// Env: QG_URL (daemon base URL), QG_ADMIN_TOKEN, QG_CHROMIUM (browser executable),
// QG_OUT_DIR (screenshots), QG_SECRETS (comma-separated values that must never be rendered).
// Checks, in order: / redirects to /dashboard with the security headers; without a token the
// page shows a login prompt and no data; a wrong token shows an error and no data; the right
// token shows one card per account of GET /api/v1/accounts with the same `used` figures, the
// chart's bars add up to GET /api/v1/activity, the forecast panel follows the route's
// presence; a drain confirmed on the page becomes an AccountDrained event by "admin"; the
// token is in no URL and no secret in the DOM; the layout fits a phone; a policy change is an
// event and a refused threshold change an error; log out forgets the token.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';

const base = process.env.QG_URL;
const token = process.env.QG_ADMIN_TOKEN;
const outDir = process.env.QG_OUT_DIR;
const secrets = (process.env.QG_SECRETS || '').split(',').filter(Boolean);
assert.ok(base && token && outDir, 'QG_URL, QG_ADMIN_TOKEN and QG_OUT_DIR are required');

let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failures += 1;
    console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split('\n').join('\n  ')}`);
  }
}

async function admin(pathname, options = {}) {
  const res = await fetch(base + pathname, {
    ...options, headers: { Authorization: `Bearer ${token}`, ...(options.headers || {}) },
  });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch (_) { body = text; }
  return { status: res.status, body, headers: res.headers };
}

async function until(what, fn, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const browser = await chromium.launch({
  executablePath: process.env.QG_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
const page = await context.newPage();
const requested = [];
page.on('request', (r) => requested.push(r.url()));
const consoleErrors = [];
// The browser logs every non-2xx fetch; the 401s (no or wrong token), the forecast probe's 404
// and the refused threshold change's 400 are expected.
page.on('console', (m) => {
  if (m.type() === 'error' && !/status of (400|401|404)/.test(m.text())) consoleErrors.push(m.text());
});
page.on('pageerror', (e) => consoleErrors.push(String(e)));

try {
  await check('/ redirects to /dashboard, served with CSP, nosniff and no-referrer', async () => {
    const res = await page.goto(base + '/');
    assert.equal(new URL(page.url()).pathname, '/dashboard');
    const h = res.headers();
    assert.match(h['content-security-policy'] || '', /default-src 'none'/);
    assert.match(h['content-security-policy'] || '', /script-src 'self'/);
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.equal(h['referrer-policy'], 'no-referrer');
    assert.match(h['content-type'] || '', /^text\/html/);
  });

  await check('without a token: a login prompt and no data', async () => {
    await page.waitForSelector('#login:not([hidden])');
    assert.equal(await page.isVisible('#token'), true);
    assert.equal(await page.isHidden('#app'), true);
    assert.equal(await page.locator('[data-account]').count(), 0);
    assert.equal(await page.locator('#login-error').isVisible(), false);
  });

  await check('a wrong token: an error, no data, nothing stored', async () => {
    await page.fill('#token', 'not-the-admin-token');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error:not([hidden])');
    assert.match(await page.textContent('#login-error'), /not accepted/);
    assert.equal(await page.isHidden('#app'), true);
    assert.equal(await page.locator('[data-account]').count(), 0);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  });

  const accounts = (await admin('/api/v1/accounts')).body.accounts;
  await check('the right token: one card per account of GET /api/v1/accounts', async () => {
    assert.ok(accounts.length >= 3, 'the test config has three accounts');
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    await until('every card', async () => (await page.locator('.card[data-account]').count()) === accounts.length);
    for (const a of accounts) {
      const card = page.locator(`.card[data-account="${a.id}"]`);
      assert.equal(await card.count(), 1, `card of ${a.id}`);
      assert.equal(await card.locator('[data-role=state]').textContent(), a.state);
    }
    assert.equal(await page.evaluate(() => sessionStorage.getItem('quotaguard.admin_token')), token);
    assert.equal(await page.inputValue('#token'), '', 'the token field is cleared');
  });

  await check("a bar's used value matches GET /api/v1/accounts", async () => {
    // openai-main's daily request window only changes with traffic, which has stopped.
    const fromApi = (await admin('/api/v1/accounts/openai-main')).body;
    const w = fromApi.windows.find((x) => x.metric === 'requests' && x.source === 'config');
    assert.ok(w, 'openai-main has a configured requests window');
    assert.ok(w.used > 0, 'traffic reached openai-main');
    const sel = `.card[data-account="openai-main"] .window[data-metric="requests"][data-window="${w.window}"] [data-role=used]`;
    await until('the used figure', async () => Number(await page.getAttribute(sel, 'data-used')) === w.used);
    // and every window of every card agrees with the API on `used`
    const latest = (await admin('/api/v1/accounts')).body.accounts;
    for (const a of latest) {
      for (const win of a.windows) {
        const s = `.card[data-account="${a.id}"] .window[data-metric="${win.metric}"][data-window="${win.window}"] [data-role=used]`;
        await until(`${a.id} ${win.metric}/${win.window}`, async () =>
          Number(await page.getAttribute(s, 'data-used')) === win.used);
      }
    }
    // threshold marks drawn on a bar with a known limit
    assert.equal(await page.locator('.card[data-account="openai-main"] .bar .mark').count() >= 3, true);
  });

  await check('the 24-hour chart adds up to the committed requests in GET /api/v1/activity', async () => {
    const act = (await admin('/api/v1/activity?hours=24&bucket_minutes=15')).body;
    const expected = {};
    for (const a of act.accounts) expected[a.id] = a.buckets.reduce((s, b) => s + b.requests, 0);
    assert.ok(Object.values(expected).some((n) => n > 0), 'activity has committed requests');
    await until('chart bars', async () => {
      const drawn = await page.$$eval('#chart-requests rect[data-account]', (rects) => {
        const sums = {};
        for (const r of rects) sums[r.dataset.account] = (sums[r.dataset.account] || 0) + Number(r.dataset.value);
        return sums;
      });
      for (const [id, n] of Object.entries(expected)) if (n > 0 && drawn[id] !== n) return false;
      return true;
    });
    assert.ok(await page.locator('#decisions tr[data-type="ReservationCreated"]').count() > 0, 'decisions listed');
  });

  await check('explaining a route shows the account GET /api/v1/route chooses', async () => {
    const x = (await admin('/api/v1/route?model=gpt-4o')).body;
    await page.fill('#explain-model', 'gpt-4o');
    await page.click('#explain-form button[type=submit]');
    await page.waitForSelector('#explain [data-role=chosen]');
    assert.match(await page.textContent('#explain [data-role=chosen]'), new RegExp(`-> ${x.chosen}`));
    assert.ok(await page.locator('#explain table tr').count() >= 2, 'candidates listed');
  });

  await check('the forecast panel is shown exactly when GET /api/v1/forecast exists', async () => {
    const f = await admin('/api/v1/forecast');
    if (f.status === 404) {
      assert.equal(await page.isHidden('#forecast-panel'), true);
      assert.equal(await page.locator('[data-role=forecast]').count(), 0);
      return;
    }
    assert.equal(f.status, 200);
    await page.waitForSelector('#forecast-panel:not([hidden])');
    // every account and pool of the forecast has its row; windows with a forecast show it on the card
    for (const a of f.body.accounts || []) {
      await page.waitForSelector(`#forecast tr[data-forecast-account="${a.id}"]`);
    }
    for (const p of f.body.pools || []) {
      await page.waitForSelector(`#forecast tr[data-forecast-pool="${p.model}"]`);
    }
    const withForecast = (await admin('/api/v1/accounts')).body.accounts
      .filter((a) => (a.windows || []).some((w) => w.forecast));
    for (const a of withForecast) {
      await page.waitForSelector(`.card[data-account="${a.id}"] [data-role=forecast]`);
    }
    // The panel's figures are the route's (issue 18): per window its used %, the verdict and,
    // per pool, its chain and whether it runs dry. (Times and paces move by the second: the
    // panel's text is compared with the answer the daemon gives now.)
    assert.ok(f.body.accounts.length > 0, 'the forecast lists the accounts');
    const now = (await admin('/api/v1/forecast')).body;
    for (const a of now.accounts) {
      const rows = await page.$$eval(`#forecast tr[data-forecast-account="${a.id}"]`,
        (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
      assert.equal(rows.length, a.windows.length, `${a.id}: one row per window`);
      a.windows.forEach((w, i) => {
        const [id, label, used, , verdict] = rows[i];
        assert.equal(id, a.id);
        assert.equal(label, `${w.metric} / ${w.window}`);
        assert.equal(used, w.used_percent.toFixed(1) + '%', `${a.id} ${label}: used %`);
        const word = { runs_out: /^runs out/, resets_first: /^resets first$/, idle: /^idle$/ }[w.verdict];
        assert.match(verdict, word, `${a.id} ${label}: verdict ${w.verdict}`);
      });
    }
    for (const p of now.pools) {
      const cells = await page.$eval(`#forecast tr[data-forecast-pool="${p.model}"]`,
        (tr) => [...tr.children].map((td) => td.textContent));
      assert.equal(cells[1], p.chain.join(' → '));
      assert.match(cells[2], p.dry_at ? /^runs dry in / : /^does not run dry/);
      if (p.accounts.length) assert.equal(cells[3].split(' · ').length, p.accounts.length);
    }
  });

  await check('the forecast panel renders the documented GET /api/v1/forecast shape', async () => {
    // The daemon's answer replaced by docs/ADMIN_API.md's example (the rendering is under test
    // here, whether or not this build forecasts).
    const sample = {
      at: new Date().toISOString(), half_life_s: 900,
      accounts: [{ id: 'openai-main', windows: [{ metric: 'requests', window: '1d', limit: 40, used: 26,
        used_percent: 65, reset_at: null, rate_per_s: 0.01, rate_per_hour: 36, verdict: 'runs_out',
        exhausts_at: new Date(Date.now() + 3600e3).toISOString(), exhaustion_s: 3600, short_by_s: 7200,
        projected_at_reset: 40, unused_at_reset: 0, unused_ratio: 0 }] }],
      pools: [{ model: 'gpt-4o', chain: ['gpt-4o', 'gpt-4o-mini'],
        accounts: [{ id: 'openai-main', critical_at: new Date(Date.now() + 1800e3).toISOString(), recovers_at: null }],
        dry_at: new Date(Date.now() + 1800e3).toISOString(), dry_in_s: 1800, dry_until: null }],
    };
    const probe = await context.newPage();
    await probe.route('**/api/v1/forecast', (route) => route.fulfill({
      status: 200, contentType: 'application/json', body: JSON.stringify(sample) }));
    await probe.goto(base + '/dashboard');
    await probe.fill('#token', token);  // a new tab: its own session storage
    await probe.click('#login-form button[type=submit]');
    await probe.waitForSelector('#forecast-panel:not([hidden])');
    const pool = await probe.textContent('#forecast tr[data-forecast-pool="gpt-4o"]');
    assert.match(pool, /gpt-4o → gpt-4o-mini/);
    assert.match(pool, /runs dry in (29|30)m/);
    const win = await probe.textContent('#forecast tr[data-forecast-account="openai-main"]');
    assert.match(win, /runs out in (59m|1h)/);
    assert.match(win, /2h 0m before its reset/);
    await probe.close();
  });

  await check('a drain confirmed on the page is an AccountDrained event by admin', async () => {
    const target = 'openai-spare';
    const before = (await admin('/api/v1/status')).body.journal_seq;
    // Cancel first: nothing happens.
    await page.click(`.card[data-account="${target}"] [data-action=drain]`);
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-cancel');
    await page.waitForSelector('#confirm[open]', { state: 'detached' });
    // Then confirm.
    await page.click(`.card[data-account="${target}"] [data-action=drain]`);
    await page.waitForSelector('#confirm[open]');
    assert.match(await page.textContent('#confirm-text'), new RegExp(target));
    await page.click('#confirm-ok');
    await page.waitForSelector(`.card[data-account="${target}"][data-state="draining"]`);
    const events = (await admin(`/api/v1/events?after=${before}&limit=1000`)).body.events;
    const drained = events.filter((e) => e.type === 'AccountDrained');
    assert.equal(drained.length, 1, 'exactly one AccountDrained (the cancelled one wrote nothing)');
    assert.equal(drained[0].account, target);
    assert.equal(drained[0].data.by, 'admin');
    assert.equal((await admin(`/api/v1/accounts/${target}`)).body.state, 'draining');
    await page.waitForSelector(`#alerts tr[data-type="AccountDrained"][data-account="${target}"]`);
    assert.equal(await page.locator(`.card[data-account="${target}"] [data-action=resume]`).count(), 1);
  });

  await check('the admin token is in no URL and no secret is rendered', async () => {
    for (const url of requested) assert.ok(!url.includes(token), `token in a URL: ${url}`);
    const html = await page.content();
    const text = await page.evaluate(() => document.body.innerText);
    for (const s of [token, ...secrets]) {
      assert.ok(!html.includes(s), `secret ${s.slice(0, 6)}... in the DOM`);
      assert.ok(!text.includes(s), `secret ${s.slice(0, 6)}... in the text`);
    }
  });

  await check('screenshots (desktop and phone) and the phone layout fits', async () => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(outDir, 'dashboard.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone screen`);
    await page.screenshot({ path: path.join(outDir, 'dashboard-phone.png'), fullPage: false });
    await page.setViewportSize({ width: 1360, height: 900 });
  });

  await check('a policy change confirmed on the page is a SettingChanged event', async () => {
    const before = (await admin('/api/v1/status')).body.journal_seq;
    await page.selectOption('#policy', 'fill_first');
    await page.click('#policy-form button[type=submit]');
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-ok');
    await until('the new policy', async () => (await admin('/api/v1/policy')).body.policy === 'fill_first');
    const events = (await admin(`/api/v1/events?after=${before}&limit=1000`)).body.events;
    assert.ok(events.some((e) => e.type === 'SettingChanged' && e.data.source === 'admin'), 'SettingChanged by admin');
  });

  await check('a refused threshold change shows the API error and changes nothing', async () => {
    const before = (await admin('/api/v1/thresholds')).body;
    await page.fill('#th-warning', '95');
    await page.fill('#th-switch', '50');
    await page.fill('#th-critical', '99');
    await page.click('#thresholds-form button[type=submit]');
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-ok');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error'), /Threshold change failed: .*(warning|switch)/);
    assert.deepEqual((await admin('/api/v1/thresholds')).body, before);
  });

  await check('log out forgets the token and shows the login prompt again', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    assert.equal(await page.locator('[data-account]').count(), 0);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.reload();
    await page.waitForSelector('#login:not([hidden])');
  });

  await check('a daemon without an admin token: the page opens without asking and says so', async () => {
    if (!process.env.QG_OPEN_URL) throw new Error('QG_OPEN_URL not set');
    const open = await context.newPage();
    await open.goto(process.env.QG_OPEN_URL + '/dashboard');
    await open.waitForSelector('#app:not([hidden])');
    assert.equal(await open.isHidden('#login'), true);
    await until('cards', async () => (await open.locator('.card[data-account]').count()) === accounts.length);
    assert.match(await open.textContent('#summary'), /admin API open/);
    await open.close();
  });

  await check("over the daemon's TLS listener: the same page, sign-in and cards", async () => {
    if (!process.env.QG_TLS_URL) throw new Error('QG_TLS_URL not set');
    const tls = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1360, height: 900 } });
    const p = await tls.newPage();
    const res = await p.goto(process.env.QG_TLS_URL + '/');
    assert.equal(new URL(p.url()).pathname, '/dashboard');
    assert.equal(new URL(p.url()).protocol, 'https:');
    assert.match(res.headers()['content-security-policy'] || '', /connect-src 'self'/);
    await p.fill('#token', token);
    await p.click('#login-form button[type=submit]');
    await until('cards over https', async () => (await p.locator('.card[data-account]').count()) === accounts.length);
    await tls.close();
  });

  await check('no script errors on the page', async () => {
    assert.deepEqual(consoleErrors, []);
  });
} finally {
  await browser.close();
}

console.log(failures ? `FAIL ${failures} check(s)` : 'PASS dashboard');
process.exit(failures ? 1 : 0);
