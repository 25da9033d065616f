// server.ts — a real iosrv child in a temp IO_DIR, and the clients tests use on it.
//
// startIosrv() spawns `node dist/cli/iosrv.js [args] NAME` with IO_DIR set and
// returns once the socket answers a raw `ctl` status (or throws with the
// server's stderr when it exits first). The raw helpers speak the first-line
// protocol with node:net only, as socat would: rawCtl (one command, one
// reply), RawReader (`read N`, hashed, optionally throttled), rawWrite
// (`write N`, with backpressure). The /proc helpers tell gone from zombie and
// count a process's fds. Everything started here is undone by the scope.

import { createHash, type Hash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { attach } from '../../src/client/connect.js';
import type { Client } from '../../src/client/client.js';
import { spawnIo } from './bin.js';
import type { ChildProcess } from 'node:child_process';
import { envIn, tmpIoDir } from './iodir.js';
import type { Scope } from './scope.js';
import { waitFor } from './until.js';

export interface IoServer {
  name: string;
  dir: string;
  sock: string;
  child: ChildProcess;
  pid: number;
  /** What the server has written on stderr so far (its log, with no -l). */
  stderr(): string;
  /** Resolves when the server process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Watch a child's end from the moment it is spawned. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Start iosrv and wait until its socket answers. */
export async function startIosrv(scope: Scope, args: string[], o: { name?: string; dir?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<IoServer> {
  const name = o.name ?? 'sess';
  const dir = o.dir ?? tmpIoDir(scope);
  const child = spawnIo(scope, 'iosrv', [...args, name], envIn(dir, o.env));
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  child.stdout!.resume();
  const exited = exitOf(child);
  let gone = false;
  void exited.then(() => (gone = true));
  const sock = join(dir, name);
  await waitFor(
    async () => {
      if (gone) throw new Error(`iosrv ${args.join(' ')} ${name} exited early: ${err}`);
      return existsSync(sock) && (await rawCtl(sock, 'status', 1000)).startsWith(`io ${name}:`);
    },
    { timeoutMs: o.timeoutMs ?? 8000, what: `iosrv ${name} to answer` },
  );
  return { name, dir, sock, child, pid: child.pid!, stderr: () => err, exited };
}

/** A connected raw socket whose first line has been sent. */
export function rawConnect(sock: string, firstLine: string): Promise<net.Socket> {
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

/** One command over a raw `ctl` connection; the whole reply (which may span lines). */
export async function rawCtl(sock: string, command: string, timeoutMs = 5000): Promise<string> {
  const s = await rawConnect(sock, 'ctl');
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`ctl ${command}: no reply in ${timeoutMs} ms (so far: ${text})`));
    }, timeoutMs);
    s.on('data', (b: Buffer) => (text += b.toString()));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(text.replace(/\n$/, ''));
    });
    // the server answers, sees our end, and closes: the reply is all there is
    s.end(`${command}\n`);
  });
}

/** A framed client (the client library), closed on cleanup. */
export async function framed(scope: Scope, srv: IoServer): Promise<Client> {
  const client = await attach(srv.name, { ioDir: srv.dir });
  scope.defer(() => client.close());
  return client;
}

export interface Throttle {
  /** Bytes allowed per tick. */
  bytesPerTick: number;
  tickMs: number;
}

/**
 * A raw `read N` watcher. It hashes what it gets (and keeps it when asked);
 * with a throttle it reads at most bytesPerTick per tickMs, pausing the
 * socket in between, so the kernel and the server see a slow reader.
 */
export class RawReader {
  bytes = 0;
  readonly closed: Promise<void>;
  isClosed = false;
  private readonly hash: Hash = createHash('sha256');
  private readonly kept: Buffer[] = [];
  private budget = 0;
  private ticker: NodeJS.Timeout | null = null;
  private waiters: { bytes: number; resolve: () => void }[] = [];

  readonly socket: net.Socket;
  private readonly keep: boolean;
  private throttle: Throttle | null;

  constructor(socket: net.Socket, opts: { keep?: boolean; throttle?: Throttle } = {}) {
    this.socket = socket;
    this.keep = opts.keep ?? false;
    this.throttle = opts.throttle ?? null;
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    void this.closed.then(() => {
      this.isClosed = true;
      this.unthrottle();
    });
    socket.on('data', (b: Buffer) => this.onSocketData(b));
    if (this.throttle) {
      const t = this.throttle;
      this.budget = t.bytesPerTick;
      this.ticker = setInterval(() => {
        this.budget = t.bytesPerTick;
        socket.resume();
      }, t.tickMs);
    }
  }

  static async open(scope: Scope, sock: string, hub: number, opts: { keep?: boolean; throttle?: Throttle } = {}): Promise<RawReader> {
    const s = await rawConnect(sock, `read ${hub}`);
    const r = new RawReader(s, opts);
    scope.defer(() => {
      r.unthrottle();
      s.destroy();
    });
    return r;
  }

