// nats.js — many readers of one hub: straight from iosrv, or through NATS.
//
// The claim (docs/scale.md): with --nats, iosrv's cost no longer grows with
// its readers. A writer puts 4 KiB chunks into hub 1 of a -d server at a
// steady pace; R readers take them, either as framed clients of iosrv (what
// `io read NAME 1` is) or as NATS JetStream readers (what `io read
// nats://…/NAME/1` is: a connection and an ordered consumer each) through one
// nats-server that iosrv mirrors hub 1 into. Readers live in a few worker
// processes. Measured over a window after a warm-up, in the same run for both
// paths and for R = 10 and 1000: iosrv's CPU (of one core) and peak RSS, the
// same for nats-server, MiB/s delivered to all readers together, bytes lost
// (gap notices), and the latency from the writer's write to a reader's data
// event, p50 and p99 over every (reader, chunk).
//
// The pace is fixed, not flat out, so that the paths are compared at the same
// offered load; "delivered" says whether a path kept up with it.
//
// Runs on the build: npm run build && node bench/nats.js (npm run bench runs it
// once run.js lists it). IO_BENCH_SCALE=0.1 shortens the window and the reader
// counts; IO_BENCH_NATS_READERS=10,100,1000 picks the counts;
// IO_BENCH_NATS_RATE=chunks/s sets the pace.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MiB, SCALE, cpuSeconds, deadline, dropScratch, envIn, finish, fix, machine, met, rssBytes, scratch, sleep, startIosrv, stopIosrv, table, waitFor } from './lib.js';

const CHUNK_BYTES = 4096;
const RATE = Number(process.env.IO_BENCH_NATS_RATE) > 0 ? Number(process.env.IO_BENCH_NATS_RATE) : 25;
const READERS = (process.env.IO_BENCH_NATS_READERS ?? (SCALE < 1 ? '10,100' : '10,1000')).split(',').map(Number);
const WORKERS = 4;
const WARM_MS = Number(process.env.IO_BENCH_NATS_WARM_MS) || 2000;
const WINDOW_MS = Math.max(2000, Math.round(8000 * SCALE));
const NATS_SERVER = process.env.NATS_SERVER ?? '/usr/sbin/nats-server';
const NAME = 'fan';

/** Monotonic µs, the same clock in every process on the machine (CLOCK_MONOTONIC). */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** nats-server with JetStream on a loopback port, its store in dir; resolves once ready. */
async function startNats(dir) {
  const port = await freePort();
  const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'store')], { env: envIn(dir), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (b) => (log += b));
  child.stderr.on('data', (b) => (log += b));
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`nats-server exited: ${log}`);
    return log.includes('Server is ready');
  }, 'nats-server', 10_000, 20);
  return { child, pid: child.pid, url: `nats://127.0.0.1:${port}` };
}

/** One framed `ctl` exchange over the raw first-line protocol: the reply text. */
function rawCtl(sock, command) {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock);
    let text = '';
    s.on('error', reject);
    s.on('data', (b) => (text += b));
    s.on('close', () => resolve(text));
    s.on('connect', () => s.end(`ctl\n${command}\n`));
  });
}

/** Readers in worker processes; resolves once every reader is in place. */
async function startReaders(dir, path, readers, target) {
  const workers = [];
  const per = Math.ceil(readers / WORKERS);
  for (let left = readers; left > 0; left -= per) {
    const n = Math.min(per, left);
    const w = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', path, String(n), JSON.stringify(target)], { env: envIn(dir), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = new Promise((resolve, reject) => {
      w.once('message', (m) => (m.type === 'ready' ? resolve() : reject(new Error(m.error))));
      w.once('exit', (code) => reject(new Error(`bench worker exited (${code})`)));
    });
    workers.push({ w, n, ready });
  }
  await Promise.all(workers.map((x) => x.ready));
  return workers;
}

function ask(worker, type) {
  return new Promise((resolve) => {
    worker.w.once('message', resolve);
    worker.w.send({ type });
  });
}

