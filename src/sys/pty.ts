// pty.ts — the only file that imports node-pty: a SessionProcess on a pty.
//
// node-pty's onData hands strings unless encoding is null; with null it hands
// Buffers (its typings say string: the cast below is that quirk). stdout and
// stderr share the pty, so onStderr never fires. pause()/resume() stop and
// start reading the master, so the kernel holds the program (paranoid).
//
// A quirk with teeth: when the child exits, node-pty waits for the master to
// close, but destroys it after DESTROY_SOCKET_TIMEOUT_MS (200 ms). A master
// paused by paranoid pacing still holds the program's last output (in the
// stream's buffer and in the kernel), which that destroy would throw away.
// So the destroy is wrapped: first everything still readable is read and
// handed on (at most a stream buffer and the kernel's pty buffer).
//
// Writes: input goes to the master with writeSync, as much as it takes now
// (node-pty 1.1 would use fs.write, a round trip through libuv's thread pool
// for every keystroke). The rest waits in a PtyInput, offered again while it
// waits; write() returns false past PTY_INPUT_HIGH_WATER_BYTES and onDrain
// fires once it is all in, as a pipe's stdin does. node-pty's own queue has
// neither: it grows with all a program does not read (a session's server
// without bound), and retries with setImmediate, a busy loop meanwhile.
//
// Reads: node-pty reads the master through a tty.ReadStream, whose 'data'
// costs a fresh Buffer and the Readable machinery per read (4 KiB or less
// from a pty, mostly: 16 000 reads for 64 MiB). spawn() builds that stream while it runs,
// so for that one call tty.ReadStream is one that reads into slabs
// (sys/reads.ts). Should node-pty ever build its stream another way, its
// onData is used as before.
//
// node:tty is required, not imported: the swap above is on the module object
// node-pty itself requires (an import would give a copy of its exports).

import { readSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import * as pty from 'node-pty';
import { IoError } from '../core/errors.js';
import { defaultShell, foregroundGroup, signalGroup, type Command, type SessionProcess } from './proc.js';
import { readOnlyWhileResumed, slabReads } from './reads.js';

const tty = require('node:tty') as { ReadStream: new (fd: number, opts?: object) => object };

/** pty.spawn, with the master read into slabs, each read's bytes to onRead; reading false: node-pty reads it its own way. */
function spawnReading(file: string, args: string[], opts: pty.IPtyForkOptions, onRead: (bytes: Buffer) => void): { term: pty.IPty; reading: boolean } {
  const Plain = tty.ReadStream;
  let reading = false;
  tty.ReadStream = function SlabReadStream(fd: number) {
    reading = true;
    // a host pauses its shell at once, until the server answers: nothing may be read meanwhile
    return readOnlyWhileResumed(new Plain(fd, { onread: slabReads(onRead) }) as { read(n?: number): unknown; isPaused(): boolean });
  } as unknown as typeof tty.ReadStream;
  try {
    return { term: pty.spawn(file, args, opts), reading };
  } finally {
    tty.ReadStream = Plain;
  }
}

/** node-pty's internals this file reaches into, and only here (see the header). */
interface PtyInternals {
  _fd?: number;
  _socket?: { destroy(err?: Error): unknown; read(): Buffer | null; destroyed: boolean };
}

/** Input waiting for a pty past what its master took: beyond this, write() returns false, as a pipe's does past its mark. */
export const PTY_INPUT_HIGH_WATER_BYTES = 64 * 1024;
/** How soon input a pty refused is offered again once the program has taken none for a while: 100 wake-ups a second while it reads nothing. */
export const PTY_INPUT_RETRY_MS = 10;
/** For this long after the pty last took input, what waits is offered again at every turn of the event loop. */
export const PTY_INPUT_SPIN_MS = 2;

/**
 * The input side of a pty master: bytes go in with writeSync (the master is
 * non-blocking: it takes what fits and throws EAGAIN for the rest), and what
 * it refuses waits here, in order. A pty holds little (~14 KiB a fill, into
 * `cat`), and the kernel hands it to the program a moment after the write (a
 * worker thread), so an offer at once mostly finds no room yet. So for
 * PTY_INPUT_SPIN_MS after the pty last took some, what waits is offered at
 * every turn of the event loop (setImmediate), as node-pty does, and after
 * that every PTY_INPUT_RETRY_MS. Into `cat`: 20 MB/s, as node-pty's own
 * queue; a 10 ms timer alone gave 1.4 MB/s, a 1 ms spin 17.
 */
class PtyInput {
  private readonly fd: number;
  private readonly isOpen: () => boolean;
  private readonly drains: (() => void)[] = [];
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  /** Cancels the offer to come, while one is due. */
  private cancelRetry: (() => void) | null = null;
  /** When the pty last took some (performance.now()). */
  private tookAt = -Infinity;
  /** write() said false: onDrain is owed once the queue is in. */
  private needDrain = false;

  constructor(fd: number, isOpen: () => boolean) {
    this.fd = fd;
    this.isOpen = isOpen;
  }

  /** false: PTY_INPUT_HIGH_WATER_BYTES or more wait; wait for onDrain. */
  write(bytes: Buffer): boolean {
    if (bytes.length === 0) return true;
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    if (this.cancelRetry === null) this.flush(); // else the bytes before these are waiting for the same room
    if (this.queuedBytes < PTY_INPUT_HIGH_WATER_BYTES) return true;
    this.needDrain = true;
    return false;
  }

  onDrain(fn: () => void): void {
    this.drains.push(fn);
  }

  /** The program is gone: what waits is dropped, and nothing fires any more. */
  close(): void {
    this.cancelRetry?.();
    this.cancelRetry = null;
    this.queue = [];
    this.queuedBytes = 0;
    this.needDrain = false;
  }

  private flush(): void {
    this.cancelRetry = null;
    const before = this.queuedBytes;
    // Once the master is closed its fd number may be another file's by now.
    while (this.queue.length > 0 && this.isOpen()) {
      const head = this.queue[0]!;
      let n: number;
      try {
        n = writeSync(this.fd, head);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') break;
        if (this.queuedBytes < before) this.tookAt = performance.now();
        this.retry();
        return;
      }
      this.queuedBytes -= n;
      if (n < head.length) this.queue[0] = head.subarray(n);
      else this.queue.shift();
    }
    // all in, or nobody reads this pty any more (EIO, closed): what waits is dropped, as EPIPE drops a pipe's
    this.queue = [];
    this.queuedBytes = 0;
    if (!this.needDrain) return;
    this.needDrain = false;
    for (const fn of this.drains) fn();
  }

  /**
   * Offer what waits again: at the next turn (the program is reading), or
   * after PTY_INPUT_RETRY_MS. The timer is unref'd: it alone keeps no process
   * alive. The immediate is not: an unref'd one waits for other I/O to wake
   * the event loop (Node polls without a timeout when no ref'd one is due).
   */
  private retry(): void {
    if (performance.now() - this.tookAt < PTY_INPUT_SPIN_MS) {
      const immediate = setImmediate(() => this.flush());
      this.cancelRetry = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(() => this.flush(), PTY_INPUT_RETRY_MS).unref();
      this.cancelRetry = () => clearTimeout(timer);
    }
  }
}

/** Read what the master still holds, without waiting: the stream's buffer, then the kernel's. */
function drainMaster(term: pty.IPty, deliver: (b: Buffer) => void): void {
  const { _fd: fd, _socket: socket } = term as unknown as PtyInternals;
  // Once destroyed the stream has closed the fd, and its number may be another file's by now.
  if (!socket || socket.destroyed) return;
  while (socket.read() !== null) {
    // read() on a paused stream emits 'data' for what it returns: onData has it
  }
  if (typeof fd !== 'number') return;
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch {
      return; // EAGAIN: nothing more; EIO: the slave side is gone and empty
    }
    if (n <= 0) return;
    deliver(Buffer.from(buf.subarray(0, n)));
  }
}

