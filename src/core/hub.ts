// hub.ts — one hub: a ring of bytes with any number of inputs and outputs.
//
// Every output keeps its own absolute offset into the stream. In fast mode a
// write never waits: an output that falls a whole ring behind is moved to the
// oldest byte still held and told exactly how many bytes it lost (a gap). In
// paranoid mode write() takes only the room every output has freed and says
// how much it took; the caller pauses its source and retries on 'room'.
// An output that holds (a session's stdin: it cannot be told of a gap, and a
// paste must arrive whole) is waited for in fast mode too, as a pipe's writer
// waits for its reader; the other outputs of its hub are still skipped ahead.
//
// End of stream is a mark at an offset (marks.ts): outputs get the bytes
// before it, then eof. A later write starts the stream again; outputs that
// joined before the mark still see it, outputs that join after do not.
//
// No I/O here: no sockets, no timers. Transports pull with take(); pace is a
// number the transport's timer reads; the server wires 'room' to resume().

import { EndMarks } from './marks.js';
import { Ring } from './ring.js';

export type Pacing = 'fast' | 'paranoid';
export type OutputKind = 'out' | 'err';
export type OutputId = number;
export type InputId = number;

export const DEFAULT_BUFFER_BYTES = 512 * 1024;

/** What one take() hands an output: bytes that later writes cannot touch (null: none). */
export interface Take {
  data: Buffer | null;
  /** Bytes this output lost (fast mode overrun) just before these bytes. */
  lostBytes: number;
  /** The stream ended after these bytes. */
  eof: boolean;
}

export interface OutputView {
  id: OutputId;
  name: string;
  kind: OutputKind;
  lagBytes: number;
  lostBytes: number;
}

export interface HubView {
  hub: number;
  pacing: Pacing;
  paceMs: number;
  bufferBytes: number;
  heldBytes: number;
  bytesIn: number;
  ended: boolean;
  inputs: { id: InputId; name: string }[];
  outputs: OutputView[];
}

interface Output {
  id: OutputId;
  name: string;
  kind: OutputKind;
  pos: number;
  /** The first eof mark (by number) for this output: ends made before it joined, or already seen, are not. */
  firstMark: number;
  lostTotal: number;
  /** Writers wait for it whatever the pacing. */
  holds: boolean;
  /** The server's own (the mode tracker): not counted or listed. */
  hidden: boolean;
}

export interface OutputOptions {
  /** Writers wait for this output in fast mode too: it is never skipped ahead (a session's stdin). */
  holds?: boolean;
  /** Not counted in outputCount nor listed in view(): the server's own reader. */
  hidden?: boolean;
}

type Listener = () => void;

export interface HubOptions {
  bufferBytes?: number;
  pacing?: Pacing;
  paceMs?: number;
}

export class Hub {
  readonly id: number;
  paceMs: number;
  private readonly ring: Ring;
  private mode: Pacing;
  private readonly outputs = new Map<OutputId, Output>();
  private readonly inputs = new Map<InputId, string>();
  private nextId = 1;
  /** Outputs that hold writers in fast mode, and hidden outputs. */
  private holding = 0;
  private hidden = 0;
  private readonly marks = new EndMarks();
  private isEnded = false;
  private isWaitingForRoom = false;
  private readonly roomListeners = new Set<Listener>();
  private readonly dataListeners = new Set<Listener>();
  private copyMemo: { from: number; to: number; data: Buffer } | null = null;

  constructor(id: number, opts: HubOptions = {}) {
    this.id = id;
    this.ring = new Ring(opts.bufferBytes ?? DEFAULT_BUFFER_BYTES);
    this.mode = opts.pacing ?? 'fast';
    this.paceMs = opts.paceMs ?? 0;
  }

  get pacing(): Pacing {
    return this.mode;
  }

  /** Switch pacing at any time; going fast releases a waiting writer. */
  set pacing(mode: Pacing) {
    this.mode = mode;
    this.checkRoom();
  }

  get bufferBytes(): number {
    return this.ring.capacity;
  }

  /** Offset of the oldest byte held. */
  get start(): number {
    return this.ring.start;
  }

