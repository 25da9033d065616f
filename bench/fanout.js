// fanout.js — one writer into hub 1 of a `-d` server, N readers over the Unix
// socket: aggregate GiB/s delivered, io (fast and paranoid) against a plain
// Node broadcast server (bench/plain.js) measured the same way, in one run.
//
// A run: the hub is cleared (h1c), N readers connect (`io read NAME 1`
// processes whose stdout is a pipe into this process, or in-process raw
// sockets that said `read 1`), then a raw `write 1` connection from this
// process writes W bytes in 64 KiB chunks, minding 'drain'. Each reader counts
// what it gets; the time is from the first write to the last reader's last
// byte. Paranoid and plain lose nothing, so every reader must get exactly W
// (more would be a duplicate, less a loss: either fails the run). Fast may
// skip a reader past what it could not take: the run ends when every reader
// has W or none has moved for IDLE_MS, and the loss is reported.
//
// The systems take turns within each round, with fresh readers each run.
// The ceiling for an `io read` process is the pipe it writes into: the run
// also times 512 MiB through a pipe with C at both ends (dd → dd), and with
// one C process relaying (dd → cat → dd), the shape of `io read`.
// Writes docs/throughput.svg from the raw-reader rows (IO_BENCH_SVG=0: don't).

import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILDS, NODE_FLAGS, GiB, machine, KiB, MiB, ROOT, RUNS, SCALE, connect, deadline, envIn, finish, fix, median, met, scratch, sleep, startIosrv, stopIosrv, table, waitFor } from './lib.js';

const CHUNK_BYTES = 64 * KiB;
const DELIVER_BYTES = 768 * MiB * SCALE;
const IDLE_MS = 300;
const CONNECT_BATCH = 100;
const VERBOSE = process.env.IO_BENCH_VERBOSE === '1';
const RUN_TIMEOUT_MS = 8_000; // a run takes 1–2 s; a paranoid hub that stopped does not come back
const PLAIN_JS = fileURLToPath(new URL('plain.js', import.meta.url));
const ROWS_SPEC = [
  { n: 1, kind: 'proc' },
  { n: 1, kind: 'raw' },
  { n: 10, kind: 'proc' },
  { n: 10, kind: 'raw' },
  { n: 100, kind: 'raw' },
  { n: 1000, kind: 'raw' },
];
deadline(200_000, 'fanout');

const dir = scratch('fan');
const chunk = Buffer.alloc(CHUNK_BYTES);
for (let i = 0; i < chunk.length; i++) chunk[i] = 32 + ((i * 7) % 95);

/** The bytes each reader gets in one run: about DELIVER_BYTES in all, a whole number of chunks. */
const writeBytesFor = (n) => Math.max(16, Math.min(8192, Math.round(DELIVER_BYTES / n / CHUNK_BYTES))) * CHUNK_BYTES;

/** A raw ctl command to an io server; its reply (the server closes after our end of file). */
function rawCtl(sock, line) {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock, () => s.end(`ctl\n${line}\n`));
    let out = '';
    s.on('data', (b) => (out += b));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

async function readerCount(sys) {
  if (sys.kind === 'plain') return Number(/readers (\d+)/.exec(await rawCtl(sys.sock, ''))?.[1] ?? -1);
  const status = await rawCtl(sys.sock, 'status');
  return Number(/^hub 1: .* outputs (\d+),/m.exec(status)?.[1] ?? 0);
}

/** One reader: bytes counted, the time of the last one. */
function counter() {
  return { bytes: 0, last: 0, close: () => {} };
}

async function rawReader(sys) {
  const r = counter();
  const s = await connect(sys.sock);
  s.on('error', () => {});
  s.on('data', (b) => {
    r.bytes += b.length;
    r.last = performance.now();
  });
  s.write('read 1\n');
  r.close = () => s.destroy();
  return r;
}

