// pty.js — text made inside a pty session, to one attached client on a pty:
// io against dtach, tmux and the bare pty, in one run.
//
// Every peer runs the same loop on a pty of 80x24:
//   printf READY; while read f m < FIFO; do cat "$f"; printf '%s\n' "$m"; done
// and one client is attached from a pty whose master this process reads as
// fast as node-pty can (io NAME, dtach -a, tmux attach; the bare pty has no
// client: its own master is read). A run writes "FILE MARKER" into the fifo and
// times from that write to the marker on the client's terminal. The peers are
// set up once and their runs interleave, so a noisy moment hits them alike.
//
// tmux parses into a grid and redraws instead of forwarding (PEERS.md): its
// figure is its parse rate, and its client sees a fraction of the bytes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILDS, COLS, MiB, Pty, RELAY_JS, ROWS, RUNS, SCALE, cpuSeconds, deadline, envIn, NODE_FLAGS, finish, fix, have, median, met, mkfifo, pidsNamed, pokeFifo, run, scratch, sleep, startIosrv, startRelay, stopIosrv, table, textFile } from './lib.js';

const FILE_BYTES = Math.round((64 * MiB * SCALE) / 80) * 80;
const WARM_BYTES = Math.min(FILE_BYTES, 4 * MiB);
const RUN_TIMEOUT_MS = 20_000;
const PTY_RUNS = Math.max(RUNS, 5);
deadline(150_000, 'pty');

const dir = scratch('pty');
const big = join(dir, 'big.txt');
const warm = join(dir, 'warm.txt');
textFile(big, FILE_BYTES);
textFile(warm, WARM_BYTES);

/** The loop for one peer, with its own fifo (a fifo's writer ends every reader's read). */
function loopFor(tag) {
  const fifo = join(dir, `${tag}.fifo`);
  const loop = join(dir, `${tag}.sh`);
  mkfifo(fifo);
  writeFileSync(loop, `printf 'READY\\n'\nwhile read f m < ${fifo}; do cat "$f"; printf '%s\\n' "$m"; done\n`, { mode: 0o755 });
  return { fifo, loop };
}

const peers = [];
const skipped = [];

// The bare pty: the loop on node-pty, its master read here.
let l = loopFor('bare');
peers.push({ name: 'bare pty', fifo: l.fifo, term: new Pty(dir, '/bin/sh', [l.loop]) });

// io: a pty session, attached with `io NAME` on a pty; fast (default) and paranoid (-p).
const servers = [];
for (const b of BUILDS) {
  for (const mode of ['', '-p']) {
    const tag = `io${BUILDS.indexOf(b)}${mode}`;
    l = loopFor(tag);
    const srv = await startIosrv(dir, tag, ['--pty', ...(mode ? [mode] : []), '-c', `/bin/sh ${l.loop}`], { iosrv: b.iosrv });
    servers.push(srv);
    const term = new Pty(dir, process.execPath, [...NODE_FLAGS, b.io, tag]);
    peers.push({ name: `${b.label}${mode ? ` ${mode}` : ''}`, fifo: l.fifo, term, isIo: true, pids: () => [srv.pid, term.pid] });
  }
}

// The Node floor: a plain Node relay of the pty over a Unix socket, and its client (bench/relay.js).
l = loopFor('relay');
const relay = await startRelay(dir, 'relay', `/bin/sh ${l.loop}`);
const relayTerm = new Pty(dir, process.execPath, [RELAY_JS, 'attach', relay.sock]);
peers.push({ name: 'plain Node relay', fifo: l.fifo, term: relayTerm, isRelay: true, pids: () => [relay.child.pid, relayTerm.pid] });

if (have('dtach')) {
  const sock = join(dir, 'dtach.sock');
  l = loopFor('dtach');
  run('dtach', ['-n', sock, '-E', '-r', 'none', '/bin/sh', l.loop], envIn(dir));
  const term = new Pty(dir, 'dtach', ['-a', sock, '-E', '-r', 'none']);
  peers.push({ name: 'dtach', fifo: l.fifo, term, noBacklog: true, pids: () => [pidsNamed(dir, 'dtach').find((pid) => pid !== term.pid), term.pid] });
} else skipped.push('dtach');

if (have('tmux')) {
  const env = envIn(dir);
  l = loopFor('tmux');
  run('tmux', ['-L', 'iob', '-f', '/dev/null', 'new', '-d', '-x', String(COLS), '-y', String(ROWS), `/bin/sh ${l.loop}`, ';', 'set', '-g', 'status', 'off'], env);
  const term = new Pty(dir, 'tmux', ['-L', 'iob', 'attach']);
  peers.push({ name: 'tmux', fifo: l.fifo, term, pids: () => [pidsNamed(dir, 'tmux: server')[0], term.pid] });
} else skipped.push('tmux');

// Attached: the loop's READY on each client's screen (dtach keeps no backlog: give it a moment).
for (const p of peers) {
  if (p.noBacklog) continue;
  await p.term.seen('READY', 10_000);
}
await sleep(300);