  /** Offset one past the newest byte: every byte ever taken in. */
  get bytesIn(): number {
    return this.ring.end;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  /** A writer is waiting for room (paranoid, or for an output that holds). */
  get isBlocked(): boolean {
    return this.isWaitingForRoom;
  }

  /** Outputs, not counting hidden ones. */
  get outputCount(): number {
    return this.outputs.size - this.hidden;
  }

  get inputCount(): number {
    return this.inputs.size;
  }

  /** A new output, at the backlog (oldest byte held) or, with 'new', at the newest. */
  addOutput(name: string, kind: OutputKind = 'out', from: 'backlog' | 'new' = 'backlog', opts: OutputOptions = {}): OutputId {
    const id = this.nextId++;
    // A stream that has ended shows its end to a newcomer; the ends of earlier
    // runs of a stream that started again (a write, reopen()) do not. Marks go
    // by number, not offset: a reopened stream may end again at the same
    // offset, and a newcomer is owed that end but not the old one.
    const firstMark = this.marks.firstFor(this.isEnded);
    const pos = from === 'new' ? this.ring.end : this.ring.start;
    const holds = opts.holds === true;
    const hidden = opts.hidden === true;
    this.outputs.set(id, { id, name, kind, pos, firstMark, lostTotal: 0, holds, hidden });
    if (holds) this.holding++;
    if (hidden) this.hidden++;
    return id;
  }

  /** A detached output stops holding room; the last one takes the shared copy with it. */
  removeOutput(out: OutputId): void {
    const o = this.outputs.get(out);
    if (!o) return;
    this.outputs.delete(out);
    if (o.holds) this.holding--;
    if (o.hidden) this.hidden--;
    // Nobody is left to hand it to: without this a hub whose readers have all
    // gone would hold its last written chunk (up to a socket read, 64 KiB) until the next write.
    if (this.outputs.size === 0) this.copyMemo = null;
    this.checkRoom();
  }

  /** The stream offset of this output's next byte (undefined once it is gone). */
  positionOf(out: OutputId): number | undefined {
    return this.outputs.get(out)?.pos;
  }

  hasOutput(out: OutputId): boolean {
    return this.outputs.has(out);
  }

  addInput(name: string): InputId {
    const id = this.nextId++;
    this.inputs.set(id, name);
    return id;
  }

  removeInput(input: InputId): void {
    this.inputs.delete(input);
  }

  /**
   * Take in bytes; returns how many were taken. Fast: all of them, or the
   * room the outputs that hold have freed. Paranoid: only the room every
   * output has freed. When short, 'room' fires later.
   *
   * While it has outputs the hub keeps a reference to what it took, and hands
   * it uncopied to an output that was at the end when it came (take): the
   * caller must not change those bytes afterwards (a socket's or a pty's read
   * buffer is never reused, so none of io's writers do).
   */
  write(bytes: Uint8Array): number {
    if (bytes.length === 0) return 0;
    let n = bytes.length;
    if (this.isPaced()) {
      n = Math.min(n, this.room());
      if (n < bytes.length) this.isWaitingForRoom = true;
      if (n === 0) return 0;
    }
    if (this.isEnded) this.restart();
    const taken = n === bytes.length ? bytes : bytes.subarray(0, n);
    this.ring.write(taken);
    if (n <= this.ring.capacity && this.outputs.size > 0) this.copyMemo = { from: this.ring.end - n, to: this.ring.end, data: Buffer.isBuffer(taken) ? taken : Buffer.from(taken.buffer, taken.byteOffset, n) };
    if (this.dataListeners.size !== 0) for (const fn of this.dataListeners) fn();
    return n;
  }

  /** Bytes a write may take now: the room every output (paranoid) or every holding output (fast) has freed; Infinity when none holds room. */
  room(): number {
    if (!this.isPaced()) return Infinity;
    const all = this.mode === 'paranoid';
    let min = this.ring.end;
    for (const o of this.outputs.values()) if ((all || o.holds) && o.pos < min) min = o.pos;
    return this.ring.capacity - (this.ring.end - Math.max(min, this.ring.start));
  }

  /** Writes wait for some output: paranoid with outputs, or an output that holds. */
  private isPaced(): boolean {
    return this.mode === 'paranoid' ? this.outputs.size > 0 : this.holding > 0;
  }

  /** Bytes ready for this output now (0 when it is at the end or at an eof mark). */
  available(out: OutputId): number {
    const o = this.outputs.get(out);
    if (!o) return 0;
    const pos = o.pos < this.ring.start ? this.skipTo(o) : o.pos;
    return this.stopFor(o, pos) - pos;
  }

  /** True when take() would hand this output bytes, a gap or an eof. */
  hasPending(out: OutputId): boolean {
    const o = this.outputs.get(out);
    if (!o) return false;
    if (o.pos < this.ring.start || o.pos < this.ring.end) return true;
    return this.marks.next(o.firstMark, o.pos)?.at === o.pos;
  }

  /**
   * Up to maxBytes for this output, in one Buffer that later writes cannot
   * touch. Outputs that move in step share one copy: bytes at an offset never
   * change, so a copy of [from, to) stays true for everyone.
   */
  take(out: OutputId, maxBytes: number): Take {
    const o = this.outputs.get(out);
    if (!o) return { data: null, lostBytes: 0, eof: false };
    const lostBytes = this.skipLost(o);
    let stop = Math.min(this.stopFor(o, o.pos), o.pos + (maxBytes > 0 ? maxBytes : 0));
    let data: Buffer | null = null;
    const memo = this.copyMemo;
    if (memo && memo.from === o.pos && memo.to <= stop && memo.to > memo.from) {
      stop = memo.to;
      data = memo.data;
    } else if (stop > o.pos) {
      const chunks = this.ring.read(o.pos, stop - o.pos);
      data = chunks.length === 1 ? Buffer.from(chunks[0]!) : Buffer.concat(chunks);
      this.copyMemo = { from: o.pos, to: stop, data };
    }
    const eof = this.advance(o, stop);
    return { data, lostBytes, eof };
  }

  /** Empty the hub: outputs move to the newest byte, nothing counts as lost. */
  clear(): void {
    this.ring.clear();
    for (const o of this.outputs.values()) if (o.pos < this.ring.end) o.pos = this.ring.end;
    this.copyMemo = null;
    this.checkRoom();
  }

  /** End of stream: outputs get what they have not taken, then eof. */
  end(): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.marks.add(this.ring.end);
    for (const fn of this.dataListeners) fn();
  }