/** One case: a fresh iosrv (and nats-server), R readers, a paced writer; the figures. */
async function runCase(path, readers) {
  const dir = scratch('nats');
  let nats = null;
  const args = ['-d'];
  if (path === 'nats') {
    nats = await startNats(dir);
    args.push('--nats', nats.url, '--nats-hubs', '1');
  }
  const srv = await startIosrv(dir, NAME, args);
  const target = path === 'nats' ? { servers: [nats.url], name: NAME } : { name: NAME, ioDir: dir };
  const workers = await startReaders(dir, path, readers, target);
  if (path === 'direct') {
    const outputs = async () => Number(/^hub 1: .*outputs (\d+)/m.exec(await rawCtl(srv.socket, 'status'))?.[1] ?? 0);
    await waitFor(async () => (await outputs()) >= readers, 'every reader on hub 1', 60_000, 50);
  } else {
    const nc = await connect({ servers: [nats.url] });
    const jsm = await jetstreamManager(nc);
    await waitFor(async () => (await jsm.streams.info(`io_${NAME}`)).state.consumer_count >= readers, 'every reader\'s consumer', 60_000, 50);
    await nc.close();
  }

  // The writer: a raw `write 1` connection, one chunk every 1000/RATE ms, on a schedule that does not drift.
  const sock = await new Promise((resolve, reject) => {
    const s = net.connect(srv.socket, () => resolve(s));
    s.once('error', reject);
  });
  sock.write('write 1\n');
  const chunk = Buffer.alloc(CHUNK_BYTES, 0x61);
  const sentUs = [];
  const t0 = nowUs();
  const everyUs = 1e6 / RATE;
  let isWriting = true;
  const writing = (async () => {
    while (isWriting) {
      const due = t0 + sentUs.length * everyUs;
      const wait = (due - nowUs()) / 1000;
      if (wait > 0) await sleep(wait);
      sentUs.push(nowUs());
      sock.write(chunk);
    }
  })();

  await sleep(WARM_MS);
  const firstChunk = sentUs.length;
  for (const x of workers) await ask(x, 'mark');
  const readersCpu = () => workers.reduce((sum, x) => sum + cpuSeconds(x.w.pid), 0);
  const cpu0 = { io: cpuSeconds(srv.pid), nats: nats ? cpuSeconds(nats.pid) : 0, readers: readersCpu() };
  const w0 = nowUs();
  let rssIo = 0;
  let rssNats = 0;
  const sampler = setInterval(() => {
    rssIo = Math.max(rssIo, rssBytes(srv.pid));
    if (nats) rssNats = Math.max(rssNats, rssBytes(nats.pid));
  }, 100);
  await sleep(WINDOW_MS);
  const seconds = (nowUs() - w0) / 1e6;
  const cpu1 = { io: cpuSeconds(srv.pid), nats: nats ? cpuSeconds(nats.pid) : 0, readers: readersCpu() };
  const lastChunk = sentUs.length;
  clearInterval(sampler);
  for (const x of workers) await ask(x, 'end');
  // let the last chunks of the window arrive before asking
  await sleep(1000);
  isWriting = false;
  await writing;
  const reports = [];
  for (const x of workers) reports.push(await ask(x, 'report'));

  const latencies = [];
  let bytes = 0;
  let lost = 0;
  for (const r of reports) {
    bytes += r.bytes;
    lost += r.lost;
    for (const arrivals of r.arrivals) {
      for (let c = firstChunk; c < lastChunk; c++) {
        const at = arrivals[c];
        if (at !== undefined && at !== null) latencies.push((at - sentUs[c]) / 1000);
      }
    }
  }
  latencies.sort((a, b) => a - b);
  const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
  const expected = readers * (lastChunk - firstChunk);
  const result = {
    path,
    readers,
    ioCpu: (100 * (cpu1.io - cpu0.io)) / seconds,
    ioRss: rssIo / MiB,
    natsCpu: nats ? (100 * (cpu1.nats - cpu0.nats)) / seconds : NaN,
    natsRss: nats ? rssNats / MiB : NaN,
    readersCpu: (100 * (cpu1.readers - cpu0.readers)) / seconds,
    mibs: bytes / MiB / seconds,
    offered: (readers * RATE * CHUNK_BYTES) / MiB,
    lost,
    missing: expected - latencies.length,
    p50: q(0.5),
    p99: q(0.99),
  };

  sock.destroy();
  for (const x of workers) x.w.kill('SIGKILL');
  await stopIosrv(srv);
  if (nats) nats.child.kill('SIGKILL');
  dropScratch(dir);
  return result;
}