function procReader(sys) {
  const r = counter();
  const args = sys.kind === 'plain' ? [PLAIN_JS, 'read', sys.sock] : [...NODE_FLAGS, sys.io, 'read', sys.name, '1'];
  // stderr: `io read` says `io: lost N bytes` there in fast mode; the counts say it already.
  const child = spawn(process.execPath, args, { env: envIn(dir), stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout.on('data', (b) => {
    r.bytes += b.length;
    r.last = performance.now();
  });
  // SIGTERM lets a profiled `io read` write its profile.
  r.close = () => child.kill(NODE_FLAGS.length ? 'SIGTERM' : 'SIGKILL');
  return r;
}

async function runOnce(sys, n, kind) {
  const w = writeBytesFor(n);
  if (sys.kind === 'io') await rawCtl(sys.sock, 'h1c');
  const readers = [];
  // In batches the server has taken in, so the socket's accept queue never fills (EAGAIN).
  for (let i = 0; i < n; i++) {
    readers.push(kind === 'proc' ? procReader(sys) : await rawReader(sys));
    if (readers.length % CONNECT_BATCH === 0 || readers.length === n) {
      await waitFor(async () => (await readerCount(sys)) === readers.length, `${readers.length} readers on ${sys.label}`, 20_000, 20);
    }
  }
  const writer = await connect(sys.sock);
  writer.on('error', () => {});
  writer.write('write 1\n');
  const t0 = performance.now();
  let stalled = false;
  await new Promise((resolve) => {
    let left = w;
    // A paranoid hub that stops reading its writer for good must not hang the bench.
    const timer = setTimeout(() => {
      stalled = true;
      resolve();
    }, RUN_TIMEOUT_MS);
    const pump = () => {
      while (left > 0) {
        left -= CHUNK_BYTES;
        if (!writer.write(chunk)) return void writer.once('drain', pump);
      }
      clearTimeout(timer);
      resolve();
    };
    pump();
  });
  // Every byte in, or (fast) nobody moving.
  let seen = -1;
  let still = performance.now();
  while (!stalled) {
    const total = readers.reduce((a, r) => a + r.bytes, 0);
    if (readers.every((r) => r.bytes >= w)) break;
    if (total !== seen) {
      seen = total;
      still = performance.now();
    } else if (sys.pacing === 'fast' && performance.now() - still > IDLE_MS) break;
    if (performance.now() - t0 > RUN_TIMEOUT_MS) {
      stalled = true;
      break;
    }
    await sleep(5);
  }
  const last = Math.max(...readers.map((r) => r.last));
  const delivered = readers.reduce((a, r) => a + Math.min(r.bytes, w), 0);
  const over = readers.filter((r) => r.bytes > w).length;
  const short = readers.filter((r) => r.bytes < w).length;
  writer.destroy();
  for (const r of readers) r.close();
  await waitFor(async () => (await readerCount(sys)) === 0, `${sys.label} readers gone`, 20_000, 20);
  if (VERBOSE) console.error(`fanout: ${sys.label} ${n} ${kind}: ${fix(delivered / GiB / ((last - t0) / 1000))} GiB/s, short ${short}, over ${over}${stalled ? ', STALLED' : ''}`);
  return { gibs: stalled ? NaN : delivered / GiB / ((last - t0) / 1000), lost: n * w - delivered, over, short, stalled, w };
}

// ---------------------------------------------------------------- systems

const systems = [];
for (const b of BUILDS) {
  for (const pacing of ['fast', 'paranoid']) {
    const name = `f${systems.length}`;
    const srv = await startIosrv(dir, name, ['-d', ...(pacing === 'paranoid' ? ['-p'] : [])], { iosrv: b.iosrv });
    systems.push({ kind: 'io', label: `${b.label}${pacing === 'paranoid' ? ' -p' : ''}`, pacing, name, sock: srv.socket, srv, io: b.io });
  }
}
{
  const sock = join(dir, 'plain.sock');
  const child = spawn(process.execPath, [PLAIN_JS, 'server', sock], { env: envIn(dir), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('exit', () => reject(new Error('plain server exited')));
  });
  systems.push({ kind: 'plain', label: 'plain Node', pacing: 'lossless', sock, child });
}

// IO_BENCH_ONLY=REGEX: only the rows ("1000 raw", "1 proc") and systems ("io -p") that match, for profiling.
const only = process.env.IO_BENCH_ONLY ? new RegExp(process.env.IO_BENCH_ONLY) : null;
const results = []; // { n, kind, sys, runs: [] }
for (const spec of ROWS_SPEC) {
  const row = systems.filter((sys) => !only || only.test(`${spec.n} ${spec.kind} ${sys.label}`)).map((sys) => ({ ...spec, sys, runs: [] }));
  if (row.length === 0) continue;
  for (let r = 0; r < RUNS; r++) {
    for (const cell of row) {
      // Two stalls in a cell say enough: the rest of its runs are counted as stalled, not waited for.
      const stalls = cell.runs.filter((x) => x.stalled).length;
      cell.runs.push(stalls >= 2 ? { gibs: NaN, lost: 0, over: 0, short: 0, stalled: true, w: writeBytesFor(spec.n) } : await runOnce(cell.sys, spec.n, spec.kind));
    }
  }
  results.push(...row);
}

// ---------------------------------------------------------------- report

if (only) {
  for (const c of results) console.log(`${c.n} ${c.kind} ${c.sys.label}: ${c.runs.map((x) => fix(x.gibs)).join(' / ')} GiB/s`);
  await stopAll();
  finish();
}

const plainOf = (cell) => results.find((c) => c.n === cell.n && c.kind === cell.kind && c.sys.kind === 'plain');
const fig = (cell) => {
  const p = plainOf(cell);
  return {
    gibs: median(cell.runs.map((x) => x.gibs)),
    // round by round against plain Node's run of the same round
    toPlain: median(cell.runs.map((x, i) => x.gibs / p.runs[i].gibs)),
    lostPct: median(cell.runs.map((x) => (100 * x.lost) / (x.w * cell.n))),
    bad: cell.runs.some((x) => x.over > 0 || (cell.sys.pacing !== 'fast' && x.short > 0)),
    stalled: cell.runs.filter((x) => x.stalled).length,
  };
};

console.log(`## fan-out: one writer (64 KiB writes) → hub 1 of \`iosrv -d\` → N readers (median of ${RUNS})\n`);
console.log('Aggregate GiB/s delivered to all readers; "× plain" is against the plain Node broadcast server in the same round.\n');
const head = ['readers', 'reader', 'written each'];
for (const s of systems) head.push(`${s.label} GiB/s`, ...(s.kind === 'plain' ? [] : [`× plain`]));
head.push(...systems.filter((s) => s.pacing === 'fast').map((s) => `${s.label} lost`));
const rows = ROWS_SPEC.map((spec) => {
  const cells = results.filter((c) => c.n === spec.n && c.kind === spec.kind);
  const out = [spec.n, spec.kind === 'proc' ? (spec.n === 1 ? '`io read` process' : '`io read` processes') : 'raw socket', `${fix(writeBytesFor(spec.n) / MiB, 0)} MiB`];
  for (const c of cells) {
    const f = fig(c);
    const flag = f.stalled ? ` (${f.stalled} stalled)` : f.bad ? ' (count wrong!)' : '';
    out.push(`${fix(f.gibs)}${flag}`, ...(c.sys.kind === 'plain' ? [] : [fix(f.toPlain)]));
  }
  for (const c of cells.filter((c) => c.sys.pacing === 'fast')) out.push(`${fix(fig(c).lostPct, 1)} %`);
  return out;
});
console.log(table(head, rows));
console.log('\n"proc" readers for plain Node are `node bench/plain.js read` processes (connect, copy to stdout), the same shape as `io read`.');

/** GiB/s of 512 MiB through a shell pipeline from dd to dd, with `middle` (a command) between them or not; median of RUNS. */
function pipeGibs(middle) {
  const blocks = Math.max(16, Math.round((512 * MiB * SCALE) / (64 * KiB)));
  const bytes = blocks * 64 * KiB;
  const line = `dd if=/dev/zero bs=64K count=${blocks} status=none |${middle ? ` ${middle} |` : ''} dd of=/dev/null bs=64K iflag=fullblock status=none`;
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const done = spawnSync('sh', ['-c', line], { stdio: 'ignore' });
    if (done.status !== 0) return NaN;
    runs.push(bytes / GiB / ((performance.now() - t0) / 1000));
  }
  return median(runs);
}
const pipe = { alone: pipeGibs(null), relayed: pipeGibs('cat') };
console.log(`The pipe an \`io read\` process writes into, on this machine: ${fix(pipe.alone)} GiB/s from dd to dd, ${fix(pipe.relayed)} GiB/s with cat relaying between them.`);

// Goals, for this build.
const cellOf = (label, n, kind) => results.find((c) => c.sys.label === label && c.n === n && c.kind === kind);
console.log('');
for (const b of BUILDS) {
  const one = ['proc', 'raw'].map((k) => fig(cellOf(b.label, 1, k)));
  const hundred = fig(cellOf(`${b.label} -p`, 100, 'raw'));
  const hundredCell = cellOf(`${b.label} -p`, 100, 'raw');
  const nothingLost = !hundred.bad && hundred.stalled === 0 && hundredCell.runs.every((x) => x.lost === 0);
  console.log(`goal ${b.label}, one reader ≥ 1.5 GiB/s (fast): \`io read\` ${fix(one[0].gibs)} (a pipe relayed by cat: ${fix(pipe.relayed)}), raw ${fix(one[1].gibs)} ${met(one[0].gibs >= 1.5)} (\`io read\`) / ${met(one[1].gibs >= 1.5)} (raw)`);
  console.log(`goal ${b.label}, 100 readers ≥ 2 GiB/s total, paranoid, nothing lost: ${fix(hundred.gibs)}, ${nothingLost ? 'nothing lost' : 'LOST or stalled'} ${met(hundred.gibs >= 2 && nothingLost)}`);
}

// ---------------------------------------------------------------- chart

if (process.env.IO_BENCH_SVG !== '0' && SCALE === 1) {
  const series = systems.map((s) => ({
    label: s.label,
    points: [1, 10, 100, 1000].map((n) => ({ n, y: fig(cellOf(s.label, n, 'raw')).gibs })),
  }));
  const file = join(ROOT, 'docs/throughput.svg');
  writeFileSync(file, svg(series));
  console.log(`\nchart: ${file}`);
}

function svg(series) {
  const W = 640, H = 360, L = 60, R = 150, T = 48, B = 50;
  const ymax = Math.ceil(Math.max(...series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite), 1));
  const x = (n) => Number((L + (Math.log10(n) / 3) * (W - L - R)).toFixed(1));
  const y = (v) => Number((T + (1 - v / ymax) * (H - T - B)).toFixed(1));
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  const dashes = (s) => (s.label === 'plain Node' ? '6 4' : s.label.endsWith('-p') ? '2 3' : '');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="20" font-size="14">Fan-out: aggregate GiB/s delivered vs readers (64 KiB writes, raw socket readers)</text>`,
    `<text x="${L}" y="34" font-size="10" fill="#555">bench/fanout.js, median of ${RUNS}, ${new Date().toISOString().slice(0, 10)}, ${machine()}; a missing point: every run stalled</text>`,
  ];
  for (let v = 0; v <= ymax; v += ymax > 6 ? 2 : ymax > 3 ? 1 : 0.5) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`, `<text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  for (const n of [1, 10, 100, 1000]) parts.push(`<line x1="${x(n)}" x2="${x(n)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`, `<text x="${x(n)}" y="${H - B + 18}" text-anchor="middle">${n}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">readers (log scale)</text>`);
  parts.push(`<text x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">GiB/s, all readers</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.y));
    const c = colors[i % colors.length];
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" stroke-dasharray="${dashes(s)}" points="${pts.map((p) => `${x(p.n).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${c}"/>`);
    parts.push(`<line x1="${W - R + 12}" x2="${W - R + 36}" y1="${T + 10 + i * 20}" y2="${T + 10 + i * 20}" stroke="${c}" stroke-width="2" stroke-dasharray="${dashes(s)}"/>`, `<text x="${W - R + 42}" y="${T + 14 + i * 20}">${s.label}</text>`);
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

await stopAll();
finish();

async function stopAll() {
  for (const s of systems) {
    if (s.srv) await stopIosrv(s.srv);
    else s.child.kill('SIGTERM');
  }
}
