// memory.js — server RSS: with one idle shell, per extra attached client, per
// extra hub; io against dtach and tmux where they have an equivalent.
//
// RSS is VmRSS from /proc/PID/status, read after the server has been quiet
// for SETTLE_MS. Idle shell: `iosrv NAME` (a shell on a pty, no client),
// `dtach -n SOCK sh`, `tmux new -d sh`: the server process alone, not the
// shell. Per client: one client first (so code that runs on the first attach
// is loaded), then CLIENTS more — framed clients of this process for io, each
// subscribed to hubs 1 and 2 as ioshell does; `dtach -a` and `tmux attach` on
// ptys for the peers — and the growth divided by CLIENTS (then MORE_CLIENTS);
// for io also on a server that runs gc() every 300 ms. The yardstick for a
// client is bench/plain.js's server, each connection a reader of it: what a
// plain Node server pays a connection, measured the same way. Per hub: a `-d`
// server, HUBS hubs started with `io ctl NAME h3s0 h4s0 …`, each filled with
// FILL_BYTES through a raw `write N` (more than the ring, so the ring is full),
// and the growth divided by HUBS, against the ring size; once as the server
// runs, once with a gc() every 50 ms (what it holds, garbage collected).
// That gc() is more frequent than the clients' because every socket read is
// a fresh 64 KiB buffer, garbage once copied into the ring: with a gc()
// every 300 ms, fills back to back left 4-5 MiB of it between two gc()s,
// malloc kept that high-water mark, and it was shared out among the hubs
// (1.2 × ring), though a second batch of hubs reuses it. Every 50 ms about
// one fill's worth waits, as after the baseline's fill of hub 1.
// Each figure is the median of RUNS servers started afresh.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILDS, KiB, MiB, Pty, RUNS, connect, deadline, envIn, finish, fix, have, ioCtl, median, met, pidsNamed, rssBytes, run, scratch, sleep, startIosrv, stopIosrv, table, waitFor } from './lib.js';

const SETTLE_MS = 1000;
const CLIENTS = 10;
const MORE_CLIENTS = 200; // 10 alone leaves ±10 KiB a client of noise
const HUBS = 40; // 10 leaves ±300 KiB a hub of noise on a busy machine
/** Node flags for a server that collects its garbage every ms: what it holds, not what it has yet to free. */
const gcFlags = (ms) => ['--expose-gc', `--import=data:text/javascript,setInterval(()=>{gc();gc()},${ms}).unref()`];
const CLIENT_GC_MS = 300;
const HUB_GC_MS = 50;
const RING_BYTES = 512 * KiB;
const FILL_BYTES = 1 * MiB;
deadline(280_000, 'memory');

const PLAIN_JS = fileURLToPath(new URL('plain.js', import.meta.url));
const dir = scratch('mem');
const MB = 1e6;

/** RSS after a quiet moment: the median of three readings 100 ms apart. */
async function settledRss(pid) {
  await sleep(SETTLE_MS);
  const xs = [];
  for (let i = 0; i < 3; i++) {
    xs.push(rssBytes(pid));
    await sleep(100);
  }
  return median(xs);
}

/** A framed client, greeted and subscribed to hubs 1 and 2 (what ioshell does on trihub 0). */
async function framedClient(sock) {
  const s = await connect(sock);
  s.on('error', () => {});
  let got = 0;
  s.on('data', (b) => (got += b.length));
  const sub = (hub) => Buffer.from([3, 0, hub >> 8, hub & 0xff, 0, 0, 0, 0]);
  s.write(Buffer.concat([Buffer.from('IO 1\n'), sub(1), sub(2)]));
  await waitFor(() => got > 0, 'hello');
  return s;
}

async function ioIdle(b, withGc) {
  const srv = await startIosrv(dir, 'm', [], { iosrv: b.iosrv, env: { SHELL: '/bin/sh' }, ...(withGc ? { node: gcFlags(CLIENT_GC_MS) } : {}) });
  const idle = await settledRss(srv.pid);
  const first = await framedClient(srv.socket);
  const base = await settledRss(srv.pid);
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(await framedClient(srv.socket));
  const ten = await settledRss(srv.pid);
  for (let i = CLIENTS; i < MORE_CLIENTS; i++) clients.push(await framedClient(srv.socket));
  const hundred = await settledRss(srv.pid);
  for (const c of [first, ...clients]) c.destroy();
  await stopIosrv(srv);
  return { idle, perClient: (ten - base) / CLIENTS, perClient100: (hundred - base) / MORE_CLIENTS };
}

