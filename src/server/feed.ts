// feed.ts — one source writing into a hub, paused while the hub has no room.
//
// In fast mode every chunk is taken at once. In paranoid mode hub.write may
// take part of a chunk: the rest waits here, the source is paused (a pty,
// pipe or socket stops being read, so the kernel holds the writer), and on
// the hub's 'room' the rest goes in and the source resumes. At most the chunk
// in hand and what the source delivered before pause() took hold wait here.

import type { Hub } from '../core/hub.js';

export interface FeedSource {
  pause(): void;
  resume(): void;
}

export class Feeder {
  private readonly hub: Hub;
  private readonly source: FeedSource;
  private queue: Buffer[] = [];
  private isPaused = false;
  /** What to do once the queue is in: end the hub (the source ended) or just let go (an input left). */
  private onDrained: (() => void) | null = null;
  private offRoom: (() => void) | null = null;

  constructor(hub: Hub, source: FeedSource) {
    this.hub = hub;
    this.source = source;
  }

  /** Bytes from the source. */
  push(bytes: Buffer): void {
    if (this.queue.length > 0) {
      this.queue.push(bytes);
      return;
    }
    const taken = this.hub.write(bytes);
    if (taken < bytes.length) this.wait(bytes.subarray(taken));
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

  /** Stop now and drop what waits (the input was killed). */
  close(): void {
    this.queue = [];
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

  private wait(rest: Buffer): void {
    this.queue.push(rest);
    if (!this.isPaused) {
      this.isPaused = true;
      this.source.pause();
    }
    this.offRoom ??= this.hub.onRoom(() => this.onHubRoom());
  }

  private onHubRoom(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const taken = this.hub.write(head);
      if (taken < head.length) {
        this.queue[0] = head.subarray(taken);
        return;
      }
      this.queue.shift();
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
