// echo.js — keystroke echo round trip through a pty session running a raw
// `cat`, from a client attached on a pty: io against dtach, tmux and the bare pty.
//
// Each peer's session runs `stty raw -echo; printf READY; exec cat` on a pty
// of 80x24. This process writes one byte ('x') into the client's pty master
// and times until an 'x' comes back on it; the next key goes 2 ms after the
// echo. KEYS keys a run; the figure is the median over runs of each run's p50
// and p99. The peers take turns run by run. tmux redraws rather than forwards,
// but a typed character is drawn at once, so its echo is comparable. The plain
// Node relay (bench/relay.js) is the floor for any Node program on this path.

import { join } from 'node:path';
import { BUILDS, NODE_FLAGS, Pty, RELAY_JS, RUNS, SCALE, deadline, envIn, finish, fix, have, median, met, quantile, run, scratch, sleep, startIosrv, startRelay, stopIosrv, table } from './lib.js';

const KEYS = Math.max(50, Math.round(1000 * SCALE));
const GAP_MS = 2;
const KEY = 'x';
deadline(150_000, 'echo');

const dir = scratch('echo');
const CAT = `stty raw -echo; printf READY; exec cat`;
const peers = [];
const skipped = [];
const servers = [];

peers.push({ name: 'bare pty', term: new Pty(dir, '/bin/sh', ['-c', CAT]) });
for (const b of BUILDS) {
  const tag = `e${servers.length}`;
  servers.push(await startIosrv(dir, tag, ['--pty', '-c', CAT], { iosrv: b.iosrv }));
  peers.push({ name: b.label, term: new Pty(dir, process.execPath, [...NODE_FLAGS, b.io, tag]), isIo: true });
}
const relay = await startRelay(dir, 'relay', CAT);
peers.push({ name: 'plain Node relay', term: new Pty(dir, process.execPath, [RELAY_JS, 'attach', relay.sock]), isRelay: true });
if (have('dtach')) {
  const sock = join(dir, 'dtach.sock');
  run('dtach', ['-n', sock, '-E', '-r', 'none', '/bin/sh', '-c', CAT], envIn(dir));
  peers.push({ name: 'dtach', term: new Pty(dir, 'dtach', ['-a', sock, '-E', '-r', 'none']), noBacklog: true });
} else skipped.push('dtach');
if (have('tmux')) {
  run('tmux', ['-L', 'iob', '-f', '/dev/null', 'new', '-d', '-x', '80', '-y', '24', CAT, ';', 'set', '-g', 'status', 'off'], envIn(dir));
  peers.push({ name: 'tmux', term: new Pty(dir, 'tmux', ['-L', 'iob', 'attach']) });
} else skipped.push('tmux');

for (const p of peers) if (!p.noBacklog) await p.term.seen('READY', 10_000);
await sleep(500);

/** One key: its round trip in µs. */
function trip(term) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no echo in 2 s')), 2000);
    let t0 = 0n;
    term.onChunk = (b) => {
      if (b.includes(KEY)) {
        const t1 = process.hrtime.bigint();
        term.onChunk = null;
        clearTimeout(t);
        resolve(Number(t1 - t0) / 1000);
      }
    };
    t0 = process.hrtime.bigint();
    term.write(KEY);
  });
}

async function runOnce(p) {
  const us = [];
  for (let i = 0; i < KEYS; i++) {
    us.push(await trip(p.term));
    await sleep(GAP_MS);
    // A line of x's fills the screen: start a fresh one now and then, out of the timing.
    if (i % 70 === 69) {
      p.term.write('\r\n');
      await sleep(5);
    }
  }
  return { p50: quantile(us, 0.5), p99: quantile(us, 0.99) };
}

for (const p of peers) {
  await runOnce({ term: p.term, name: p.name }).catch(() => {}); // warm-up
  p.runs = [];
}
for (let r = 0; r < RUNS; r++) for (const p of peers) p.runs.push(await runOnce(p));

const fig = Object.fromEntries(peers.map((p) => [p.name, { p50: median(p.runs.map((x) => x.p50)), p99: median(p.runs.map((x) => x.p99)) }]));
const roundRatio = (p, q) => (q ? median(p.runs.map((x, i) => x.p50 / q.runs[i].p50)) : NaN);
const dtach = peers.find((p) => p.name === 'dtach');
const bare = peers.find((p) => p.name === 'bare pty');
const floor = peers.find((p) => p.isRelay);

console.log(`## echo: ${KEYS} one-byte keys, ${GAP_MS} ms apart, through a raw \`cat\` on a pty (µs, median of ${RUNS})\n`);
console.log(table(
  ['peer', 'p50 µs', 'p99 µs', 'p50 × bare pty', 'p50 × dtach', 'p50 × plain Node relay'],
  peers.map((p) => [p.name, fix(fig[p.name].p50, 0), fix(fig[p.name].p99, 0), fix(roundRatio(p, bare)), fix(roundRatio(p, dtach)), fix(roundRatio(p, floor))]),
));
console.log(`\nruns (p50/p99 µs): ${peers.map((p) => `${p.name} ${p.runs.map((x) => `${fix(x.p50, 0)}/${fix(x.p99, 0)}`).join(' ')}`).join('; ')}`);
if (skipped.length) console.log(`\nskipped (not installed): ${skipped.join(', ')}`);
if (dtach) {
  console.log('');
  for (const p of peers.filter((q) => q.isIo)) console.log(`goal ${p.name} p50 ≤ 1.1 × dtach: ${fix(roundRatio(p, dtach))} ${met(roundRatio(p, dtach) <= 1.1)}`);
}

for (const p of peers) if (p.isIo || p.isRelay) p.term.write('\x1c');
await sleep(300);
for (const s of servers) await stopIosrv(s);
relay.child.kill();
finish();
