#!/usr/bin/env node
// soak.js — a bounded soak of one iosrv: many clients coming and going for
// minutes, in both pacings, while the server's memory and file descriptors
// are sampled. It answers one question: does anything grow with time?
//
//   npm run soak                      10 minutes (builds first)
//   node soak/soak.js --minutes 0.5   a quick run (dist/ must be built)
//
// Options: --minutes N (fractions allowed; default 10), --clients N (50),
// --period S (seconds between fear and calm; default 30, or a quarter of a
// short run), --rss-tolerance MiB (32), --fd-tolerance N (8), --sample S (10).
//
// The server: `iosrv -c cat --buffer 256k --stall-timeout 5 soak` in a fresh
// IO_DIR. Hub 0 → cat → hub 1 is a chat; hubs 9..11 are written and read
// directly. Each of the clients loops until the end: it picks a kind, runs it
// for 0.3 to 4 s, leaves, and picks again:
//   chat      framed (the client library): writes lines into hub 0, reads
//             hub 1, sometimes pauses itself for a while (a slow reader)
//   reader    raw `read N` on hub 1 or 9..11, sometimes pausing its socket
//   writer    raw `write N` on 9..11, bursts of bytes with backpressure
//   ctl       raw `ctl` and framed ctl (status, hNv, --json)
//   staller   (two of the clients) subscribes and never reads, for longer
//             than --stall-timeout: fast mode skips it, paranoid drops it
// A client waits for the server (a drain, a close, a reply) at most a pacing
// period and 15 s: paranoid may hold a writer until the next calm, no longer.
// A controller switches fear/calm every period and samples the server every
// --sample seconds: RSS (/proc/PID/status), fds (/proc/PID/fd) and the
// clients it counts. After a warm-up (a quarter of the run, at most 60 s) the
// last sample must not exceed the first by more than the tolerances — RSS in
// MiB; fds counted above the open connections, so churn does not count. At
// the end, with every client gone, the fd count must be back where it was
// before the first client came (±2), the server must quit cleanly, and no
// client may have seen an error it should not. Exit 0 when all hold, else 1.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'cli', 'iosrv.js'))) {
  process.stderr.write('soak: dist/ is not built (npm run build, or npm run soak)\n');
  process.exit(2);
}
const { attach } = await import(join(dist, 'client', 'connect.js'));

// ---- options ------------------------------------------------------------------

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`soak: --${name} wants a positive number\n`);
    process.exit(2);
  }
  return v;
}
const MINUTES = option('minutes', 10);
const CLIENTS = Math.round(option('clients', 50));
const DURATION_MS = MINUTES * 60_000;
const PERIOD_MS = option('period', Math.min(30, (DURATION_MS / 4) / 1000)) * 1000;
const SAMPLE_MS = option('sample', 10) * 1000;
const WARMUP_MS = Math.min(60_000, DURATION_MS / 4);
const RSS_TOLERANCE = option('rss-tolerance', 32) * 1024 * 1024;
const FD_TOLERANCE = option('fd-tolerance', 8);
const STALL_TIMEOUT_S = 5;
/**
 * How long a client waits for the server (a drain, a close, a reply). In
 * paranoid mode a writer waits as long as the slowest reader makes it — with
 * stallers re-stalling a hub back to back, that can be a whole paranoid
 * period — but `calm` must release it at once: a wait longer than a period
 * and a margin is a writer the server forgot to wake.
 */
const PATIENCE_MS = PERIOD_MS + 15_000;
const NAME = 'soak';

