// run.js — `npm run bench`: every bench file in turn, each in its own node.
//
// A bench is a plain ESM file here that imports the build (../dist) and
// prints a markdown section; a new one is a new line in BENCHES. Each runs as
// a child process so no bench's JIT, heap or open handles colour the next.
// `npm run bench -- hub` runs only the benches whose name contains "hub".
// Each bench is bounded (its own deadline, and BENCH_TIMEOUT_MS here), kills
// what it started (bench/lib.js), and says which peers it skipped.

import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const BENCHES = ['hub.js', 'fanout.js', 'pty.js', 'echo.js', 'memory.js', 'attach.js', 'churn.js', 'nats.js'];
const BENCH_TIMEOUT_MS = 300_000;

const filter = process.argv[2] ?? '';
const chosen = BENCHES.filter((name) => name.includes(filter));
if (chosen.length === 0) {
  console.error(`bench: nothing matches '${filter}' (benches: ${BENCHES.join(' ')})`);
  process.exit(2);
}

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`# io bench, ${new Date().toISOString()}\n`);
console.log(`machine: ${cpus().length} CPU (${cpus()[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; ` +
  `peers: ${['dtach', 'tmux'].map((p) => `${p} ${have(p) ? 'found' : 'NOT FOUND (skipped)'}`).join(', ')}; load average ${load()}\n`);

const t0 = Date.now();
let failed = 0;
for (const name of chosen) {
  const file = fileURLToPath(new URL(name, import.meta.url));
  const started = Date.now();
  const child = spawnSync(process.execPath, [file], { stdio: 'inherit', timeout: BENCH_TIMEOUT_MS, killSignal: 'SIGTERM' });
  if (child.status !== 0) {
    console.error(`bench: ${name} failed (${child.error?.code === 'ETIMEDOUT' ? `over ${BENCH_TIMEOUT_MS / 1000} s` : child.signal ?? `status ${child.status}`})`);
    failed++;
  }
  console.log(`\n(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s; load average ${load()})\n`);
}
console.log(`all: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (failed) process.exit(1);