let seq = 0;
/** One run: FILE into the fifo, time to the marker. A peer that stops (io -p can: see performance.md) is marked stalled. */
async function once(p, file, bytes) {
  if (p.stalled) return { mibs: NaN, s: NaN, clientBytes: NaN };
  const marker = `IOB-END-${process.pid}-${++seq}`;
  const before = p.term.bytes;
  const pids = p.pids?.() ?? [];
  const cpu0 = pids.map(cpuSeconds);
  const seen = p.term.find(marker, RUN_TIMEOUT_MS);
  const t0 = process.hrtime.bigint();
  await pokeFifo(p.fifo, `${file} ${marker}\n`);
  try {
    const t1 = await seen;
    const s = Number(t1 - t0) / 1e9;
    const cpuMs = pids.map((pid, i) => 1000 * (cpuSeconds(pid) - cpu0[i]));
    return { mibs: bytes / MiB / s, s, clientBytes: p.term.bytes - before, serverMs: cpuMs[0] ?? NaN, clientMs: cpuMs[1] ?? NaN };
  } catch (err) {
    p.stalled = `stalled after ${fix((p.term.bytes - before) / MiB, 1)} MiB (${err.message.replace(/ \(.*/, '')})`;
    return { mibs: NaN, s: NaN, clientBytes: NaN };
  }
}

// IO_BENCH_ONLY=REGEX: only the peers whose name matches (for profiling one).
if (process.env.IO_BENCH_ONLY) {
  const only = new RegExp(process.env.IO_BENCH_ONLY);
  for (let i = peers.length - 1; i >= 0; i--) if (!only.test(peers[i].name) && !['bare pty', 'dtach', 'plain Node relay'].includes(peers[i].name)) peers.splice(i, 1);
}
for (const p of peers) {
  await once(p, warm, WARM_BYTES);
  p.runs = [];
}
for (let r = 0; r < PTY_RUNS; r++) {
  for (const p of peers) {
    p.runs.push(await once(p, big, FILE_BYTES));
    await sleep(100);
  }
}

// Ratios are taken round by round (each peer's run against dtach's and the bare
// pty's of the same round), then the median: a slow moment of a shared machine
// hits one round, not one peer.
const byName = Object.fromEntries(peers.map((p) => [p.name, p]));
const roundRatio = (p, q) => (q ? median(p.runs.map((x, r) => x.mibs / q.runs[r].mibs)) : NaN);
const fig = Object.fromEntries(peers.map((p) => [p.name, {
  mibs: median(p.runs.map((x) => x.mibs)),
  s: median(p.runs.map((x) => x.s)),
  seen: median(p.runs.map((x) => x.clientBytes)),
  toBare: roundRatio(p, byName['bare pty']),
  toDtach: roundRatio(p, byName['dtach']),
  toRelay: roundRatio(p, byName['plain Node relay']),
  serverMs: median(p.runs.map((x) => x.serverMs)),
  clientMs: median(p.runs.map((x) => x.clientMs)),
}]));

console.log(`## pty: ${fix(FILE_BYTES / MiB, 0)} MiB of text, session → one attached client on a pty (${COLS}x${ROWS}, median of ${PTY_RUNS})\n`);
console.log(table(
  ['peer', 'MiB/s', 's/run', 'client saw', '× bare pty', '× dtach', '× plain Node relay', 'server CPU ms/run', 'client CPU ms/run'],
  peers.map((p) => {
    const f = fig[p.name];
    if (p.stalled && !Number.isFinite(f.mibs)) return [p.name, p.stalled, '–', '–', '–', '–', '–', '–', '–'];
    return [p.name, `${fix(f.mibs, 1)}${p.stalled ? ` (then ${p.stalled})` : ''}`, fix(f.s, 2), `${fix((100 * f.seen) / FILE_BYTES, 1)} %`, fix(f.toBare), fix(f.toDtach), fix(f.toRelay), fix(f.serverMs, 0), fix(f.clientMs, 0)];
  }),
));
console.log(`\nruns (MiB/s): ${peers.map((p) => `${p.name} ${p.runs.map((x) => fix(x.mibs, 1)).join('/')}`).join('; ')}`);
if (skipped.length) console.log(`\nskipped (not installed): ${skipped.join(', ')}`);
if (byName['dtach']) {
  console.log('');
  for (const name of Object.keys(fig).filter((n) => n.startsWith('io'))) {
    const f = fig[name];
    const lossless = f.seen >= FILE_BYTES;
    const why = byName[name].stalled ? ` (${byName[name].stalled})` : lossless ? '' : ' (its client lost bytes: fast mode skipped what the terminal could not take)';
    console.log(`goal ${name} ≥ 0.97 × dtach: ${fix(f.toDtach)} ${met(f.toDtach >= 0.97 && lossless && !byName[name].stalled)}${why}`);
  }
}
console.log('\n"client saw": bytes on the client\'s terminal / bytes the session wrote (the pty adds a \\r per line: 101.2 % is all of it).');
console.log('CPU ms/run: user + system time of the peer\'s server (iosrv, the relay, the dtach master, the tmux server) and of its attached client during a run.');

// The io clients leave first (Ctrl-\\), so a profile of either is written on a clean exit.
for (const p of peers) if (p.isIo || p.isRelay) p.term.write('\x1c');
await sleep(300);
for (const srv of servers) await stopIosrv(srv);
relay.child.kill();
finish();