let plainRuns = 0;
/** The yardstick: bench/plain.js's server, 1 then 10 then 200 connections, each a reader; RSS growth per connection. */
async function plainConns(withGc) {
  const sock = join(dir, `plain${++plainRuns}.sock`); // a server ended by SIGTERM leaves its socket file
  const child = spawn(process.execPath, [...(withGc ? gcFlags(CLIENT_GC_MS) : []), PLAIN_JS, 'server', sock], { env: envIn(dir), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('exit', () => reject(new Error('plain server exited')));
  });
  const conns = [];
  const readers = async () => {
    const s = await connect(sock);
    let said = '';
    s.on('data', (b) => (said += b));
    s.end('ctl\n');
    await new Promise((r) => s.once('close', r));
    return Number(/readers (\d+)/.exec(said)?.[1] ?? -1);
  };
  const add = async (n) => {
    for (let i = 0; i < n; i++) {
      const s = await connect(sock);
      s.on('error', () => {});
      s.write('read 1\n');
      conns.push(s);
    }
    await waitFor(async () => (await readers()) === conns.length, `${conns.length} plain readers`, 10_000, 20);
  };
  await add(1);
  const base = await settledRss(child.pid);
  await add(CLIENTS);
  const ten = await settledRss(child.pid);
  await add(MORE_CLIENTS - CLIENTS);
  const hundred = await settledRss(child.pid);
  for (const c of conns) c.destroy();
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
  return { perClient: (ten - base) / CLIENTS, perClient100: (hundred - base) / MORE_CLIENTS };
}

async function ioHubs(b, withGc) {
  const srv = await startIosrv(dir, 'h', ['-d'], { iosrv: b.iosrv, ...(withGc ? { node: gcFlags(HUB_GC_MS) } : {}) });
  // One hub used first, so the code of starting and filling a hub is loaded before the baseline.
  await fill(srv.socket, 1);
  const base = await settledRss(srv.pid);
  const hubs = Array.from({ length: HUBS }, (_, i) => 3 + i);
  ioCtl(dir, 'h', ...hubs.map((h) => `h${h}s0`));
  for (const h of hubs) await fill(srv.socket, h);
  const after = await settledRss(srv.pid);
  await stopIosrv(srv);
  return { perHub: (after - base) / HUBS };
}

async function fill(sock, hub) {
  const s = await connect(sock);
  s.on('error', () => {});
  const chunk = Buffer.alloc(64 * KiB, 'm');
  s.write(`write ${hub}\n`);
  for (let n = 0; n < FILL_BYTES; n += chunk.length) if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
  await new Promise((r) => s.end(r));
  await sleep(50);
  s.destroy();
}

/** A C peer: its server's RSS idle, then per attached client (on ptys). */
async function peer(name, start, attachArgs, serverPid) {
  start();
  const pid = await waitFor(() => serverPid(), `${name} server`);
  const idle = await settledRss(pid);
  const terms = [new Pty(dir, name, attachArgs)];
  const base = await settledRss(pid);
  for (let i = 0; i < CLIENTS; i++) terms.push(new Pty(dir, name, attachArgs));
  const ten = await settledRss(pid);
  for (const t of terms) t.close();
  await sleep(200);
  process.kill(pid, 'SIGKILL');
  return { idle, perClient: (ten - base) / CLIENTS };
}

const rows = [];
const skipped = [];
for (const b of BUILDS) {
  const runs = [];
  const hubRuns = [];
  const gcRuns = [];
  const gcClientRuns = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await ioIdle(b, false));
    gcClientRuns.push(await ioIdle(b, true));
    hubRuns.push(await ioHubs(b, false));
    gcRuns.push(await ioHubs(b, true));
  }
  rows.push({
    name: b.label,
    idle: median(runs.map((x) => x.idle)),
    perClient: median(runs.map((x) => x.perClient)),
    perClient100: median(runs.map((x) => x.perClient100)),
    perHub: median(hubRuns.map((x) => x.perHub)),
    perHubGc: median(gcRuns.map((x) => x.perHub)),
    perClientGc: median(gcClientRuns.map((x) => x.perClient)),
    perClient100Gc: median(gcClientRuns.map((x) => x.perClient100)),
  });
}
{
  const runs = [];
  const gcRuns = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await plainConns(false));
    gcRuns.push(await plainConns(true));
  }
  rows.push({
    name: 'plain Node',
    perClient: median(runs.map((x) => x.perClient)),
    perClient100: median(runs.map((x) => x.perClient100)),
    perClientGc: median(gcRuns.map((x) => x.perClient)),
    perClient100Gc: median(gcRuns.map((x) => x.perClient100)),
  });
}
if (have('dtach')) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const sock = join(dir, `d${r}.sock`);
    runs.push(await peer('dtach', () => run('dtach', ['-n', sock, '-E', '/bin/sh'], envIn(dir)), ['-a', sock, '-E'], () => pidsNamed(dir, 'dtach')[0]));
  }
  rows.push({ name: 'dtach', idle: median(runs.map((x) => x.idle)), perClient: median(runs.map((x) => x.perClient)) });
} else skipped.push('dtach');
if (have('tmux')) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const L = `iobm${r}`;
    runs.push(await peer('tmux', () => run('tmux', ['-L', L, '-f', '/dev/null', 'new', '-d', '-x', '80', '-y', '24', '/bin/sh'], envIn(dir)), ['-L', L, 'attach'], () => Number(run('tmux', ['-L', L, 'display', '-p', '#{pid}'], envIn(dir)).trim())));
  }
  rows.push({ name: 'tmux', idle: median(runs.map((x) => x.idle)), perClient: median(runs.map((x) => x.perClient)) });
} else skipped.push('tmux');

