// hub.property.test.ts — Hub against a naive model, over random schedules.
//
// fast-check drives random schedules of writes (0 to a few rings long, into
// rings of 1..64 bytes so wraparound is everywhere), takes (shared copies,
// random maxBytes), joins (backlog or new), leaves, pacing switches, clears,
// ends and reopens. The model is the whole stream as a plain array, a cursor per
// reader, and the eof marks each reader is owed. Every step checks what the
// hub said against the model; the end of a run drains every reader and checks
// the properties of SPEC §2 as a whole:
//   - a reader gets exactly the stream after it joined, with exactly the
//     ranges it was told it lost (fast) and the ranges clear() dropped
//     removed, in order and unaltered;
//   - paranoid from the start: nothing is ever lost, no reader ever falls
//     behind the ring, and write() takes exactly the room;
//   - a reader that holds (a session's stdin) never loses a byte in fast
//     mode either: write() takes exactly the room the holders have freed;
//   - every end of stream a reader joined before reaches it once, in place,
//     even when the ring lapped it there; clear() drops what a reader has
//     not taken, ends of earlier runs included;
//   - the hub never holds more than its capacity.
// Written bytes are a hash of their absolute offset, so a byte delivered from
// the wrong place (a lap early, one off) does not look right by accident.
// IO_FUZZ_RUNS sets the number of runs per property (default 100):
// IO_FUZZ_RUNS=100000 npx vitest run --project unit hub.property

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { Hub } from '../../src/core/hub.js';
import type { OutputId, Pacing } from '../../src/core/hub.js';

type Op =
  | { t: 'write'; len: number }
  | { t: 'take'; r: number; max: number }
  | { t: 'join'; fromNew: boolean; holds: boolean }
  | { t: 'leave'; r: number }
  | { t: 'pacing'; mode: Pacing }
  | { t: 'clear' }
  | { t: 'end' }
  | { t: 'reopen' };

type Range = [from: number, to: number];

interface Reader {
  id: OutputId;
  joinedAt: number;
  cursor: number;
  /** Eof marks this reader is owed, ascending, all >= cursor. */
  pending: number[];
  received: number[];
  lost: Range[];
  cleared: Range[];
  lostTotal: number;
  isLive: boolean;
  /** Writers wait for it in fast mode too. */
  holds: boolean;
}

const byteAt = (k: number): number => {
  let x = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x & 0xff;
};

/** How often the schedules reached each case, so the properties are not vacuous. */
const reached = new Map<string, number>();
const note = (what: string): void => void reached.set(what, (reached.get(what) ?? 0) + 1);

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