// ---- the server -----------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'io-soak-'));
const sock = join(dir, NAME);
const server = spawn(process.execPath, [join(dist, 'cli', 'iosrv.js'), '-c', 'cat', '--buffer', '256k', '--stall-timeout', String(STALL_TIMEOUT_S), NAME], {
  env: { ...process.env, IO_DIR: dir },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let serverLog = '';
server.stderr.on('data', (b) => (serverLog += b.toString()));
let serverExit = null;
server.on('exit', (code, signal) => (serverExit = { code, signal }));
const cleanup = () => {
  if (serverExit === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rand = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo));
function withTimeout(p, ms, what) {
  let timer;
  return Promise.race([p, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no end in ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

function rssOf(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}
function fdsOf(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** A raw connection with its first line sent. */
function raw(firstLine) {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock);
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      s.write(`${firstLine}\n`);
      resolve(s);
    });
  });
}
const closed = (s) => (s.destroyed && s.closed ? Promise.resolve() : new Promise((r) => s.once('close', r)));

// ---- what the clients do ------------------------------------------------------------

const stats = { runs: {}, bytesWritten: 0, bytesRead: 0, gaps: 0, lostBytes: 0, ctl: 0, dropped: 0, errors: [] };
const count = (k) => (stats.runs[k] = (stats.runs[k] ?? 0) + 1);
function unexpected(kind, err) {
  const msg = `${kind}: ${err?.message ?? err}`;
  if (stats.errors.length < 50) stats.errors.push(msg);
  else stats.errors[49] = `… and more (last: ${msg})`;
}
let stopping = false;
const deadline = () => stopping;
/** The controller's connection (fear/calm, samples), and the pacing it last set. */
let controller = null;
let pacingNow = 'fast';

/** A framed client's events: what it reads and loses is counted; an error frame that does not match `expected` is unexpected. */
function counted(kind, expected, close) {
  return {
    data: (_h, b) => (stats.bytesRead += b.length),
    gap: (_h, n) => {
      stats.gaps++;
      stats.lostBytes += n;
    },
    error: (_h, m) => {
      if (!expected.test(m)) unexpected(`${kind} error frame`, m);
    },
    close,
  };
}

async function chat(id) {
  const c = await attach(NAME, { ioDir: dir });
  const gone = new Promise((r) => c.on(counted('chat', /server quit/, r)));
  c.subscribe(1);
  if (Math.random() < 0.3) c.subscribe(9);
  let full = false;
  c.onDrain(() => (full = false));
  const until = Date.now() + rand(300, 4000);
  let seq = 0;
  while (Date.now() < until && !c.closed && !deadline()) {
    if (!full) {
      const line = Buffer.from(`c${id}.${seq++} ${'x'.repeat(rand(0, 200))}\n`);
      full = !c.write(0, line);
      stats.bytesWritten += line.length;
    }
    const r = Math.random();
    if (r < 0.03) {
      c.pause(); // a slow reader for a while
      await sleep(rand(200, 1500));
      c.resume();
    } else if (r < 0.08) {
      const reply = await withTimeout(c.ctl(Math.random() < 0.5 ? 'status' : 'h1v', { json: Math.random() < 0.5 }), PATIENCE_MS, 'chat ctl').catch((err) => {
        destroy(c);
        throw err;
      });
      stats.ctl++;
      if (reply.startsWith('io:')) unexpected('chat ctl reply', reply);
    }
    await sleep(rand(5, 40));
  }
  c.close();
  await withTimeout(gone, PATIENCE_MS, 'chat close').finally(() => destroy(c));
}

async function reader() {
  const s = await raw(`read ${Math.random() < 0.5 ? 1 : rand(9, 12)}`);
  try {
    s.on('data', (b) => (stats.bytesRead += b.length));
    const until = Date.now() + rand(300, 4000);
    while (Date.now() < until && !s.destroyed && !deadline()) {
      if (Math.random() < 0.1) {
        s.pause();
        await sleep(rand(100, 1500));
        s.resume();
      }
      await sleep(100);
    }
  } finally {
    s.destroy();
  }
}

/** Drop a framed client's connection outright (after a close that did not end). */
function destroy(c) {
  c['socket']?.destroy();
}

async function writer() {
  const hub = rand(9, 12);
  const s = await raw(`write ${hub}`);
  try {
    const done = closed(s);
    s.resume();
    const bursts = rand(1, 40);
    for (let i = 0; i < bursts && !s.destroyed && !deadline(); i++) {
      const chunk = randomBytes(rand(1, 64 * 1024));
      stats.bytesWritten += chunk.length;
      if (!s.write(chunk)) await withTimeout(new Promise((r) => s.once('drain', r)), PATIENCE_MS, `writer drain (hub ${hub})`).catch(diagnose(hub));
      await sleep(rand(5, 100));
    }
    s.end();
    await withTimeout(done, PATIENCE_MS, `writer close (hub ${hub})`).catch(diagnose(hub));
  } finally {
    s.destroy();
  }
}

/** On a timeout: what the hub looked like, for the error list; then the error goes on. */
function diagnose(hub) {
  return async (err) => {
    const view = await withTimeout(controller.ctl(`h${hub}v`), 5000, 'diagnose').catch((e) => String(e));
    throw new Error(`${err.message} [${pacingNow}] ${view.replace(/\n\s*/g, ' | ')}`);
  };
}

async function ctl() {
  if (Math.random() < 0.5) {
    const s = await raw('ctl');
    let text = '';
    s.on('data', (b) => (text += b.toString()));
    const done = closed(s);
    s.end(`h1v\nh${rand(9, 12)}v\nstatus\n`);
    await withTimeout(done, PATIENCE_MS, 'raw ctl');
    stats.ctl += 3;
    if (!/^io soak: /m.test(text)) unexpected('raw ctl reply', text.slice(0, 80));
  } else {
    const c = await attach(NAME, { ioDir: dir });
    const gone = new Promise((r) => c.on({ close: r }));
    const reply = await withTimeout(c.ctl('status', { json: true }), PATIENCE_MS, 'framed ctl');
    stats.ctl++;
    if (!reply.startsWith('{')) unexpected('framed ctl reply', reply.slice(0, 80));
    c.close();
    await withTimeout(gone, PATIENCE_MS, 'framed ctl close').finally(() => destroy(c));
  }
}

async function staller() {
  const c = await attach(NAME, { ioDir: dir });
  let leaving = false;
  let dropped = false;
  // dropped by --stall-timeout, a framed client is told `this output was freed (hNf)` (see docs/reliability.md)
  const gone = new Promise((r) => c.on(counted('staller', /server quit|this output was freed|--stall-timeout/, () => {
    dropped = !leaving && !stopping;
    r();
  })));
  c.subscribe(1);
  c.subscribe(9);
  c.pause();
  // longer than --stall-timeout: in paranoid mode the server drops it; in fast mode it skips
  const until = Date.now() + (STALL_TIMEOUT_S + rand(1, 4)) * 1000;
  while (Date.now() < until && !c.closed && !deadline()) await sleep(100);
  // then it reads again for a while: in fast mode its first frame is a gap
  c.resume();
  await sleep(1000);
  leaving = true;
  if (!c.closed) c.close();
  await withTimeout(gone, PATIENCE_MS, 'staller close').finally(() => destroy(c));
  if (dropped) stats.dropped++;
}

const KINDS = [
  ['chat', chat, 45],
  ['reader', reader, 20],
  ['writer', writer, 20],
  ['ctl', ctl, 15],
];
const TOTAL_WEIGHT = KINDS.reduce((n, k) => n + k[2], 0);

async function worker(id) {
  while (!deadline()) {
    let kind = 'staller';
    let run = staller;
    if (id >= 2) {
      let w = Math.random() * TOTAL_WEIGHT;
      for (const [k, fn, weight] of KINDS) {
        if ((w -= weight) < 0) {
          kind = k;
          run = fn;
          break;
        }
      }
    }
    try {
      await run(id);
      count(kind);
    } catch (err) {
      if (serverExit !== null) return;
      unexpected(kind, err);
    }
    await sleep(rand(20, 300));
  }
}

// ---- the run ------------------------------------------------------------------------------

function mib(n) {
  return (n / 1048576).toFixed(1);
}

async function main() {
  // the server answers
  const t0 = Date.now();
  for (;;) {
    if (serverExit) throw new Error(`iosrv exited: ${serverLog}`);
    if (existsSync(sock)) {
      try {
        const c = await attach(NAME, { ioDir: dir });
        c.close();
        break;
      } catch {
        // not yet
      }
    }
    if (Date.now() - t0 > 10_000) throw new Error('iosrv did not answer in 10 s');
    await sleep(50);
  }
  const pid = server.pid;
  const control = await attach(NAME, { ioDir: dir });
  controller = control;
  const status = async () => JSON.parse(await withTimeout(control.ctl('status', { json: true }), PATIENCE_MS, 'status'));
  await sleep(500);
  const baselineFds = fdsOf(pid);
  const start = Date.now();
  process.stdout.write(`soak: ${MINUTES} min, ${CLIENTS} clients, fear/calm every ${PERIOD_MS / 1000} s, samples every ${SAMPLE_MS / 1000} s, warm-up ${WARMUP_MS / 1000} s; iosrv pid ${pid}, ${baselineFds} fds idle\n`);
  process.stdout.write('     t  pacing    rss MiB  fds  conns  fds-conns\n');

  const samples = [];
  let pacing = 'fast';
  const sample = async () => {
    const s = await status();
    const x = { t: Math.round((Date.now() - start) / 1000), pacing: s.pacing, rss: rssOf(pid), fds: fdsOf(pid), clients: s.clients };
    samples.push(x);
    process.stdout.write(`${String(x.t).padStart(6)}  ${x.pacing.padEnd(8)} ${mib(x.rss).padStart(8)} ${String(x.fds).padStart(4)} ${String(x.clients).padStart(6)} ${String(x.fds - x.clients).padStart(10)}\n`);
  };
  await sample();

  const workers = Array.from({ length: CLIENTS }, (_, i) => worker(i));
  const pacer = setInterval(() => {
    pacing = pacing === 'fast' ? 'paranoid' : 'fast';
    pacingNow = pacing;
    void control.ctl(pacing === 'paranoid' ? 'fear' : 'calm').catch((err) => unexpected('pacer', err));
  }, PERIOD_MS);
  const sampler = setInterval(() => void sample().catch((err) => unexpected('sampler', err)), SAMPLE_MS);
  while (Date.now() - start < DURATION_MS && serverExit === null) await sleep(200);
  clearInterval(pacer);
  clearInterval(sampler);
  stopping = true;
  // calm releases every writer paranoid pacing holds; then every client leaves
  if (serverExit === null) await withTimeout(control.ctl('calm'), PATIENCE_MS, 'calm');
  await Promise.all(workers);
  if (serverExit !== null) throw new Error(`iosrv died during the soak (${JSON.stringify(serverExit)}): ${serverLog.slice(-2000)}`);
  await sample();

  // every client gone: the fds come back to where they were
  const settleStart = Date.now();
  let finalFds = fdsOf(pid);
  while (finalFds > baselineFds + 2 && Date.now() - settleStart < 15_000) {
    await sleep(200);
    finalFds = fdsOf(pid);
  }
  const finalStatus = await status();
  const sessionPid = finalStatus.sessions[0]?.pid;
  await control.ctl('quit');
  const quitStart = Date.now();
  while (serverExit === null && Date.now() - quitStart < 10_000) await sleep(50);

  // ---- the verdict --------------------------------------------------------------------
  const after = samples.filter((s) => s.t * 1000 >= WARMUP_MS && s.clients > 1);
  const first = after[0];
  const last = after.at(-1);
  const range = (f) => `min ${Math.min(...after.map(f))} max ${Math.max(...after.map(f))} first ${f(first)} last ${f(last)}`;
  const failures = [];
  if (!first || after.length < 2) failures.push(`too few samples after the warm-up (${after.length}): run longer`);
  else {
    if (last.rss - first.rss > RSS_TOLERANCE) failures.push(`RSS grew ${mib(last.rss - first.rss)} MiB after the warm-up (tolerance ${mib(RSS_TOLERANCE)})`);
    if (last.fds - last.clients - (first.fds - first.clients) > FD_TOLERANCE) failures.push(`fds above connections grew by ${last.fds - last.clients - (first.fds - first.clients)} (tolerance ${FD_TOLERANCE})`);
  }
  if (finalFds > baselineFds + 2) failures.push(`with every client gone the server holds ${finalFds} fds, ${baselineFds} before the first came`);
  if (finalStatus.clients !== 1) failures.push(`with every client gone the server counts ${finalStatus.clients} clients (the controller is 1)`);
  if (serverExit === null) failures.push('the server did not quit within 10 s');
  else if (serverExit.code !== 0) failures.push(`the server exited ${JSON.stringify(serverExit)}`);
  if (existsSync(sock)) failures.push('the socket is still there after quit');
  if (sessionPid && existsSync(`/proc/${sessionPid}`)) failures.push(`the session process ${sessionPid} is still there after quit`);
  if (/bad frame|internal error/.test(serverLog)) failures.push('the server logged a bad frame or an internal error');
  if (stats.errors.length > 0) failures.push(`${stats.errors.length} unexpected client errors:\n    ${stats.errors.join('\n    ')}`);

  const stallLines = (serverLog.match(/dropped \(--stall-timeout\)/g) ?? []).length;
  const pacingLines = (serverLog.match(/pacing (fast|paranoid)/g) ?? []).length;
  process.stdout.write(`
runs: ${Object.entries(stats.runs).map(([k, n]) => `${k} ${n}`).join(', ')}
bytes: written ${mib(stats.bytesWritten)} MiB, read ${mib(stats.bytesRead)} MiB; gaps ${stats.gaps} (${mib(stats.lostBytes)} MiB lost to slow readers in fast mode)
ctl commands: ${stats.ctl}; pacing switches: ${pacingLines}; readers dropped by --stall-timeout: ${stallLines} (of them stallers: ${stats.dropped})
after the warm-up (${after.length} samples): RSS MiB ${after.length ? range((s) => Number(mib(s.rss))) : '-'}; fds-conns ${after.length ? range((s) => s.fds - s.clients) : '-'}
idle fds: ${baselineFds} before, ${finalFds} after; server exit ${JSON.stringify(serverExit)}
`);
  if (failures.length > 0) {
    process.stdout.write(`\nsoak: FAIL\n  ${failures.join('\n  ')}\n`);
    return 1;
  }
  process.stdout.write(`\nsoak: ok (tolerances: RSS +${mib(RSS_TOLERANCE)} MiB, fds +${FD_TOLERANCE})\n`);
  return 0;
}

let status = 1;
try {
  status = await main();
} catch (err) {
  process.stderr.write(`soak: ${err.stack ?? err}\n`);
} finally {
  cleanup();
}
process.exit(status);