const io = rows[0];
const kb = (x) => (Number.isFinite(x) ? fix(x / 1024, 1) : '–');
console.log(`## memory: server RSS (VmRSS), median of ${RUNS}\n`);
console.log(table(
  ['server', 'idle, one shell MB', `per client KiB (${CLIENTS} / ${MORE_CLIENTS})`, 'per client, after GC', `per hub KiB (${HUBS} hubs)`, 'per hub, after GC', 'idle × io'],
  rows.map((r) => [
    r.name,
    fix(r.idle / MB, 1),
    r.perClient100 !== undefined ? `${kb(r.perClient)} / ${kb(r.perClient100)}` : kb(r.perClient),
    r.perClientGc !== undefined ? `${kb(r.perClientGc)} / ${kb(r.perClient100Gc)}` : '–',
    r.perHub !== undefined ? `${kb(r.perHub)} (${fix(r.perHub / RING_BYTES)} × ring)` : '–',
    r.perHubGc !== undefined ? `${kb(r.perHubGc)} (${fix(r.perHubGc / RING_BYTES)} × ring)` : '–',
    fix(r.idle / io.idle, 3),
  ]),
));
console.log(`\nA hub's ring is ${RING_BYTES / KiB} KiB. "After GC": the same, on a server that runs gc() every ${CLIENT_GC_MS} ms (${HUB_GC_MS} ms for the hubs) (node --expose-gc): what it holds. As it runs, RSS also carries garbage (the socket buffers that carried a fill, a heap that grew in steps) until V8 next collects, so those columns wander by tens of KiB a client; per hub, each socket read is a fresh 64 KiB buffer that only a scavenge frees, and input alone brings one about when such buffers reach 32 MB (2 × V8's default largest semi-space): up to 32 MB of fill buffers wait, shared out among the ${HUBS} hubs though not theirs.`);
console.log(`io's clients here are framed clients of this process (hubs 1 and 2 subscribed); dtach's and tmux's are \`dtach -a\` / \`tmux attach\` on ptys of 80x24.`);
console.log(`"plain Node" is bench/plain.js's server with each connection one of its readers: what a Node server pays a connected socket, the floor under io's figure.`);
if (skipped.length) console.log(`\nskipped (not installed): ${skipped.join(', ')}`);
console.log('');
const plain = rows.find((r) => r.name === 'plain Node');
for (const r of rows.filter((x) => x.perHub !== undefined)) {
  console.log(`goal ${r.name} idle ≤ 55 MB: ${fix(r.idle / MB, 1)} ${met(r.idle <= 55 * MB)}; per client ≤ 30 KiB: ${kb(r.perClient)} / ${kb(r.perClient100)} as is ${met(r.perClient <= 30 * 1024 && r.perClient100 <= 30 * 1024)}, ${kb(r.perClientGc)} / ${kb(r.perClient100Gc)} after GC ${met(r.perClientGc <= 30 * 1024 && r.perClient100Gc <= 30 * 1024)} (plain Node ${kb(plain.perClient100)} / ${kb(plain.perClient100Gc)} with ${MORE_CLIENTS}); per hub ≤ 1.1 × ring: ${fix(r.perHub / RING_BYTES)} as is ${met(r.perHub <= 1.1 * RING_BYTES)}, ${fix(r.perHubGc / RING_BYTES)} after GC ${met(r.perHubGc <= 1.1 * RING_BYTES)}`);
}
finish();
