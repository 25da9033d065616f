// lib.js — what the process benches share: a scratch dir that cleans up after
// itself, starting iosrv and the peers, clients on a pty, /proc readings,
// medians and markdown tables.
//
// Every process a bench starts carries IOBENCH_SCRATCH=<its scratch dir> in
// its environment (and IO_DIR, TMUX_TMPDIR, dtach sockets point into that
// dir). cleanup() kills exactly those processes, by pid, found through
// /proc/PID/environ — the way test/helpers/iodir.ts finds a test's leftovers —
// then removes the dir. It runs on normal exit, on an uncaught error, on
// SIGINT/SIGTERM and when the bench's own deadline passes, so a failed run
// leaves no server behind.
//
// Not here: what is measured (each bench file), nor the order they run in (run.js).

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync, constants as fsc } from 'node:fs';
import net from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pty from 'node-pty';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const IO_JS = join(ROOT, 'dist/cli/io.js');
export const IOSRV_JS = join(ROOT, 'dist/cli/iosrv.js');
export const RELAY_JS = join(ROOT, 'bench/relay.js');
/** IO_BENCH_SCALE=0.1 shrinks sizes and counts, for a quick smoke run. */
export const SCALE = Number(process.env.IO_BENCH_SCALE) > 0 ? Number(process.env.IO_BENCH_SCALE) : 1;
/** IO_BENCH_RUNS overrides the number of runs a figure is the median of. */
export const RUNS = Number(process.env.IO_BENCH_RUNS) > 0 ? Math.floor(Number(process.env.IO_BENCH_RUNS)) : 3;
/**
 * IO_BENCH_ALT=DIR[:DIR2]: other built copies of io (checkouts with a change
 * applied) measured beside this one, in the same run, as io′ (and io″).
 */
export const ALT_ROOTS = (process.env.IO_BENCH_ALT ?? '').split(':').filter(Boolean);
/** The builds to measure: this one, and the alternatives when given. */
export const BUILDS = [{ label: 'io', root: ROOT }, ...ALT_ROOTS.map((root, i) => ({ label: `io${['′', '″', '‴'][i] ?? `(${i + 1})`}`, root }))].map((b) => ({
  ...b,
  io: join(b.root, 'dist/cli/io.js'),
  iosrv: join(b.root, 'dist/cli/iosrv.js'),
}));
/** IO_BENCH_PROF=DIR: iosrv and io clients run with --cpu-prof into DIR (see docs/performance.md). */
export const PROF_DIR = process.env.IO_BENCH_PROF || null;
/** Node flags for our own programs (profiling, when asked). */
export const NODE_FLAGS = PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] : [];
export const COLS = 80;
export const ROWS = 24;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
export const fix = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? (a / b).toFixed(2) : '–');

