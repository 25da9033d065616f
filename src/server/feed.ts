// feed.ts — one source writing into a hub, paused while the hub has no room.
//
// In fast mode a chunk is taken at once, unless the hub has an output that
// holds (a session's stdin, core/hub.ts). Then, as in paranoid mode, hub.write
// may take part of a chunk: the rest waits here, the source is paused (a pty,
// pipe or socket stops being read, so the kernel holds the writer), and on
// the hub's 'room' the rest goes in and the source resumes. At most the chunk
// in hand and what the source delivered before pause() took hold wait here;
// a source that cannot pause (a NATS subscription) watches heldBytes itself.

import type { Hub } from '../core/hub.js';

export interface FeedSource {
  pause(): void;
  resume(): void;
}

export class Feeder {
  private readonly hub: Hub;
  private readonly source: FeedSource;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private isPaused = false;
  private isFlushing = false;
  /** What to do once the queue is in: end the hub (the source ended) or just let go (an input left). */
  private onDrained: (() => void) | null = null;
  private offRoom: (() => void) | null = null;

  constructor(hub: Hub, source: FeedSource) {
    this.hub = hub;
    this.source = source;
  }

  /** Bytes from the source. */
  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    if (this.queue.length === 1) this.flush();
  }

  /** The source is done: end the hub once what waits here is in. */
  end(): void {
    this.whenDrained(() => this.hub.end());
  }

  /**
   * The source left without ending the hub (an `io write` at EOF, a client
   * gone): what it sent still goes in — paranoid loses nothing — then done().
   */
  release(done: () => void): void {
    this.whenDrained(done);
  }

  /** Bytes the source gave that wait here for room. */
  get heldBytes(): number {
    return this.queuedBytes;
  }

  /** Stop now and drop what waits (the input was killed). */
  close(): void {
    this.queue = [];
    this.queuedBytes = 0;
    this.onDrained = null;
    this.offRoom?.();
    this.offRoom = null;
  }

  private whenDrained(fn: () => void): void {
    if (this.queue.length > 0) {
      this.onDrained = fn;
      return;
    }
    this.close();
    fn();
  }

  /**
   * Write what waits until it is all in or the hub takes nothing. A write
   * runs the hub's readers (its data listeners); a reader that takes frees
   * room and fires 'room' from inside that very write. So 'room' landing
   * while we write is ignored (this loop sees the room itself), and we wait
   * only after a write that took nothing: that write set the hub waiting and
   * ran no reader, so the next reader that moves fires 'room' to us.
   */
  private flush(): void {
    if (this.isFlushing) return;
    this.isFlushing = true;
    const queue = this.queue;
    try {
      while (queue.length > 0) {
        const head = queue[0]!;
        const taken = this.hub.write(head);
        if (queue !== this.queue) return; // closed from inside the write (a reader's listener killed this input)
        this.queuedBytes -= taken;
        if (taken === head.length) queue.shift();
        else if (taken > 0) queue[0] = head.subarray(taken);
        else break;
      }
    } finally {
      this.isFlushing = false;
    }
    if (queue.length > 0) {
      this.offRoom ??= this.hub.onRoom(() => this.flush());
      if (!this.isPaused) {
        this.isPaused = true;
        this.source.pause();
      }
      return;
    }
    this.offRoom?.();
    this.offRoom = null;
    // Resume even when the source is leaving: a framed connection counts the
    // pauses of all its inputs, and one never undone keeps it unread for good.
    const then = this.onDrained;
    this.onDrained = null;
    if (this.isPaused) {
      this.isPaused = false;
      this.source.resume();
    }
    then?.();
  }
}