function same(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: got ${String(actual)}, want ${String(expected)}`);
}

/** The hub and its model, stepped together. */
class Sim {
  readonly hub: Hub;
  readonly cap: number;
  mode: Pacing;
  readonly stream: number[] = [];
  clearedAt = 0;
  isEnded = false;
  isWaiting = false;
  wantRooms = 0;
  gotRooms = 0;
  wantData = 0;
  gotData = 0;
  readonly readers: Reader[] = [];
  everLost = false;
  everBehind = false;

  constructor(cap: number, mode: Pacing) {
    this.cap = cap;
    this.mode = mode;
    this.hub = new Hub(0, { bufferBytes: cap, pacing: mode });
    this.hub.onRoom(() => this.gotRooms++);
    this.hub.onData(() => this.gotData++);
  }

  get end(): number {
    return this.stream.length;
  }

  get start(): number {
    return Math.max(this.clearedAt, this.end - this.cap);
  }

  live(): Reader[] {
    return this.readers.filter((r) => r.isLive);
  }

  pick(i: number): Reader | undefined {
    const live = this.live();
    return live[i % Math.max(1, live.length)];
  }

  /** The room writes may take: what every reader (paranoid) or every holding reader (fast) has freed. */
  room(): number {
    const live = this.live().filter((r) => this.mode === 'paranoid' || r.holds);
    if (live.length === 0) return Infinity;
    const slowest = Math.min(...live.map((r) => r.cursor));
    return this.cap - (this.end - Math.max(slowest, this.start));
  }

  step(op: Op): void {
    switch (op.t) {
      case 'write': return this.write(op.len);
      case 'take': return this.take(op.r, op.max);
      case 'join': return this.join(op.fromNew, op.holds);
      case 'leave': return this.leave(op.r);
      case 'pacing': return this.pace(op.mode);
      case 'clear': return this.clear();
      case 'end': return this.endStream();
      case 'reopen': return this.reopen();
    }
  }

  write(len: number): void {
    const data = Buffer.alloc(len);
    for (let i = 0; i < len; i++) data[i] = byteAt(this.end + i);
    const want = len === 0 ? 0 : Math.min(len, this.room());
    const n = this.hub.write(data);
    same(n, want, `write(${len}) took`);
    if (n < len) {
      this.isWaiting = true;
      note(this.mode === 'paranoid' ? 'short paranoid write' : 'short held write');
    }
    if (n > 0) {
      this.isEnded = false;
      for (let i = 0; i < n; i++) this.stream.push(byteAt(this.end));
      this.wantData++;
    }
  }

  take(index: number, max: number): void {
    const r = this.pick(index);
    if (!r) return;
    const t = this.hub.take(r.id, max);
    const data = t.data ?? Buffer.alloc(0);
    check(t.data === null || t.data.length > 0, 'take: an empty Buffer instead of null');
    const { lostBytes, eof } = t;
    const what = `reader ${r.id} take(${max}) at ${r.cursor}`;

    // A reader the ring has lapped jumps to the oldest byte held, or to an
    // end mark it is owed inside the lost bytes, and is told exactly how far.
    let to = r.cursor;
    if (r.cursor < this.start) {
      const mark = r.pending[0];
      to = mark !== undefined && mark < this.start ? mark : this.start;
    }
    same(lostBytes, to - r.cursor, `${what}: lostBytes`);
    if (lostBytes > 0) {
      r.lost.push([r.cursor, to]);
      r.lostTotal += lostBytes;
      this.everLost = true;
      note(r.pending[0] === to ? 'lapped across an end' : 'lapped');
    }
    r.cursor = to;

    const stop = Math.min(r.pending[0] ?? this.end, r.cursor + max);
    const most = Math.max(0, stop - r.cursor);
    check(most === 0 ? data.length === 0 : data.length >= 1 && data.length <= most, `${what}: ${data.length} bytes, want 1..${most}`);
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== this.stream[r.cursor + i]) throw new Error(`${what}: byte ${r.cursor + i} is ${data[i]}, want ${this.stream[r.cursor + i]}`);
      r.received.push(data[i]!);
    }
    r.cursor += data.length;
    const owed = r.pending[0] === r.cursor;
    same(eof, owed, `${what}: eof`);
    if (owed) {
      r.pending.shift();
      note('eof');
    }
  }

  join(fromNew: boolean, holds: boolean): void {
    const id = this.hub.addOutput(`r${this.readers.length}`, 'out', fromNew ? 'new' : 'backlog', { holds });
    const at = fromNew ? this.end : this.start;
    this.readers.push({
      id, joinedAt: at, cursor: at, pending: this.isEnded ? [this.end] : [],
      received: [], lost: [], cleared: [], lostTotal: 0, isLive: true, holds,
    });
  }

  leave(index: number): void {
    const r = this.pick(index);
    if (!r) return;
    this.hub.removeOutput(r.id);
    r.isLive = false;
  }

  pace(mode: Pacing): void {
    this.hub.pacing = mode;
    this.mode = mode;
  }

  clear(): void {
    this.hub.clear();
    for (const r of this.live()) {
      if (r.cursor < this.end) {
        r.cleared.push([r.cursor, this.end]);
        note('clear dropped unread bytes');
      }
      r.cursor = Math.max(r.cursor, this.end);
      r.pending = r.pending.filter((m) => m >= this.end);
    }
    this.clearedAt = this.end;
  }

  endStream(): void {
    this.hub.end();
    if (this.isEnded) return;
    this.isEnded = true;
    this.wantData++;
    for (const r of this.live()) r.pending.push(this.end);
  }

  /** A new writer takes over an ended stream: readers that join now are owed no old end. */
  reopen(): void {
    this.hub.reopen();
    this.isEnded = false;
  }

  /** What must hold after every step. */
  invariants(): void {
    if (this.isWaiting && this.room() > 0) {
      this.isWaiting = false;
      this.wantRooms++;
      note('room');
    }
    same(this.gotRooms, this.wantRooms, 'room events');
    same(this.gotData, this.wantData, 'data events');
    const v = this.hub.view();
    check(v.heldBytes <= this.cap, `held ${v.heldBytes} > capacity ${this.cap}`);
    same(v.heldBytes, this.end - this.start, 'heldBytes');
    same(v.bytesIn, this.end, 'bytesIn');
    same(v.ended, this.isEnded, 'ended');
    same(v.pacing, this.mode, 'pacing');
    const live = this.live();
    same(v.outputs.length, live.length, 'outputs');
    for (const [i, r] of live.entries()) {
      const o = v.outputs[i];
      same(o?.id, r.id, 'output order');
      same(o?.lagBytes, this.end - r.cursor, `reader ${r.id} lagBytes`);
      same(o?.lostBytes, r.lostTotal, `reader ${r.id} lostBytes`);
      same(this.hub.hasPending(r.id), r.cursor < this.end || r.pending[0] === r.cursor, `reader ${r.id} hasPending`);
      let at = r.cursor;
      if (at < this.start) at = r.pending[0] !== undefined && r.pending[0] < this.start ? r.pending[0] : this.start;
      same(this.hub.available(r.id), (r.pending[0] ?? this.end) - at, `reader ${r.id} available`);
      if (r.cursor < this.start) this.everBehind = true;
    }
  }

  /** Take everything left, for every live reader. */
  drain(): void {
    for (const r of this.live()) {
      // Every take moves a reader on by a byte, a gap or an eof at least.
      const most = 2 * r.pending.length + (this.end - r.cursor) + 2;
      for (let guard = 0; r.cursor < this.end || r.pending.length > 0; guard++) {
        check(guard < most, `reader ${r.id} does not drain`);
        this.take(this.live().indexOf(r), Infinity);
      }
    }
    this.invariants();
  }

  /** A reader got the stream from its join, minus what it was told it lost and what clear() dropped. */
  delivered(): void {
    for (const r of this.readers) {
      const gone = [...r.lost, ...r.cleared];
      const want: number[] = [];
      for (let k = r.joinedAt; k < r.cursor; k++) if (!gone.some(([a, b]) => k >= a && k < b)) want.push(this.stream[k]!);
      same(r.received.length, want.length, `reader ${r.id} bytes received`);
      const clearedTotal = r.cleared.reduce((n, [a, b]) => n + b - a, 0);
      same(r.received.length + r.lostTotal + clearedTotal, r.cursor - r.joinedAt, `reader ${r.id} received + lost + cleared`);
      for (let i = 0; i < want.length; i++) same(r.received[i], want[i], `reader ${r.id} byte ${i}`);
    }
  }
}

function run(cap: number, mode: Pacing, ops: Op[]): Sim {
  const sim = new Sim(cap, mode);
  for (const [i, op] of ops.entries()) {
    try {
      sim.step(op);
      sim.invariants();
    } catch (err) {
      throw new Error(`step ${i} ${JSON.stringify(op)}: ${(err as Error).message}`);
    }
  }
  sim.drain();
  sim.delivered();
  return sim;
}

const capArb = fc.integer({ min: 1, max: 64 });
const maxArb = fc.oneof(fc.integer({ min: 0, max: 80 }), fc.constant(Infinity));
const lenArb = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 200 }));

/** Schedules; withHolds: a joining reader holds one time in three (else never). */
function opsArb(withPacing: boolean, withHolds = false): fc.Arbitrary<Op[]> {
  const holdsArb = withHolds ? fc.integer({ min: 0, max: 2 }).map((n) => n === 0) : fc.constant(false);
  const joinArb = fc.tuple(fc.boolean(), holdsArb).map(([fromNew, holds]): Op => ({ t: 'join', fromNew, holds }));
  const arbs: fc.WeightedArbitrary<Op>[] = [
    { weight: 6, arbitrary: lenArb.map((len): Op => ({ t: 'write', len })) },
    { weight: 6, arbitrary: fc.record({ r: fc.nat(7), max: maxArb }).map((x): Op => ({ t: 'take', ...x })) },
    { weight: 2, arbitrary: joinArb },
    { weight: 1, arbitrary: fc.nat(7).map((r): Op => ({ t: 'leave', r })) },
    { weight: 1, arbitrary: fc.constant<Op>({ t: 'clear' }) },
    { weight: 1, arbitrary: fc.constant<Op>({ t: 'end' }) },
    { weight: 1, arbitrary: fc.constant<Op>({ t: 'reopen' }) },
  ];
  if (withPacing) arbs.push({ weight: 1, arbitrary: fc.constantFrom<Pacing>('fast', 'paranoid').map((mode): Op => ({ t: 'pacing', mode })) });
  // Most schedules start with a reader or two, so there is someone to lap.
  return fc.tuple(fc.array(joinArb, { maxLength: 3 }), fc.array(fc.oneof(...arbs), { maxLength: 100, size: 'max' }))
    .map(([joins, rest]) => [...joins, ...rest]);
}

const runs = Number(process.env['IO_FUZZ_RUNS']);
const params: { numRuns?: number } = Number.isSafeInteger(runs) && runs > 0 ? { numRuns: runs } : {};
// A run takes well under a millisecond; a long IO_FUZZ_RUNS gets the time it needs.
const timeoutMs = 10_000 + 2 * (params.numRuns ?? 0);

describe('Hub against a model', () => {
  it('paranoid from the start: every reader gets exactly what was written after it joined, minus clears; nothing lost', () => {
    fc.assert(
      fc.property(capArb, opsArb(false), (cap, ops) => {
        const sim = run(cap, 'paranoid', ops);
        check(!sim.everLost, 'a paranoid reader lost bytes');
        check(!sim.everBehind, 'a paranoid reader fell behind the ring');
        for (const r of sim.readers) check(r.lost.length === 0, `reader ${r.id} lost bytes`);
      }),
      params,
    );
  }, timeoutMs);

  it('fast: received bytes are the stream with exactly the reported lost ranges removed', () => {
    fc.assert(
      fc.property(capArb, opsArb(false), (cap, ops) => {
        run(cap, 'fast', ops);
      }),
      params,
    );
  }, timeoutMs);

  it('fast with readers that hold (a session\'s stdin): they lose nothing, writes take exactly their room; the others are skipped as ever', () => {
    fc.assert(
      fc.property(capArb, opsArb(true, true), (cap, ops) => {
        const sim = run(cap, 'fast', ops);
        for (const r of sim.readers) if (r.holds) check(r.lost.length === 0, `holding reader ${r.id} lost bytes`);
      }),
      params,
    );
  }, timeoutMs);

  it('pacing switched at random: the model holds through every switch', () => {
    fc.assert(
      fc.property(capArb, fc.constantFrom<Pacing>('fast', 'paranoid'), opsArb(true), (cap, mode, ops) => {
        run(cap, mode, ops);
      }),
      params,
    );
  }, timeoutMs);

  it.skipIf(params.numRuns !== undefined && params.numRuns < 100)('the schedules above reached every case', () => {
    const cases = ['short paranoid write', 'short held write', 'room', 'lapped', 'lapped across an end', 'eof', 'clear dropped unread bytes'];
    for (const what of cases) check((reached.get(what) ?? 0) > 0, `no schedule reached: ${what}`);
  });
});