/** A markdown table. */
export function table(head, rows, align) {
  const al = align ?? head.map((_, i) => (i === 0 ? ':--' : '--:'));
  const lines = [`| ${head.join(' | ')} |`, `|${al.join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

export function met(ok) {
  return ok ? '**met**' : '**not met**';
}

/** Whether a program is on PATH (command -v). */
export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function machine() {
  const cpu = cpus()[0]?.model ?? '?';
  return `${cpus().length} CPU (${cpu.trim()}), ${Math.round(totalmem() / GiB)} GiB, node ${process.version}`;
}

// ---------------------------------------------------------------- scratch

const scratches = new Set();
const ptys = new Set();

/** Pids of live processes whose environment carries IOBENCH_SCRATCH=dir. */
export function processesIn(dir) {
  const needle = `IOBENCH_SCRATCH=${dir}\0`;
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (`${readFileSync(`/proc/${entry}/environ`, 'latin1')}\0`.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

function killAll(dir) {
  for (const pid of processesIn(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** A private 0700 dir under /tmp: IO_DIR, dtach sockets, tmux's TMUX_TMPDIR, data files. */
export function scratch(tag) {
  const dir = mkdtempSync(`/tmp/iob-${tag}-`);
  scratches.add(dir);
  return dir;
}

/** Kill what this dir's processes left and remove it (before the end of the bench). */
export function dropScratch(dir) {
  for (const p of ptys) {
    if (p.dir === dir) {
      p.close();
      ptys.delete(p);
    }
  }
  killAll(dir);
  rmSync(dir, { recursive: true, force: true });
  scratches.delete(dir);
}

export function cleanup() {
  for (const p of ptys) p.close();
  ptys.clear();
  for (const dir of scratches) {
    killAll(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  scratches.clear();
}

process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  console.error(`bench: ${err.stack ?? err}`);
  cleanup();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  console.error(`bench: ${err?.stack ?? err}`);
  cleanup();
  process.exit(1);
});

/** Done: every process of every scratch killed, then exit (node-pty's handles would keep us alive). */
export function finish(status = 0) {
  cleanup();
  process.exit(status);
}

/** Fail the whole bench file after ms: a stuck peer must not hang `npm run bench`. */
export function deadline(ms, what) {
  setTimeout(() => {
    console.error(`bench: ${what}: gave up after ${Math.round(ms / 1000)} s`);
    cleanup();
    process.exit(1);
  }, ms).unref();
}

/** The environment every child gets: the scratch marker, IO_DIR, a private tmux dir. */
export function envIn(dir, extra = {}) {
  const env = { ...process.env, IOBENCH_SCRATCH: dir, IO_DIR: dir, TMUX_TMPDIR: dir, TERM: 'xterm-256color', ...extra };
  delete env.TMUX;
  delete env.NODE_OPTIONS;
  return env;
}

/** Wait for cond() to be truthy, polling; throws after timeoutMs. */
export async function waitFor(cond, what, timeoutMs = 10_000, everyMs = 2) {
  const t0 = Date.now();
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------- servers

/**
 * iosrv in the foreground of a child process; resolves once it listens.
 * `node` may carry extra node flags (--cpu-prof …).
 */
export function startIosrv(dir, name, args, opts = {}) {
  const child = spawn(process.execPath, [...(opts.node ?? NODE_FLAGS), opts.iosrv ?? IOSRV_JS, '--ready-fd', '3', ...args, '--', name], {
    env: envIn(dir, opts.env),
    stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let said = '';
    child.stdio[3].on('data', (b) => {
      said += b.toString();
      if (!said.includes('\n')) return;
      child.stdio[3].destroy();
      if (said.startsWith('ready')) resolve({ pid: child.pid, child, socket: join(dir, name) });
      else reject(new Error(`iosrv: ${said.trim()}`));
    });
    child.on('exit', (code) => reject(new Error(`iosrv exited (${code}) before it listened: ${said.trim()}`)));
  });
}

/** Stop a server started by startIosrv: SIGTERM (quit), then SIGKILL; wait for the exit. */
export async function stopIosrv(srv, graceMs = 3000) {
  if (srv.child.exitCode !== null || srv.child.signalCode !== null) return;
  const gone = new Promise((resolve) => srv.child.once('exit', resolve));
  srv.child.kill('SIGTERM');
  const t = setTimeout(() => srv.child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}

/** bench/relay.js's server (the plain Node relay of a pty) for CMD; resolves with { sock, child } once it listens. */
export function startRelay(dir, tag, cmd) {
  const sock = join(dir, `${tag}.relay`);
  const child = spawn(process.execPath, [RELAY_JS, 'server', sock, cmd], { env: envIn(dir), stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve({ sock, child }));
    child.on('exit', (code) => reject(new Error(`relay server exited (${code}) before it listened`)));
  });
}

/** Run a program to its end; stdout as a string. */
export function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `io ctl NAME cmd…` through the built CLI. */
export function ioCtl(dir, name, ...cmds) {
  return run(process.execPath, [IO_JS, 'ctl', name, ...cmds], envIn(dir));
}

// ---------------------------------------------------------------- /proc

/** VmRSS of a process, in bytes. */
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function fdCount(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Pids (in this scratch) whose command line starts with argv0's basename. */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU seconds (user + system) a process has used; NaN once it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

export function pidsNamed(dir, name) {
  return processesIn(dir).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
    } catch {
      return false;
    }
  });
}

// ---------------------------------------------------------------- terminals

const HEAD_KEEP = 64 * 1024;

/**
 * A program on a pty (80x24), read as fast as node-pty can. Everything read is
 * counted; find() watches for a marker that may straddle two reads.
 */
export class Pty {
  constructor(dir, file, args, opts = {}) {
    this.dir = dir;
    this.bytes = 0;
    this.tail = '';
    /** The first HEAD_KEEP bytes read, as Latin-1 text (for markers printed before anyone watched). */
    this.head = '';
    this.watch = null;
    this.onChunk = null;
    this.exited = null;
    this.proc = pty.spawn(file, args, {
      name: 'xterm-256color',
      cols: opts.cols ?? COLS,
      rows: opts.rows ?? ROWS,
      cwd: dir,
      env: envIn(dir, opts.env),
      encoding: null,
    });
    ptys.add(this);
    // node-pty's typings say string; with encoding: null it is a Buffer.
    this.proc.onData((b) => {
      this.bytes += b.length;
      if (this.onChunk) this.onChunk(b);
      if (this.head.length < HEAD_KEEP) this.head += b.toString('latin1');
      if (this.watch) {
        const s = this.tail + b.toString('latin1');
        if (s.includes(this.watch.marker)) {
          const w = this.watch;
          this.watch = null;
          w.resolve(process.hrtime.bigint());
        }
        this.tail = s.slice(-64);
      }
    });
    this.proc.onExit(({ exitCode, signal }) => {
      this.exited = { exitCode, signal };
      if (this.watch) this.watch.reject(new Error(`${file} ${args.join(' ')} exited (${exitCode}, ${signal}) before '${this.watch.marker}'`));
    });
  }

  get pid() {
    return this.proc.pid;
  }

  /** Resolves with the hrtime at which marker arrived (counting from now: earlier bytes do not count). */
  find(marker, timeoutMs = 60_000) {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`exited before '${marker}' (${JSON.stringify(this.exited)}, head ${JSON.stringify(this.head.slice(-300))})`));
      const t = setTimeout(() => reject(new Error(`no '${marker}' in ${timeoutMs} ms (read ${this.bytes} bytes)`)), timeoutMs);
      this.tail = '';
      this.watch = {
        marker,
        resolve: (v) => {
          clearTimeout(t);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
    });
  }

  /** Like find(), but also true when the marker is already among the first bytes read. */
  seen(marker, timeoutMs) {
    if (this.head.includes(marker)) return Promise.resolve(process.hrtime.bigint());
    return this.find(marker, timeoutMs);
  }

  write(s) {
    this.proc.write(s);
  }

  close() {
    if (this.exited) return;
    try {
      this.proc.kill('SIGKILL');
    } catch {
      // gone
    }
  }

  async waitExit(timeoutMs = 10_000) {
    await waitFor(() => this.exited, 'pty exit', timeoutMs, 1);
    ptys.delete(this);
    return this.exited;
  }
}

/** Open a fifo for writing without blocking (the reader must be there), write, close. */
export async function pokeFifo(path, text = '\n') {
  for (let i = 0; ; i++) {
    try {
      const fd = openSync(path, fsc.O_WRONLY | fsc.O_NONBLOCK);
      writeSync(fd, text);
      closeSync(fd);
      return;
    } catch (err) {
      if (err.code !== 'ENXIO' || i > 5000) throw err;
      await sleep(1);
    }
  }
}

export function mkfifo(path) {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed`);
}

// ---------------------------------------------------------------- sockets

/** Connect to a Unix socket; a full accept queue (EAGAIN) is waited out, as a client would retry. */
export async function connect(path) {
  for (let i = 0; ; i++) {
    try {
      return await new Promise((resolve, reject) => {
        const s = net.connect(path);
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
    } catch (err) {
      if (err.code !== 'EAGAIN' || i > 4000) throw err;
      await sleep(5);
    }
  }
}

/** Write a text file of `bytes` bytes in 80-byte lines (79 printable characters and a newline). */
export function textFile(path, bytes) {
  const line = (i) => {
    const head = `${String(i).padStart(9, '0')} `;
    let body = '';
    for (let k = 0; body.length < 78 - head.length; k++) body += String.fromCharCode(97 + ((i * 7 + k * 3) % 26));
    return `${head}${body.slice(0, 78 - head.length)}.\n`;
  };
  const block = [];
  for (let i = 0; i < 4096; i++) block.push(line(i));
  const chunk = Buffer.from(block.join('')); // 320 KiB of lines
  const fd = openSync(path, 'w');
  let left = bytes;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    writeSync(fd, chunk, 0, n);
    left -= n;
  }
  closeSync(fd);
}
