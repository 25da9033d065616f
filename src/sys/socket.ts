// socket.ts — Unix sockets: listen safely, connect, and tell live from stale.
//
// A socket file nobody answers on is stale (its server died without cleaning
// up): connect() gets ECONNREFUSED, and unlinking it is safe because nobody
// can be listening on it. A socket that answers belongs to a live server,
// which we never touch: we ask its pid (the hello frame) for the message.

import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { IoError } from '../core/errors.js';
import { handshake, type Hello } from './handshake.js';
import { connectSlabbed } from './reads.js';

export type Probe = { state: 'absent' } | { state: 'stale' } | { state: 'live'; hello: Hello | null };

/** Connect to a Unix socket (read into slabs: sys/reads.ts); reject with IO_ERR_NO_SERVER naming the reason. */
export function connectUnix(path: string, name: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectSlabbed(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && !isSocket(path)) return reject(notSocket(path, name));
      const why = err.code === 'ENOENT' ? 'no such session' : err.code === 'ECONNREFUSED' ? 'stale socket, no server answers' : (err.code ?? err.message);
      reject(new IoError('IO_ERR_NO_SERVER', `io: ${name}: ${why} (${path})`, { cause: err }));
    });
  });
}

function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

function notSocket(path: string, name: string): IoError {
  return new IoError('IO_ERR_NO_SERVER', `io: ${name}: ${path} is not a socket (leaving it alone; pick another name)`);
}

/**
 * What is at this path: nothing, a stale socket, or a live server (connected,
 * not yet greeted). Anything else there (a log file, a directory) is refused,
 * never taken for a stale socket: only a socket nobody answers is removed.
 */
export async function dialSocket(path: string, name: string): Promise<{ state: 'absent' } | { state: 'stale' } | { state: 'live'; socket: net.Socket }> {
  if (!existsSync(path)) return { state: 'absent' };
  if (!isSocket(path)) throw notSocket(path, name);
  try {
    return { state: 'live', socket: await connectUnix(path, name) };
  } catch (err) {
    const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') return { state: 'absent' };
    if (code === 'ECONNREFUSED') return { state: 'stale' };
    throw err;
  }
}

/** What is at this path: nothing, a stale socket, or a live server (with its hello). */
export async function probeSocket(path: string, name: string): Promise<Probe> {
  const dial = await dialSocket(path, name);
  if (dial.state !== 'live') return dial;
  try {
    const { hello } = await handshake(dial.socket, name, 2000);
    return { state: 'live', hello };
  } catch {
    return { state: 'live', hello: null };
  } finally {
    dial.socket.destroy();
  }
}

/** Remove a stale socket (its server died) and the token and address files that server left beside it. */
export function removeStale(path: string): void {
  for (const file of [path, `${path}.token`, `${path}.listen`]) {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

/** Listen at path (mode 0600, 0660 with share), after removing a stale socket; refuse a live one. */
export async function listenUnix(path: string, name: string, onConnection: (s: net.Socket) => void, opts: { share?: boolean } = {}): Promise<{ server: net.Server; removedStale: boolean }> {
  const probe = await probeSocket(path, name);
  if (probe.state === 'live') {
    const pid = probe.hello ? ` (pid ${probe.hello.pid})` : '';
    throw new IoError('IO_ERR_RUNNING', `io: ${name} is already running${pid}`);
  }
  if (probe.state === 'stale') unlinkSync(path);
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    // Two servers racing for one name: both saw no socket, the second to bind loses.
    const onError = (err: NodeJS.ErrnoException): void =>
      reject(err.code === 'EADDRINUSE' ? new IoError('IO_ERR_RUNNING', `io: ${name} is already running`) : new IoError('IO_ERR_NO_SERVER', `io: ${path}: cannot listen: ${err.code ?? err.message}`));
    server.once('error', onError);
    const old = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(old);
    }
  });
  chmodSync(path, opts.share ? 0o660 : 0o600);
  return { server, removedStale: probe.state === 'stale' };
}
