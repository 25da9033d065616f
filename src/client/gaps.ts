// gaps.ts — `io: lost N bytes`, said at most once a second.
//
// A reader that falls behind a writer that never stops is skipped ahead on
// nearly every take: hundreds of gap notices a second, which bury a
// watcher's terminal. The first loss is said at once; what is lost in the
// second after it is summed and said when that second is up; then again.
// No byte of loss goes unsaid: flush() says what is pending (at the end).
//
// Not here: the gaps themselves (core/hub.ts), where a notice is written.

/** The least time between two notices of loss. */
export const GAP_NOTICE_MS = 1000;

export class GapNotices {
  private readonly say: (lostBytes: number) => void;
  private readonly everyMs: number;
  private pending = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(say: (lostBytes: number) => void, everyMs = GAP_NOTICE_MS) {
    this.say = say;
    this.everyMs = everyMs;
  }

  /** Bytes lost: said now, or summed into the next notice. */
  lost(bytes: number): void {
    if (bytes <= 0) return;
    if (this.timer) {
      this.pending += bytes;
      return;
    }
    this.say(bytes);
    this.wait();
  }

  /** Say what is pending now, and stop waiting (the reader is done). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const n = this.pending;
    this.pending = 0;
    if (n > 0) this.say(n);
  }

  private wait(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.pending === 0) return;
      const n = this.pending;
      this.pending = 0;
      this.say(n);
      this.wait();
    }, this.everyMs);
    // a pending notice never keeps a process that is done alive: flush() says it
    this.timer.unref();
  }
}
