// hubs.ts — the numbered hubs of one server: 0 ≤ N < maxHubs.
//
// A hub starts on first use (or by hNsM) and lives until hNx or the server's
// end. A trihub N is hubs N, N+1, N+2 (stdin, stdout, stderr of one process);
// N must be a multiple of 3. Pacing and trunc apply to every hub, present and
// future, as the ctl commands fear/calm and trunc/notrunc say.
//
// Not here: endpoints' owners (server/), I/O.

import { CtlError } from './errors.js';
import { DEFAULT_BUFFER_BYTES, Hub, type Pacing } from './hub.js';

export const DEFAULT_MAX_HUBS = 64;

export interface HubTableOptions {
  maxHubs?: number;
  bufferBytes?: number;
  pacing?: Pacing;
  paceMs?: number;
}

export class HubTable {
  readonly maxHubs: number;
  readonly bufferBytes: number;
  private mode: Pacing;
  /** Pace for hubs started from now on (-t, slow/fast words). */
  paceMs: number;
  /** New outputs start at the newest byte (ctl trunc) rather than the backlog. */
  isTrunc = false;
  /** Told of every hub started and removed (the server logs them). */
  onChange: (hub: number, what: 'started' | 'removed') => void = () => {};
  private readonly hubs = new Map<number, Hub>();

  constructor(opts: HubTableOptions = {}) {
    this.maxHubs = opts.maxHubs ?? DEFAULT_MAX_HUBS;
    this.bufferBytes = opts.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    this.mode = opts.pacing ?? 'fast';
    this.paceMs = opts.paceMs ?? 0;
  }

  get pacing(): Pacing {
    return this.mode;
  }

  /** fear / calm: every hub, and every hub to come. */
  set pacing(mode: Pacing) {
    this.mode = mode;
    for (const hub of this.hubs.values()) hub.pacing = mode;
  }

  /** An error when N is no hub number here. */
  check(n: number): CtlError | undefined {
    if (Number.isInteger(n) && n >= 0 && n < this.maxHubs) return undefined;
    return new CtlError(`io: hub ${n}: out of range (0-${this.maxHubs - 1})`);
  }

  /** An error when N cannot be a trihub here. */
  checkTrihub(n: number): CtlError | undefined {
    if (!Number.isInteger(n) || n < 0 || n % 3 !== 0) {
      return new CtlError(`io: trihub ${n}: not a multiple of 3 (try 0, 3, 6 …)`);
    }
    if (n + 2 >= this.maxHubs) return new CtlError(`io: trihub ${n}: hubs ${n}-${n + 2} out of range (0-${this.maxHubs - 1})`);
    return undefined;
  }

  get(n: number): Hub | undefined {
    return this.hubs.get(n);
  }

  /** The hub N, started if it was not. Call check(n) first. */
  open(n: number): Hub {
    let hub = this.hubs.get(n);
    if (!hub) {
      hub = new Hub(n, { bufferBytes: this.bufferBytes, pacing: this.mode, paceMs: this.paceMs });
      this.hubs.set(n, hub);
      this.onChange(n, 'started');
    }
    return hub;
  }

  remove(n: number): boolean {
    const had = this.hubs.delete(n);
    if (had) this.onChange(n, 'removed');
    return had;
  }

  /** Started hubs in number order. */
  list(): Hub[] {
    return [...this.hubs.values()].sort((a, b) => a.id - b.id);
  }
}
