// ttfb.js - fixed-rate streamed requests: time to first byte, apart from the whole stream.
//
// wrk times a response until its last byte, so for a stream it measures the whole stream; a
// client of a streaming API waits for the first event (the first token). This client sends
// BENCH_RATE requests/s over at most CONNS keep-alive connections for DURATION seconds and
// times, from the moment each request is written:
//   ttfb   the first byte of the body (the first SSE event; the headers may come earlier)
//   head   the response headers
//   whole  the last byte of the stream
// and checks the status (2xx) and that the stream ends with EXPECT. Event-driven, one thread:
// its own cost is the same for every target, so the differences between targets are theirs.
// Prints (the same shape as bench.lua's line, latencies = TTFB, in ms):
//   WRKRESULT requests secs rps p50 p90 p99 max errors
//   TTFBDETAIL head p50/p99 ... whole p50/p99 ...
// Usage: node ttfb.js URL ['Header: value' ...]
// Env: BENCH_BODY (JSON body), BENCH_RATE (req/s, default 200), CONNS (32), DURATION (s, 10),
//      EXPECT ('[DONE]'), WARMUP_MS (500: requests sent in this first stretch, before DURATION,
//      warm this client's JIT and its connections and are not counted).
'use strict';
const http = require('http');

const url = new URL(process.argv[2]);
const headers = { 'content-type': 'application/json' };
for (const h of process.argv.slice(3)) {
  const i = h.indexOf(':');
  if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
}
const body = Buffer.from(process.env.BENCH_BODY || '{}');
headers['content-length'] = String(body.length);
const rate = +(process.env.BENCH_RATE || 200) || 200;
const conns = +(process.env.CONNS || 32);
const durationMs = +(process.env.DURATION || 10) * 1000;
const expect = process.env.EXPECT || '[DONE]';
const warmupMs = +(process.env.WARMUP_MS || 500);
const agent = new http.Agent({ keepAlive: true, maxSockets: conns });

const now = () => Number(process.hrtime.bigint()) / 1e6;  // ms
const ttfb = [], head = [], whole = [];
let errors = 0, inflight = 0, done = 0;

function fire(counted) {
  const t0 = now();
  inflight++;
  let tFirst = 0, tHead = 0, tail = '';
  const finish = (ok) => {
    inflight--;
    if (!counted) return;
    if (!ok) { errors++; return; }
    done++;
    ttfb.push(tFirst - t0); head.push(tHead - t0); whole.push(now() - t0);
  };
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search,
                             method: 'POST', headers, agent }, (res) => {
    tHead = now();
    res.on('data', (d) => {
      if (!tFirst) tFirst = now();
      tail = (tail + d.toString('latin1')).slice(-64);
    });
    res.on('end', () => finish(res.statusCode >= 200 && res.statusCode < 300 && tFirst > 0 && tail.includes(expect)));
    res.on('error', () => finish(false));
  });
  req.on('error', () => finish(false));
  req.end(body);
}

// Request n is due at start + n / rate; a target that falls more than a second behind is not
// caught up (as bench.lua): the achieved rate printed is then below BENCH_RATE.
const begin = now();
const start = begin + warmupMs;
const interval = 1000 / rate;
let next = begin;
function tick() {
  const t = now();
  if (t - start >= durationMs) return drain(t);
  if (next < t - 1000) next = t;
  while (next <= t) { fire(next >= start); next += interval; }
  setTimeout(tick, Math.max(0, Math.floor(next - t)));
}
function drain(tEnd) {
  const waitUntil = tEnd + 5000;
  (function check() {
    if (inflight > 0 && now() < waitUntil) return setTimeout(check, 10);
    errors += inflight;  // still open after 5 s: counted as errors, as wrk's timeouts
    report((tEnd - start) / 1000);
  })();
}
const pct = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor(a.length * p / 100))] : 0);
function report(secs) {
  for (const a of [ttfb, head, whole]) a.sort((x, y) => x - y);
  const f = (v) => v.toFixed(3);
  console.log(`WRKRESULT ${done} ${secs.toFixed(3)} ${(done / secs).toFixed(1)} ${f(pct(ttfb, 50))} ` +
              `${f(pct(ttfb, 90))} ${f(pct(ttfb, 99))} ${f(ttfb.length ? ttfb[ttfb.length - 1] : 0)} ${errors}`);
  console.log(`TTFBDETAIL head p50 ${f(pct(head, 50))} p99 ${f(pct(head, 99))} whole p50 ${f(pct(whole, 50))} ` +
              `p99 ${f(pct(whole, 99))} ms`);
  agent.destroy();
  process.exit(0);
}
tick();
