// main.ts — how every io program ends: exit codes and the one-line error.
//
// An IoError prints its message (`io: <what>: <why>`) and exits 2 for usage,
// 1 otherwise. Anything else is a bug: `io: internal error: …`, exit 1, the
// stack only with IO_DEBUG set.

import { readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { IoError, UsageError } from '../core/errors.js';

export const VERSION: string = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;

export function fail(err: unknown): never {
  if (err instanceof IoError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
  const e = err as Error;
  process.stderr.write(`io: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env['IO_DEBUG']) process.stderr.write(`${e?.stack ?? ''}\n`);
  process.exit(1);
}

/**
 * What io prints goes to stdout: a reader that left (EPIPE: `io ls | head`)
 * ends it quietly, exit 0, as it would end `cat`; any other failure to write
 * (a full disk) is one line and exit 1, never a success.
 */
export function watchStdout(): void {
  process.stdout.on('error', stdoutFailed);
}

function stdoutFailed(err: NodeJS.ErrnoException): never {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`io: standard output: ${err.code ?? err.message}\n`);
  process.exit(1);
}

/** Write text to stdout now, by the same rule (--help and --version, printed as the process exits). */
export function writeStdoutSync(text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(1, rest));
    } catch (err) {
      // a pipe Node made non-blocking, full for a moment: try again
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') stdoutFailed(err as NodeJS.ErrnoException);
    }
  }
}

/**
 * End stdout, then exit with status, unless a write failed: its 'error' comes
 * a tick after end's callback (a file or device), so exit waits a turn.
 */
export function exitAfterStdout(status: number): void {
  process.stdout.end(() => setImmediate(() => process.exit(status)));
}

/** Run an async main; map its failure to the right message and exit code. */
export function runMain(main: () => Promise<void>): void {
  main().catch(fail);
}
