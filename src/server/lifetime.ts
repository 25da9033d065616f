// lifetime.ts — when a server ends by itself, and what it remembers of the
// sessions that have ended.
//
// A server (not -d) ends once every session and host has ended and their
// readers have drained, or DRAIN_MAX_MS after that, for a reader that
// crawls. One whose sessions all ended in its first FIRST_CLIENT_WAIT_MS
// waits until then for its first reader, and for a reader of each output an
// ended session wrote to: stdout and stderr may be read over two connections,
// and the first must not see the server end under the second. Ended sessions are kept
// until a new one starts on their trihub: the hello lists them, so a client
// can still read what they wrote and say how they ended.
//
// Not here: quitting itself (server.ts), what drained means for a hub.

import type { EndedSession } from '../sys/handshake.js';

/** How long the last readers may take to drain once every session has ended (and a quitting server's clients). */
export const DRAIN_MAX_MS = 30_000;
/**
 * A server whose sessions all ended before any reader came waits this long
 * from its start for one: `io -a -c CMD` attaches a moment after starting the
 * server, and a short CMD must not take its output away before that.
 */
export const FIRST_CLIENT_WAIT_MS = 5000;
/** How often a server whose sessions have ended looks again at its readers. */
const DRAIN_CHECK_MS = 20;

/** What the lifetime asks of its server. */
export interface Lives {
  /** A session or a host runs, or the server is quitting already: nothing to decide. */
  isBusy(): boolean;
  /** No reader of any hub has bytes still to take. */
  isDrained(): boolean;
  /** Hub n has been written to. */
  hasBytes(n: number): boolean;
  quit(reason: string): void;
}

export class Lifetime {
  /** Sessions that have exited, by trihub, until a new one starts there. */
  readonly ended = new Map<number, EndedSession>();
  private readonly lives: Lives;
  private readonly startedAt: number;
  /** Hubs that have had a reader. */
  private readonly read = new Set<number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(lives: Lives, startedAt: number) {
    this.lives = lives;
    this.startedAt = startedAt;
  }

  /** A reader of hub n came (any kind). */
  readerCame(n: number): void {
    this.read.add(n);
  }

  /** In its first moments, the server waits for a first reader, and for one of each output an ended session wrote. */
  private waitsForReaders(): boolean {
    if (Date.now() - this.startedAt >= FIRST_CLIENT_WAIT_MS) return false;
    if (this.read.size === 0) return true;
    return [...this.ended.keys()].some((t) => [t + 1, t + 2].some((n) => this.lives.hasBytes(n) && !this.read.has(n)));
  }

  sessionStarted(trihub: number): void {
    this.ended.delete(trihub);
  }

  sessionEnded(session: EndedSession): void {
    this.ended.set(session.trihub, session);
  }

  /** A session or host has ended: once the rest have too and the readers have drained, the server ends. */
  check(): void {
    if (this.lives.isBusy() || this.timer) return;
    const started = Date.now();
    const tick = (): void => {
      this.timer = null;
      if (this.lives.isBusy()) return;
      if ((this.lives.isDrained() && !this.waitsForReaders()) || Date.now() - started > DRAIN_MAX_MS) this.lives.quit(this.whyQuit());
      else this.timer = setTimeout(tick, DRAIN_CHECK_MS);
    };
    tick();
  }

  /** Why the server ends by itself, with how the last session ended: its clients are told (it may have ended as they watched). */
  private whyQuit(): string {
    const last = [...this.ended.values()].at(-1);
    return last ? `every session ended; the last, on trihub ${last.trihub}: ${last.signal ? `signal ${last.signal}` : `status ${last.code}`}` : 'every session ended';
  }

  /** The server is quitting: stop looking. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
