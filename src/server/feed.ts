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
  private isEnding = false;
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

  /** Bytes waiting for room. */
  get waitingBytes(): number {
    let n = 0;
    for (const b of this.queue) n += b.length;
    return n;
  }

  /** The source is done: end the hub once what waits here is in. */
  end(): void {
    this.isEnding = true;
    if (this.queue.length === 0) this.finish();
  }

  /** Stop feeding without ending the hub (the source left); drop what waits. */
  close(): void {
    this.queue = [];
    this.offRoom?.();
    this.offRoom = null;
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
    if (this.isEnding) this.finish();
    else if (this.isPaused) {
      this.isPaused = false;
      this.source.resume();
    }
  }

  private finish(): void {
    this.close();
    this.hub.end();
  }
}
