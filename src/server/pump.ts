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

import type { Hub, OutputId } from '../core/hub.js';

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
  /** When the sink last filled up and has not drained since (ms since epoch), else null. */
  stalledSince: number | null = null;

  constructor(hub: Hub, output: OutputId, sink: PumpSink, opts: PumpOptions = {}) {
    this.hub = hub;
    this.output = output;
    this.sink = sink;
    this.highWaterBytes = opts.highWaterBytes ?? HIGH_WATER_BYTES;
    this.chunkBytes = opts.chunkBytes ?? PUMP_CHUNK_BYTES;
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
        const t = this.hub.takeCopy(this.output, this.chunkBytes);
        if (t.lostBytes > 0) this.sink.gap(t.lostBytes);
        if (t.data) this.sink.data(t.data);
        if (t.eof) this.sink.eof();
        if (!t.data && !t.eof && t.lostBytes === 0) break;
      }
      if (!this.isClosed && this.sink.queuedBytes() >= this.highWaterBytes) this.stalledSince ??= Date.now();
    } finally {
      this.isRunning = false;
    }
  }
}
