// pump.ts — one output of a hub, pumped into a sink (a socket, a process).
//
// The pump takes from the hub only while the sink holds less than its high
// water mark, so a client's socket is never buffered past a bounded amount.
// Above it the pump waits for 'drain'. Meanwhile, in fast mode, the hub moves
// on and the output's next take reports what it lost (a gap); in paranoid
// mode the output holds room and the hub's writers wait: that is the whole
// of backpressure, in one place.
//
// Pace: with hub.paceMs > 0 the pump gathers for that long after the first
// new byte before sending, trading latency for fewer, larger writes.
//
// Backlog: a pump told where its output's backlog ends (backlogEnd, the
// newest byte when it joined) sends the bytes before that without the
// terminal queries in them (core/queries.ts): the program that asked is
// gone, and the client's terminal would answer into its input. What comes
// after goes out raw: a program that asks now waits for the answer. A
// sequence that starts in the backlog and ends after it goes out as it is.
// Right after the backlog go the bytes afterBacklog() gives (the scroll
// region, core/modes.ts).

import type { Hub, OutputId, Take } from '../core/hub.js';
import { QueryFilter } from '../core/queries.js';

/** A socket's worth of unsent bytes before the pump waits for 'drain'. */
export const HIGH_WATER_BYTES = 256 * 1024;
/** The most one take hands a sink at once. */
export const PUMP_CHUNK_BYTES = 64 * 1024;

export interface PumpSink {
  /** Bytes handed over and not yet sent. */
  queuedBytes(): number;
  data(bytes: Buffer): void;
  gap(lostBytes: number): void;
  eof(): void;
}

export interface PumpOptions {
  highWaterBytes?: number;
  chunkBytes?: number;
  /** The stream offset where the output's backlog ends: bytes before it go without terminal queries. */
  backlogEnd?: number;
  /** Bytes that go right after the backlog, before what comes after it (core/modes.ts afterBacklog). */
  afterBacklog?: () => Buffer;
}

/** A backlog being replayed: the offset where it ends, and the filter its bytes go through. */
interface Replay {
  endAt: number;
  filter: QueryFilter;
  after: (() => Buffer) | undefined;
}

export class Pump {
  readonly hub: Hub;
  readonly output: OutputId;
  private readonly sink: PumpSink;
  private readonly highWaterBytes: number;
  private readonly chunkBytes: number;
  private readonly offData: () => void;
  private timer: NodeJS.Timeout | null = null;
  private isClosed = false;
  private isRunning = false;
  private replay: Replay | null;
  /** When the sink last filled up and has not drained since (ms since epoch), else null. */
  stalledSince: number | null = null;

  constructor(hub: Hub, output: OutputId, sink: PumpSink, opts: PumpOptions = {}) {
    this.hub = hub;
    this.output = output;
    this.sink = sink;
    this.highWaterBytes = opts.highWaterBytes ?? HIGH_WATER_BYTES;
    this.chunkBytes = opts.chunkBytes ?? PUMP_CHUNK_BYTES;
    const backlogEnd = opts.backlogEnd ?? 0;
    this.replay = backlogEnd > (hub.positionOf(output) ?? Infinity) ? { endAt: backlogEnd, filter: new QueryFilter(), after: opts.afterBacklog } : null;
    this.offData = hub.onData(() => this.onHubData());
    queueMicrotask(() => this.run());
  }

  /** The sink drained: send more. */
  onSinkDrain(): void {
    this.run();
  }

  /** Stop, and let go of the hub output (it stops holding room). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.offData();
    if (this.timer) clearTimeout(this.timer);
    this.hub.removeOutput(this.output);
  }

  private onHubData(): void {
    if (this.hub.paceMs <= 0) {
      this.run();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.run();
    }, this.hub.paceMs);
  }

  /** Take while the sink has room. */
  run(): void {
    if (this.isClosed || this.isRunning) return;
    this.isRunning = true;
    try {
      if (this.sink.queuedBytes() < this.highWaterBytes) this.stalledSince = null;
      while (!this.isClosed && this.sink.queuedBytes() < this.highWaterBytes) {
        const t = this.hub.take(this.output, this.chunkBytes);
        if (this.replay) this.send(this.replayed(this.replay, t));
        else this.send(t);
        if (!t.data && !t.eof && t.lostBytes === 0) break;
      }
      if (!this.isClosed && this.sink.queuedBytes() >= this.highWaterBytes) this.stalledSince ??= Date.now();
    } finally {
      this.isRunning = false;
    }
  }

  private send(t: Take): void {
    if (t.lostBytes > 0) this.sink.gap(t.lostBytes);
    if (t.data && t.data.length > 0) this.sink.data(t.data);
    if (t.eof) this.sink.eof();
  }

  /**
   * A take, with the part of it in the backlog filtered. What the filter
   * holds goes out as it is before a gap (the bytes after a gap are not its
   * sequence's), and once the backlog is all taken; from then on the pump
   * sends raw. Offsets, not counts, say what is backlog: a clear (hNc) moves
   * the output past it without a gap.
   */
  private replayed(r: Replay, t: Take): Take {
    if (t.lostBytes > 0) {
      const held = r.filter.end();
      if (held.length > 0) this.sink.data(held);
    }
    const to = this.hub.positionOf(this.output) ?? r.endAt;
    const data = t.data ?? Buffer.alloc(0);
    const from = to - data.length;
    const split = Math.max(0, Math.min(data.length, r.endAt - from));
    if (to < r.endAt && !t.eof) return { data: r.filter.push(data), lostBytes: t.lostBytes, eof: false };
    this.replay = null;
    const parts = [r.filter.push(data.subarray(0, split)), r.filter.end(), r.after?.() ?? Buffer.alloc(0), data.subarray(split)];
    return { data: Buffer.concat(parts), lostBytes: t.lostBytes, eof: t.eof };
  }
}
