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
// Reads: node-pty reads the master through a tty.ReadStream, whose 'data'
// costs a fresh Buffer and the Readable machinery per read (4 KiB or less
// from a pty, mostly: 16 000 reads for 64 MiB). spawn() builds that stream while it runs,
// so for that one call tty.ReadStream is one that reads into slabs
// (sys/reads.ts). Should node-pty ever build its stream another way, its
// onData is used as before.
//
// node-pty is CommonJS, so it is required: imported from an ES module, Node
// would load its cjs-module-lexer to parse the package for named exports
// (with commander, see cli/commander.ts, 0.5 MB of an idle server's RSS).

import { readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type * as NodePty from 'node-pty';
import { IoError } from '../core/errors.js';
import { defaultShell, foregroundGroup, signalGroup, type Command, type SessionProcess } from './proc.js';
import { readOnlyWhileResumed, slabReads } from './reads.js';

const require = createRequire(import.meta.url);
const pty = require('node-pty') as typeof NodePty;
const tty = require('node:tty') as { ReadStream: new (fd: number, opts?: object) => object };

/** pty.spawn, with the master read into slabs, each read's bytes to onRead; reading false: node-pty reads it its own way. */
function spawnReading(file: string, args: string[], opts: NodePty.IPtyForkOptions, onRead: (bytes: Buffer) => void): { term: NodePty.IPty; reading: boolean } {
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
  _writeStream?: { _writeQueue?: unknown[] };
}

/**
 * Write to the master now, as much as it takes; node-pty gets the rest.
 * node-pty 1.1 writes with fs.write, a round trip through libuv's thread pool
 * for every keystroke. The master is non-blocking: writeSync takes what fits
 * and throws EAGAIN for the rest. Only while node-pty's own queue is empty,
 * or these bytes would pass the ones waiting there.
 */
function writeNow(term: NodePty.IPty, bytes: Buffer): Buffer {
  const { _fd: fd, _writeStream: ws } = term as unknown as PtyInternals;
  if (typeof fd !== 'number' || !Array.isArray(ws?._writeQueue) || ws._writeQueue.length !== 0) return bytes;
  try {
    return bytes.subarray(writeSync(fd, bytes));
  } catch {
    return bytes; // EAGAIN: the pty is full; node-pty queues it and retries
  }
}

/** Read what the master still holds, without waiting: the stream's buffer, then the kernel's. */
function drainMaster(term: NodePty.IPty, deliver: (b: Buffer) => void): void {
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
  let term: NodePty.IPty;
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
  const socket = (term as unknown as PtyInternals)._socket;
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
        exited = true;
        // node-pty gives the signal as a number; name it as child_process does
        const name = signal ? (Object.entries(constants.signals).find(([, n]) => n === signal)?.[0] ?? String(signal)) : null;
        fn(exitCode, name);
      });
    },
    write: (bytes) => {
      if (exited) return true;
      const rest = writeNow(term, bytes);
      if (rest.length > 0) term.write(rest);
      return true;
    },
    onDrain: () => {},
    closeStdin: () => {
      if (!exited) term.write('\x04');
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