  /**
   * A new writer takes over an ended hub (a new session on an old trihub):
   * the stream runs again, so readers that join now do not see the old end.
   */
  reopen(): void {
    if (this.isEnded) this.restart();
  }

  /** Called when bytes may be written again after a short paranoid write. */
  onRoom(listener: Listener): () => void {
    this.roomListeners.add(listener);
    return () => this.roomListeners.delete(listener);
  }

  /** Called after every write and at end of stream: outputs may have something to take. */
  onData(listener: Listener): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  view(): HubView {
    const outputs: OutputView[] = [];
    for (const o of this.outputs.values()) {
      if (o.hidden) continue;
      outputs.push({ id: o.id, name: o.name, kind: o.kind, lagBytes: this.ring.end - o.pos, lostBytes: o.lostTotal });
    }
    return {
      hub: this.id,
      pacing: this.mode,
      paceMs: this.paceMs,
      bufferBytes: this.ring.capacity,
      heldBytes: this.ring.size,
      bytesIn: this.ring.end,
      ended: this.isEnded,
      inputs: [...this.inputs].map(([id, name]) => ({ id, name })),
      outputs,
    };
  }

  /** Move an overrun output to the oldest byte held; return what it lost. */
  private skipLost(o: Output): number {
    if (o.pos >= this.ring.start) return 0;
    const to = this.skipTo(o);
    const lost = to - o.pos;
    o.pos = to;
    o.lostTotal += lost;
    return lost;
  }

  /**
   * Where an overrun output lands: the oldest byte held, unless an end of
   * stream it is owed lies in the lost bytes. Then it stops at that mark, so
   * take() hands it the gap before the mark and the eof; the next take() the
   * gap after. The output that joined before the end sees it, lapped or not.
   */
  private skipTo(o: Output): number {
    const mark = this.marks.next(o.firstMark, o.pos);
    return mark !== undefined && mark.at < this.ring.start ? mark.at : this.ring.start;
  }

  /** Where this output's next read must stop: the next eof mark for it, or the end. */
  private stopFor(o: Output, pos: number): number {
    if (this.marks.isEmpty) return this.ring.end;
    const mark = this.marks.next(o.firstMark, pos);
    return mark === undefined ? this.ring.end : mark.at;
  }

  /** Move the output to `stop`; true when it reached an eof mark meant for it. */
  private advance(o: Output, stop: number): boolean {
    const moved = stop > o.pos;
    o.pos = stop;
    const mark = this.marks.isEmpty ? undefined : this.marks.next(o.firstMark, stop);
    const eof = mark !== undefined && mark.at === stop;
    if (eof) o.firstMark = mark.n + 1;
    if (moved && this.isWaitingForRoom) this.checkRoom();
    return eof;
  }

  /** A write after the end starts the stream again; forget marks nobody will see. */
  private restart(): void {
    this.isEnded = false;
    this.marks.keepOwed(this.outputs.values());
  }

  private checkRoom(): void {
    if (!this.isWaitingForRoom) return;
    if (this.room() <= 0) return;
    this.isWaitingForRoom = false;
    for (const fn of this.roomListeners) fn();
  }
}
