// main.ts — how every io program ends: exit codes and the one-line error.
//
// An IoError prints its message (`io: <what>: <why>`) and exits 2 for usage,
// 1 otherwise. Anything else is a bug: `io: internal error: …`, exit 1, the
// stack only with IO_DEBUG set.

import { readFileSync } from 'node:fs';
import { IoError, UsageError } from '../core/errors.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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

/** Run an async main; map its failure to the right message and exit code. */
export function runMain(main: () => Promise<void>): void {
  main().catch(fail);
}
