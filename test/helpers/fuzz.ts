// fuzz.ts — the run count, seed and assertion every fuzz file shares.
//
// IO_FUZZ_RUNS sets the runs (10 000 by default; `npm run fuzz` asks for a
// million) and IO_FUZZ_SEED replays a failure.

import type fc from 'fast-check';

export const RUNS = Number(process.env['IO_FUZZ_RUNS']) || 10_000;
const SEED = process.env['IO_FUZZ_SEED'] === undefined ? undefined : Number(process.env['IO_FUZZ_SEED']);

/** fast-check parameters for a property worth `share` of the runs. */
export function params<T>(share = 1): fc.Parameters<T> {
  return { numRuns: Math.max(1, Math.round(RUNS * share)), ...(SEED === undefined ? {} : { seed: SEED }) };
}

/** Room for `npm run fuzz`: the unit project's 10 s is for the default runs. */
export const TIMEOUT_MS = Math.max(10_000, RUNS * 3);

/** A cheap assertion for the hot loops (vitest's expect costs more than the code under test). */
export function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(what);
}
