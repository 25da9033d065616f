// iodir.ts — where sessions live: IO_DIR, and the socket path of a name.
//
// IO_DIR is $IO_DIR, else $XDG_RUNTIME_DIR/io, else /tmp/io-$UID. It is made
// mode 0700 and refused when it is not safe: a symlink, not a directory, owned
// by someone else, or open to group or others (anyone there could connect to
// every session, or plant a socket). The refusal says how to fix it.
//
// Not here: sockets themselves (socket.ts).

import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IoError, UsageError } from '../core/errors.js';

/** sun_path is 108 bytes on Linux; leave room for the terminating NUL. */
const SOCKET_PATH_MAX = 107;

export function resolveIoDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['IO_DIR']) return env['IO_DIR'];
  if (env['XDG_RUNTIME_DIR']) return join(env['XDG_RUNTIME_DIR'], 'io');
  return `/tmp/io-${process.getuid?.() ?? 0}`;
}

/** Make IO_DIR if missing; throw IO_ERR_IODIR when it is not safe to use. */
export function ensureIoDir(dir: string, opts: { share?: boolean } = {}): void {
  // what is there already is judged first: a file in its place is 'not a directory', not EEXIST
  if (checkIoDir(dir) === null) {
    try {
      mkdirSync(dir, { recursive: true, mode: opts.share ? 0o710 : 0o700 });
    } catch (err) {
      throw new IoError('IO_ERR_IODIR', `io: ${dir}: cannot create: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const mode = checkIoDir(dir)!;
  if (opts.share && (mode & 0o010) === 0) chmodSync(dir, mode | 0o010);
}

/**
 * Throw IO_ERR_IODIR when IO_DIR is not safe to use; its mode when it is, null
 * when it does not exist. Clients check it too: a socket in a directory
 * someone else controls may be theirs.
 */
export function checkIoDir(dir: string): number | null {
  let st;
  try {
    st = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new IoError('IO_ERR_IODIR', `io: ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (st.isSymbolicLink()) {
    throw new IoError('IO_ERR_IODIR', `io: ${dir}: is a symlink; refusing (remove it, or set IO_DIR to a directory of your own)`);
  }
  if (!st.isDirectory()) throw new IoError('IO_ERR_IODIR', `io: ${dir}: not a directory; refusing (remove it, or set IO_DIR)`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new IoError('IO_ERR_IODIR', `io: ${dir}: owned by uid ${st.uid}, not ${uid}; refusing (set IO_DIR to a directory of your own)`);
  }
  // Group search (0710) lets a --share server's group reach its socket, and
  // nothing else: the sockets' own modes still decide. Anything more is refused.
  const mode = st.mode & 0o777;
  if ((mode & ~0o710) !== 0) {
    throw new IoError('IO_ERR_IODIR', `io: ${dir}: open to others (mode ${mode.toString(8).padStart(4, '0')}); refusing (chmod 700 ${dir})`);
  }
  return mode;
}

/** A session name is one path component of printable characters. */
/** io's commands: not session names (`io ls` lists, it never attaches to a session called ls). */
export const COMMAND_WORDS: readonly string[] = ['ls', 'read', 'write', 'ctl', 'kill', 'host', 'help'];

export function isName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.+@-]{0,63}$/.test(name) && !COMMAND_WORDS.includes(name);
}

export function checkName(name: string): void {
  if (!isName(name)) {
    throw new UsageError(`io: bad session name '${name}': use letters, digits and _ . + @ - (at most 64, not starting with . or -, not ${COMMAND_WORDS.join(' ')})`);
  }
}

/** $IO_DIR/NAME, checked against the socket path limit. */
export function socketPath(dir: string, name: string): string {
  checkName(name);
  const path = join(dir, name);
  if (Buffer.byteLength(path) > SOCKET_PATH_MAX) {
    throw new UsageError(`io: ${path}: socket path longer than ${SOCKET_PATH_MAX} bytes (set a shorter IO_DIR)`);
  }
  return path;
}
