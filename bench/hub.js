// hub.js — bytes through one Hub to 1, 10 and 100 in-process readers.
//
// Each case writes fixed-size chunks (4 KiB, pty-sized; 64 KiB, socket-sized)
// into one hub and, after every write, lets every reader take everything as
// views (take(), no copy). Against it, in the same run, the baseline: the
// same bytes copied once per reader into a preallocated Buffer, which is
// what handing each reader its own copy would cost. Reported: MiB/s of bytes
// delivered, summed over readers, median of RUNS runs, and hub/baseline.
// Absolute figures wander between runs on a shared machine; the ratio is
// the number to compare.
//
// Runs on the build: npm run build && node bench/hub.js (npm run bench does both).
// IO_BENCH_SCALE=0.1 shrinks every case (a quick smoke run).

import { Hub } from '../dist/core/hub.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const RUNS = 5;
const SCALE = Number(process.env.IO_BENCH_SCALE) > 0 ? Number(process.env.IO_BENCH_SCALE) : 1;

// Bytes written per case: 256 MiB for one reader, scaled down as readers and
// small writes make a run dearer, so each run takes about 0.3–1 s here.
const CASES = [
  { readers: 1, writeBytes: 4 * KiB, totalBytes: 256 * MiB },
  { readers: 1, writeBytes: 64 * KiB, totalBytes: 256 * MiB },
  { readers: 10, writeBytes: 4 * KiB, totalBytes: 64 * MiB },
  { readers: 10, writeBytes: 64 * KiB, totalBytes: 128 * MiB },
  { readers: 100, writeBytes: 4 * KiB, totalBytes: 8 * MiB },
  { readers: 100, writeBytes: 64 * KiB, totalBytes: 32 * MiB },
];

function chunkOf(size) {
  const chunk = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) chunk[i] = (i * 131 + 7) & 0xff;
  return chunk;
}

/** One run through the hub; returns { seconds, delivered }. */
function runHub({ readers, writeBytes, totalBytes }) {
  const hub = new Hub(0);
  const outs = [];
  for (let i = 0; i < readers; i++) outs.push(hub.addOutput(`r${i}`));
  const chunk = chunkOf(writeBytes);
  const writes = Math.max(1, Math.round((totalBytes * SCALE) / writeBytes));
  let delivered = 0;
  const t0 = process.hrtime.bigint();
  for (let w = 0; w < writes; w++) {
    hub.write(chunk);
    for (let r = 0; r < outs.length; r++) {
      const { chunks, lostBytes } = hub.take(outs[r], Infinity);
      if (lostBytes !== 0) throw new Error(`bench: reader ${r} lost ${lostBytes} bytes`);
      for (let c = 0; c < chunks.length; c++) delivered += chunks[c].length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (delivered !== writes * writeBytes * readers) throw new Error(`bench: delivered ${delivered} bytes`);
  return { seconds, delivered };
}

/** One run of the baseline: each chunk copied once per reader. */
function runCopy({ readers, writeBytes, totalBytes }) {
  const dests = [];
  for (let i = 0; i < readers; i++) dests.push(Buffer.alloc(writeBytes));
  const chunk = chunkOf(writeBytes);
  const writes = Math.max(1, Math.round((totalBytes * SCALE) / writeBytes));
  let delivered = 0;
  const t0 = process.hrtime.bigint();
  for (let w = 0; w < writes; w++) {
    for (let r = 0; r < dests.length; r++) delivered += chunk.copy(dests[r], 0);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (delivered !== writes * writeBytes * readers) throw new Error(`bench: copied ${delivered} bytes`);
  return { seconds, delivered };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mibs = ({ seconds, delivered }) => delivered / MiB / seconds;
const size = (bytes) => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`);

console.log(`## hub: one writer to N in-process readers (node ${process.version}, median of ${RUNS})\n`);
console.log('| readers | write | written/run | hub MiB/s | copy MiB/s | hub/copy | hub s/run |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const c of CASES) {
  runHub({ ...c, totalBytes: c.totalBytes / 16 }); // warm up the JIT on this shape
  runCopy({ ...c, totalBytes: c.totalBytes / 16 });
  const hub = [];
  const copy = [];
  const secs = [];
  for (let i = 0; i < RUNS; i++) {
    const h = runHub(c);
    hub.push(mibs(h));
    secs.push(h.seconds);
    copy.push(mibs(runCopy(c)));
  }
  const h = median(hub);
  const b = median(copy);
  console.log(
    `| ${c.readers} | ${size(c.writeBytes)} | ${size(Math.round(c.totalBytes * SCALE))} | ${h.toFixed(0)} | ${b.toFixed(0)} | ${(h / b).toFixed(2)} | ${median(secs).toFixed(2)} |`,
  );
}