export function spawnPty(command: Command, size: { cols: number; rows: number }): SessionProcess {
  const file = command.cmd === null ? defaultShell(command.env) : '/bin/sh';
  const args = command.cmd === null ? [] : ['-c', '--', command.cmd];
  const readers: ((b: Buffer) => void)[] = [];
  const deliver = (b: Buffer): void => readers.forEach((fn) => fn(b));
  let term: pty.IPty;
  try {
    const spawned = spawnReading(
      file,
      args,
      {
        name: command.env['TERM'] || 'xterm-256color',
        cols: size.cols,
        rows: size.rows,
        cwd: command.cwd ?? process.cwd(),
        env: command.env as Record<string, string>,
        encoding: null,
      },
      deliver,
    );
    term = spawned.term;
    if (!spawned.reading) term.onData((data) => deliver(data as unknown as Buffer));
  } catch (err) {
    throw new IoError('IO_ERR_SPAWN', `io: ${file}: cannot start on a pty: ${(err as Error).message}`);
  }
  const pid = term.pid;
  let exited = false;
  let cols = size.cols;
  let rows = size.rows;
  const { _fd: fd, _socket: socket } = term as unknown as PtyInternals;
  // Should node-pty ever hide its fd, its own write is used as before: no backpressure.
  const input = typeof fd === 'number' ? new PtyInput(fd, () => !exited && !socket?.destroyed) : null;
  term.onExit(() => {
    exited = true;
    input?.close();
  });
  if (socket) {
    const destroy = socket.destroy.bind(socket);
    socket.destroy = (err?: Error) => {
      drainMaster(term, deliver);
      return destroy(err);
    };
  }
  return {
    pid,
    hasPty: true,
    onStdout: (fn) => void readers.push(fn),
    onStderr: () => {},
    onExit: (fn) => {
      term.onExit(({ exitCode, signal }) => {
        // node-pty gives the signal as a number; name it as child_process does
        const name = signal ? (Object.entries(constants.signals).find(([, n]) => n === signal)?.[0] ?? String(signal)) : null;
        fn(exitCode, name);
      });
    },
    write: (bytes) => {
      if (exited) return true;
      if (input) return input.write(bytes);
      term.write(bytes);
      return true;
    },
    onDrain: (fn) => input?.onDrain(fn),
    closeStdin: () => {
      if (exited) return;
      // after what waits: ^D at the start of a line is end-of-file to the program
      if (input) input.write(Buffer.from('\x04'));
      else term.write('\x04');
    },
    pause: () => term.pause(),
    resume: () => term.resume(),
    resize: (c, r) => {
      if (exited || (c === cols && r === rows)) return;
      cols = c;
      rows = r;
      term.resize(c, r);
    },
    signal: (sig) => {
      if (!exited) signalGroup(foregroundGroup(pid), sig);
    },
  };
}
