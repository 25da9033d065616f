// hub.js — bytes through one Hub to 1, 10 and 100 in-process readers.
//
// Each case writes fixed-size chunks (4 KiB, pty-sized; 64 KiB, socket-sized)
// into one hub and, after every write, lets every reader take everything, as
// the server's pumps do (take(): readers at the end when bytes came share the
// written Buffer itself; one behind gets a copy). Against it, in the same process, the baseline: the
// same chunks copied once per reader into a preallocated Buffer, the cost of
// handing each reader a copy of its own. Reported: MiB/s of bytes delivered,
// summed over readers, the median of RUNS runs, and hub/baseline. The hub and
// baseline runs alternate, and each case runs in a fresh child process, so
// one case's JIT and heap do not tilt the next. Absolute figures wander on a
// shared machine; compare the ratios of one run.
//
// Runs on the build: npm run build && node bench/hub.js (npm run bench does both).
// IO_BENCH_SCALE=0.1 shrinks every case, for a quick smoke run.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Hub } from '../dist/core/hub.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const RUNS = 5;
const SCALE = Number(process.env.IO_BENCH_SCALE) > 0 ? Number(process.env.IO_BENCH_SCALE) : 1;

// Bytes written per run, sized so that the slower of hub and baseline takes
// about 0.2–0.6 s on a 2-vCPU VM; a many-reader case writes less.
const CASES = [
  { readers: 1, writeBytes: 4 * KiB, totalBytes: 8 * GiB },
  { readers: 1, writeBytes: 64 * KiB, totalBytes: 12 * GiB },
  { readers: 10, writeBytes: 4 * KiB, totalBytes: 1 * GiB },
  { readers: 10, writeBytes: 64 * KiB, totalBytes: 2 * GiB },
  { readers: 100, writeBytes: 4 * KiB, totalBytes: 128 * MiB },
  { readers: 100, writeBytes: 64 * KiB, totalBytes: 256 * MiB },
];

function chunkOf(size) {
  const chunk = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) chunk[i] = (i * 131 + 7) & 0xff;
  return chunk;
}

/** One run through the hub: seconds and bytes delivered. */
function runHub(readers, writeBytes, writes) {
  const hub = new Hub(0);
  const outs = [];
  for (let i = 0; i < readers; i++) outs.push(hub.addOutput(`r${i}`));
  const chunk = chunkOf(writeBytes);
  let delivered = 0;
  const t0 = process.hrtime.bigint();
  for (let w = 0; w < writes; w++) {
    hub.write(chunk);
    for (let r = 0; r < outs.length; r++) {
      const { data, lostBytes } = hub.take(outs[r], Infinity);
      if (lostBytes !== 0) throw new Error(`bench: reader ${r} lost ${lostBytes} bytes`);
      delivered += data === null ? 0 : data.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (delivered !== writes * writeBytes * readers) throw new Error(`bench: hub delivered ${delivered} bytes`);
  return { seconds, delivered };
}

/** One run of the baseline: every chunk copied once per reader. */
function runCopy(readers, writeBytes, writes) {
  const dests = [];
  for (let i = 0; i < readers; i++) dests.push(Buffer.alloc(writeBytes));
  const chunk = chunkOf(writeBytes);
  let delivered = 0;
  const t0 = process.hrtime.bigint();
  for (let w = 0; w < writes; w++) {
    for (let r = 0; r < dests.length; r++) delivered += chunk.copy(dests[r], 0);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (delivered !== writes * writeBytes * readers) throw new Error(`bench: copy delivered ${delivered} bytes`);
  return { seconds, delivered };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mibs = ({ seconds, delivered }) => delivered / MiB / seconds;
const round = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
const size = (bytes) => (bytes >= GiB ? `${round(bytes / GiB)} GiB` : bytes >= MiB ? `${round(bytes / MiB)} MiB` : `${round(bytes / KiB)} KiB`);

/** Child: run one case, print its figures as one JSON line. */
function runCase(c) {
  const writes = Math.max(1, Math.round((c.totalBytes * SCALE) / c.writeBytes));
  const warm = Math.max(1, writes >> 4);
  runHub(c.readers, c.writeBytes, warm);
  runCopy(c.readers, c.writeBytes, warm);
  const hub = [];
  const copy = [];
  const seconds = [];
  for (let i = 0; i < RUNS; i++) {
    const h = runHub(c.readers, c.writeBytes, writes);
    hub.push(mibs(h));
    seconds.push(h.seconds);
    copy.push(mibs(runCopy(c.readers, c.writeBytes, writes)));
  }
  console.log(JSON.stringify({ hub: median(hub), copy: median(copy), seconds: median(seconds), written: writes * c.writeBytes }));
}

function main() {
  console.log(`## hub: one writer to N in-process readers (node ${process.version}, median of ${RUNS})\n`);
  console.log('| readers | write | written/run | hub MiB/s | copy MiB/s | hub/copy | hub s/run |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const [i, c] of CASES.entries()) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--case', String(i)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) {
      console.error(`bench: hub case ${i} failed (status ${child.status})`);
      process.exit(1);
    }
    const r = JSON.parse(child.stdout);
    const cells = [c.readers, size(c.writeBytes), size(r.written), r.hub.toFixed(0), r.copy.toFixed(0), (r.hub / r.copy).toFixed(2), r.seconds.toFixed(2)];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

const at = process.argv.indexOf('--case');
if (at === -1) main();
else runCase(CASES[Number(process.argv[at + 1])]);
