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
  /** Continuation bytes the last character of what was taken still needs (UTF-8): after() waits for them. */
  owed: number;
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
  /** afterBacklog's bytes, when the backlog ended in a character whose end is still to come: they go after it. */
  private afterPending: { bytes: Buffer; owed: number } | null = null;
  /** When the sink last filled up and has not drained since (ms since epoch), else null. */
  stalledSince: number | null = null;

  constructor(hub: Hub, output: OutputId, sink: PumpSink, opts: PumpOptions = {}) {
    this.hub = hub;
    this.output = output;
    this.sink = sink;
    this.highWaterBytes = opts.highWaterBytes ?? HIGH_WATER_BYTES;
    this.chunkBytes = opts.chunkBytes ?? PUMP_CHUNK_BYTES;
    const backlogEnd = opts.backlogEnd ?? 0;
    this.replay = backlogEnd > (hub.positionOf(output) ?? Infinity) ? { endAt: backlogEnd, filter: new QueryFilter(), after: opts.afterBacklog, owed: 0 } : null;
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
        // a gap took the rest of the character the backlog ended in: nothing more to wait for
        if (this.afterPending && t.lostBytes > 0) this.afterPending.owed = 0;
        if (this.replay) this.send(this.replayed(this.replay, t));
        else if (this.afterPending && t.data) this.send({ ...t, data: this.withAfter(t.data) });
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

  /** Bytes after a backlog that ended inside a character: its last bytes, then what goes after the backlog (once). */
  private withAfter(data: Buffer): Buffer {
    const p = this.afterPending!;
    if (data.length < p.owed) {
      p.owed -= data.length;
      return data;
    }
    this.afterPending = null;
    return Buffer.concat([data.subarray(0, p.owed), p.bytes, data.subarray(p.owed)]);
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
    if (t.lostBytes > 0) r.owed = 0;
    r.owed = utf8Owed(r.owed, data.subarray(0, split));
    if (to < r.endAt && !t.eof) return { data: r.filter.push(data), lostBytes: t.lostBytes, eof: false };
    this.replay = null;
    const pushed = r.filter.push(data.subarray(0, split));
    const held = r.filter.end();
    const after = r.after?.() ?? Buffer.alloc(0);
    const rest = data.subarray(split);
    // The backlog ends where a read of the pty stopped, which may be inside a sequence or a character:
    // what goes after it must not land between their halves. A sequence the filter held goes on after
    // it, with its end; a character's last bytes go before it.
    const done = (parts: Buffer[]): Take => ({ data: Buffer.concat(parts), lostBytes: t.lostBytes, eof: t.eof });
    if (after.length === 0) return done([pushed, held, rest]);
    if (held.length > 0) return done([pushed, after, held, rest]);
    // a character cut by the backlog's end: after() waits for its last bytes, here or in a later take
    this.afterPending = { bytes: after, owed: r.owed };
    return done([pushed, this.withAfter(rest)]);
  }
}

/**
 * The continuation bytes still owed by the last UTF-8 character after
 * `bytes`, given those owed before them. Only the last four bytes can hold
 * an unfinished character's lead.
 */
function utf8Owed(owedBefore: number, bytes: Buffer): number {
  const from = Math.max(0, bytes.length - 4);
  let owed = from > 0 ? 0 : owedBefore;
  for (let i = from; i < bytes.length; i++) {
    const c = bytes[i]!;
    if ((c & 0xc0) === 0x80) owed = Math.max(0, owed - 1);
    else owed = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
  }
  return owed;
}