async function main() {
  deadline(15 * 60_000, 'nats');
  console.log(`## nats: one hub to many readers, straight from iosrv or through one nats-server\n`);
  console.log(`${machine()}; ${CHUNK_BYTES / 1024} KiB chunks at ${RATE}/s into hub 1, ${WARM_MS / 1000} s warm-up, ${WINDOW_MS / 1000} s measured.`);
  console.log(`CPU is % of one core over the window; RSS is the peak. Latency: write to a reader's data event.\n`);
  const results = [];
  for (const readers of READERS) {
    for (const path of ['direct', 'nats']) {
      const r = await runCase(path, readers);
      results.push(r);
    }
  }
  const rows = results.map((r) => [
    r.path === 'direct' ? 'iosrv' : 'NATS',
    r.readers,
    fix(r.ioCpu, 1),
    fix(r.ioRss, 0),
    fix(r.natsCpu, 1),
    fix(r.natsRss, 0),
    fix(r.readersCpu, 0),
    `${fix(r.mibs, 1)} / ${fix(r.offered, 1)}`,
    r.lost,
    fix(r.p50, 2),
    fix(r.p99, 2),
  ]);
  console.log(table(['readers via', 'readers', 'iosrv CPU %', 'iosrv RSS MiB', 'nats-server CPU %', 'nats-server RSS MiB', 'readers CPU %', 'delivered / offered MiB/s', 'lost bytes', 'p50 ms', 'p99 ms'], rows));

  const lo = Math.min(...READERS);
  const hi = Math.max(...READERS);
  const at = (path, readers) => results.find((r) => r.path === path && r.readers === readers);
  if (lo !== hi) {
    const direct = at('direct', hi).ioCpu / Math.max(at('direct', lo).ioCpu, 0.1);
    const viaNats = at('nats', hi).ioCpu / Math.max(at('nats', lo).ioCpu, 0.1);
    console.log(`\niosrv CPU from ${lo} to ${hi} readers: ×${fix(direct, 1)} straight, ×${fix(viaNats, 1)} through NATS.`);
    console.log(`Claim — with NATS, iosrv's cost does not grow with readers (×1.5 or less from ${lo} to ${hi}): ${met(viaNats <= 1.5)}`);
  }
}

// ---------------------------------------------------------------- worker

/** Worker: n readers of hub 1; records when each chunk's first byte reached each reader. */
async function worker(path, n, target) {
  const readers = [];
  const onData = (r, bytes) => {
    const t = nowUs();
    const end = r.pos + bytes.length;
    for (let b = Math.ceil(r.pos / CHUNK_BYTES) * CHUNK_BYTES; b < end; b += CHUNK_BYTES) r.arrivals[b / CHUNK_BYTES] = t;
    r.pos = end;
    r.bytes += bytes.length;
  };
  const onGap = (r, lost) => {
    r.pos += lost;
    r.lost += lost;
  };
  if (path === 'direct') {
    const { attach } = await import('../dist/client/connect.js');
    for (let i = 0; i < n; i++) {
      const r = { pos: 0, bytes: 0, lost: 0, arrivals: [] };
      const client = await attach(target.name, { ioDir: target.ioDir });
      client.on({ data: (_h, b) => onData(r, b), gap: (_h, lost) => onGap(r, lost) });
      client.subscribe(1);
      readers.push(r);
    }
  } else {
    const { natsConnect, followHub } = await import('../dist/client/nats.js');
    for (let i = 0; i < n; i++) {
      const r = { pos: 0, bytes: 0, lost: 0, arrivals: [] };
      const nc = await natsConnect(target);
      void followHub(nc, target.name, 1, { data: (b) => onData(r, b), gap: (lost) => onGap(r, lost), eof: () => {} });
      readers.push(r);
    }
  }
  const total = () => readers.reduce((s, r) => s + r.bytes, 0);
  let marked = 0;
  let ended = 0;
  process.on('message', (m) => {
    if (m.type === 'mark') {
      marked = total();
      process.send({ type: 'marked' });
    } else if (m.type === 'end') {
      ended = total();
      process.send({ type: 'ended' });
    } else if (m.type === 'report') {
      const bytes = ended - marked;
      const lost = readers.reduce((s, r) => s + r.lost, 0);
      process.send({ type: 'report', bytes, lost, arrivals: readers.map((r) => r.arrivals) });
    }
  });
  process.send({ type: 'ready' });
}

const at = process.argv.indexOf('--worker');
if (at === -1) {
  main().then(
    () => finish(0),
    (err) => {
      console.error(`bench: nats: ${err.stack ?? err}`);
      finish(1);
    },
  );
} else {
  const [path, n, target] = process.argv.slice(at + 1);
  worker(path, Number(n), JSON.parse(target)).catch((err) => {
    process.send?.({ type: 'error', error: String(err.stack ?? err) });
    process.exit(1);
  });
}