  /** Read at full speed from now on. */
  unthrottle(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.throttle = null;
    this.socket.resume();
  }

  /** Resolves once this many bytes have arrived (event-driven, for pacing a writer to this reader). */
  reached(bytes: number): Promise<void> {
    if (this.bytes >= bytes) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ bytes, resolve }));
  }

  get text(): string {
    return Buffer.concat(this.kept).toString('latin1');
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }

  private onSocketData(b: Buffer): void {
    this.bytes += b.length;
    this.hash.update(b);
    if (this.keep) this.kept.push(b);
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.bytes <= this.bytes);
      this.waiters = this.waiters.filter((w) => w.bytes > this.bytes);
      for (const w of ready) w.resolve();
    }
    if (this.throttle) {
      this.budget -= b.length;
      if (this.budget <= 0) this.socket.pause();
    }
  }
}

/**
 * Write a stream of chunks into hub N over a raw `write N` connection,
 * honouring backpressure, then end it and wait for the server to close.
 * beforeChunk may hold the writer back (to pace it to a reader).
 */
export async function rawWrite(sock: string, hub: number, chunks: Iterable<Buffer>, o: { beforeChunk?: () => Promise<void> | void; onSent?: (bytes: number) => void } = {}): Promise<void> {
  const s = await rawConnect(sock, `write ${hub}`);
  const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
  for (const chunk of chunks) {
    await o.beforeChunk?.();
    if (!s.write(chunk)) await new Promise<void>((resolve) => s.once('drain', () => resolve()));
    o.onSent?.(chunk.length);
  }
  s.end();
  await closed;
}

/** Random bytes in chunks, and their sha256. */
export function randomStream(totalBytes: number, chunkBytes = 64 * 1024, seed = 1): { chunks: Buffer[]; sha256: string } {
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  // a cheap seeded generator: the content only has to be incompressible-ish and reproducible
  let x = seed >>> 0 || 1;
  for (let off = 0; off < totalBytes; off += chunkBytes) {
    const b = Buffer.allocUnsafe(Math.min(chunkBytes, totalBytes - off));
    for (let i = 0; i + 4 <= b.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b.writeUInt32LE(x >>> 0, i);
    }
    for (let i = b.length - (b.length % 4); i < b.length; i++) b[i] = i & 0xff;
    hash.update(b);
    chunks.push(b);
  }
  return { chunks, sha256: hash.digest('hex') };
}

/** sha256 of a buffer. */
export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A process's state letter from /proc (R, S, Z …), or null when it is gone. */
export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * The process is gone from /proc: it exited and its parent reaped it. A zombie
 * (state Z) still shows there, so this is false for a process nobody waited for.
 */
export function isGone(pid: number): boolean {
  return procState(pid) === null;
}

/** Pids in process group pgid. */
export function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Open file descriptors of a process. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** A process's fd count once it has stopped changing (sockets closing after a reply). */
export async function settledFdCount(pid: number, timeoutMs = 3000): Promise<number> {
  let last = -1;
  let same = 0;
  await waitFor(
    async () => {
      const n = fdCount(pid);
      same = n === last ? same + 1 : 0;
      last = n;
      if (same < 3) await new Promise((r) => setTimeout(r, 20));
      return same >= 3;
    },
    { timeoutMs, what: `pid ${pid}'s fd count to settle` },
  );
  return last;
}

/** The session pid on trihub N from a `status` reply. */
export function sessionPid(status: string, trihub = 0): number {
  const m = new RegExp(`^trihub ${trihub}: session pid (\\d+)`, 'm').exec(status);
  if (!m) throw new Error(`no session on trihub ${trihub} in: ${status}`);
  return Number(m[1]);
}

/** The `hub N: …` line of a status reply. */
export function hubLine(status: string, hub: number): string {
  return status.split('\n').find((l) => l.startsWith(`hub ${hub}:`)) ?? '';
}

/** A promise, bounded: rejects naming what it waited for (and how far it got) if it takes longer. */
export async function within<T>(p: Promise<T>, timeoutMs: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`)), timeoutMs);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** total bytes of a counter: word i (at offset 4i) holds i, so any piece says where it came from. */
export function counterStream(totalBytes: number): Buffer {
  const b = Buffer.allocUnsafe(totalBytes);
  for (let i = 0; i * 4 < totalBytes; i++) b.writeUInt32BE(i, i * 4);
  return b;
}

export function chunksOf(stream: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < stream.length; off += size) out.push(stream.subarray(off, off + size));
  return out;
}

/** Everything the server sends on a connection until it closes it. */
export function collectUntilClose(s: net.Socket, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`no close in ${timeoutMs} ms; got ${Buffer.concat(parts).toString('latin1')}`)), timeoutMs);
    s.on('data', (b: Buffer) => parts.push(b));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(parts));
    });
  });
}
