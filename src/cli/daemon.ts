// daemon.ts — start iosrv in the background for io, and wait until it listens.
//
// The server runs detached (its own session, no terminal), with stdin/out/err
// on /dev/null or its log, and a pipe on fd 3 where it writes one line once
// listening: `ready`, or the error that stopped it. So io reports a failed
// start in the server's own words, and never races the socket's creation.
// Two io's starting one name at once: the second's server finds the socket
// live and says so; that io then simply attaches.

import { spawn } from 'node:child_process';
import { openSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { IoError } from '../core/errors.js';

const READY_TIMEOUT_MS = 10_000;

/**
 * The started side of that pipe: its one line, written synchronously so an
 * exit right after it loses nothing. Without a fd (run by hand), nothing.
 */
export function readyLine(fd: number | undefined): (line: string) => void {
  return (line) => {
    if (fd !== undefined) writeSync(fd, `${line}\n`);
  };
}

/** Start `iosrv ARGS NAME` in the background; resolves once it listens, with what its ready line added (its ws:// address). */
export function startInBackground(name: string, serverArgs: string[], logFile: string | null, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return startDetached('iosrv.js', ['--ready-fd', '3', ...serverArgs, '--', name], name, logFile, env);
}

/** Start a host process for trihub N of NAME (local N, here); resolves once it is wired. */
export async function startHost(name: string, trihub: number, token?: string): Promise<void> {
  await startDetached('io.js', ['host', '--ready-fd', '3', name, String(trihub)], name, null, token === undefined ? {} : { IO_TOKEN: token });
}

/** Run one of our programs detached, and wait for its `ready` line on fd 3. */
function startDetached(program: string, args: string[], name: string, logFile: string | null, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const script = join(__dirname, program);
  let out: number | 'ignore' = 'ignore';
  if (logFile) {
    try {
      out = openSync(logFile, 'a', 0o600);
    } catch (err) {
      process.stderr.write(`io: log ${logFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}: logging stopped, the server goes on\n`);
    }
  }
  const child = spawn(process.execPath, [script, ...args], {
    detached: true,
    stdio: ['ignore', out, out, 'pipe'],
    env: { ...process.env, ...env },
  });
  if (typeof out === 'number') closeSync(out);
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => finish(new IoError('IO_ERR_NO_SERVER', `io: ${name}: server did not start in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const finish = (err: Error | null, extra = ''): void => {
      clearTimeout(timer);
      child.stdio[3]?.removeAllListeners();
      (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
      child.removeAllListeners();
      child.unref();
      if (err) reject(err);
      else resolve(extra);
    };
    child.stdio[3]!.on('data', (b: Buffer) => {
      said += b.toString('utf8');
      const line = said.split('\n')[0]!;
      if (!said.includes('\n')) return;
      if (line === 'ready' || line.startsWith('ready ')) finish(null, line.slice(6));
      else finish(new IoError(line.includes('already running') ? 'IO_ERR_RUNNING' : 'IO_ERR_NO_SERVER', line));
    });
    child.on('exit', (code) => finish(new IoError('IO_ERR_NO_SERVER', said.trim() || `io: ${name}: server exited (status ${code}) before it listened`)));
  });
}
