// hub.test.ts — Hub: one plain example per rule of SPEC §2.
//
// Backlog and 'new' starts, a position per reader, fast (never refuse; an
// overrun reader is told the exact loss, others unaffected), paranoid (take
// only the room; 'room' when the slowest reader moves, leaves, or pacing goes
// fast), clear, end of stream and restart, take's shared copy, view().
// Random schedules against a model are in hub.property.test.ts.

import { describe, expect, it } from 'vitest';
import { DEFAULT_BUFFER_BYTES, Hub } from '../../src/core/hub.js';
import type { OutputId, Take } from '../../src/core/hub.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
/** Bytes in a memory of their own (Buffer.from may share a pool with other Buffers). */
const unpooled = (text: string): Buffer => Buffer.from(Uint8Array.from(bytes(text)).buffer);

/** A take, with its chunks as one string for easy comparison. */
function takeText(hub: Hub, out: OutputId, maxBytes = Infinity): { text: string; lostBytes: number; eof: boolean } {
  const t: Take = hub.take(out, maxBytes);
  return { text: t.data?.toString('latin1') ?? '', lostBytes: t.lostBytes, eof: t.eof };
}

const got = (text: string, lostBytes = 0, eof = false) => ({ text, lostBytes, eof });

describe('Hub', () => {
  it('defaults: fast, 512 KiB, pace 0', () => {
    const hub = new Hub(3);
    expect([hub.id, hub.pacing, hub.bufferBytes, hub.paceMs]).toEqual([3, 'fast', DEFAULT_BUFFER_BYTES, 0]);
    expect(DEFAULT_BUFFER_BYTES).toBe(512 * 1024);
  });

  it('a new reader starts at the oldest byte held (backlog)', () => {
    const hub = new Hub(0, { bufferBytes: 4 });
    hub.write(bytes('abcdef'));
    const out = hub.addOutput('late');
    expect(takeText(hub, out)).toEqual(got('cdef'));
  });

  it("addOutput(..., 'new') starts at the newest byte", () => {
    const hub = new Hub(0, { bufferBytes: 8 });
    hub.write(bytes('old'));
    const out = hub.addOutput('now', 'out', 'new');
    expect(takeText(hub, out)).toEqual(got(''));
    hub.write(bytes('fresh'));
    expect(takeText(hub, out)).toEqual(got('fresh'));
  });

  it('each reader has its own position', () => {
    const hub = new Hub(0, { bufferBytes: 16 });
    const a = hub.addOutput('a');
    const b = hub.addOutput('b');
    hub.write(bytes('hello'));
    expect(takeText(hub, b, 4)).toEqual(got('hell'));
    expect(takeText(hub, a, 2)).toEqual(got('he'));
    expect(takeText(hub, a)).toEqual(got('llo'));
    hub.write(bytes('!'));
    expect(takeText(hub, b)).toEqual(got('o!'));
    expect(takeText(hub, a)).toEqual(got('!'));
    expect(hub.available(a)).toBe(0);
  });

  it('fast: a write never refuses; an overrun reader jumps to the oldest byte, told the exact loss; others unaffected', () => {
    const hub = new Hub(0, { bufferBytes: 4, pacing: 'fast' });
    const slow = hub.addOutput('slow');
    const quick = hub.addOutput('quick');
    for (const piece of ['abc', 'def', 'ghi']) {
      expect(hub.write(bytes(piece))).toBe(3);
      expect(takeText(hub, quick)).toEqual(got(piece));
    }
    // 9 bytes in, the ring holds the last 4 (fghi): slow lost abcde.
    expect(hub.view().outputs.find((o) => o.id === slow)?.lagBytes).toBe(9);
    expect(takeText(hub, slow)).toEqual(got('fghi', 5));
    expect(takeText(hub, slow)).toEqual(got(''));
    expect(hub.view().outputs.find((o) => o.id === slow)?.lostBytes).toBe(5);
    expect(hub.view().outputs.find((o) => o.id === quick)?.lostBytes).toBe(0);
  });

  it('paranoid: write takes only the room, returns the count; onRoom fires when the slowest reader takes', () => {
    const hub = new Hub(0, { bufferBytes: 4, pacing: 'paranoid' });
    const slow = hub.addOutput('slow');
    const quick = hub.addOutput('quick');
    let rooms = 0;
    hub.onRoom(() => rooms++);
    expect(hub.room()).toBe(4);
    expect(hub.write(bytes('abcdef'))).toBe(4);
    expect(hub.room()).toBe(0);
    expect(hub.write(bytes('ef'))).toBe(0);
    expect(takeText(hub, quick)).toEqual(got('abcd'));
    expect(rooms).toBe(0); // the slow reader still holds the room
    expect(takeText(hub, slow, 1)).toEqual(got('a'));
    expect(rooms).toBe(1);
    expect(hub.room()).toBe(1);
    expect(hub.write(bytes('ef'))).toBe(1);
    expect(takeText(hub, slow)).toEqual(got('bcde'));
    expect(takeText(hub, quick)).toEqual(got('e'));
    expect(hub.view().outputs.map((o) => o.lostBytes)).toEqual([0, 0]);
  });

  it('fast, with an output that holds: writes wait for it alone; the others are still skipped ahead, and told', () => {
    const hub = new Hub(0, { bufferBytes: 4, pacing: 'fast' });
    const stdin = hub.addOutput('session', 'out', 'new', { holds: true });
    const watcher = hub.addOutput('watcher');
    let rooms = 0;
    hub.onRoom(() => rooms++);
    expect(hub.room()).toBe(4);
    expect(hub.write(bytes('abcdef'))).toBe(4);
    expect(hub.isBlocked).toBe(true);
    expect(takeText(hub, stdin, 3)).toEqual(got('abc'));
    expect(rooms).toBe(1); // the watcher, behind as far, holds nothing
    expect(hub.write(bytes('efg'))).toBe(3);
    expect(takeText(hub, watcher)).toEqual(got('defg', 3));
    expect(takeText(hub, stdin)).toEqual(got('defg'));
    expect(hub.view().outputs.map((o) => o.lostBytes)).toEqual([0, 3]);
    // gone, it holds nothing: fast again for everyone
    hub.removeOutput(stdin);
    expect(hub.room()).toBe(Infinity);
    expect(hub.write(bytes('hijklm'))).toBe(6);
  });

  it('with an output that holds: going paranoid and back keeps the writer waiting for it; clear() lets it go; a leaving non-holder frees nothing', () => {
    const hub = new Hub(0, { bufferBytes: 4, pacing: 'fast' });
    const stdin = hub.addOutput('session', 'out', 'new', { holds: true });
    const other = hub.addOutput('other');
    let rooms = 0;
    hub.onRoom(() => rooms++);
    expect(hub.write(bytes('abcdef'))).toBe(4);
    hub.pacing = 'paranoid';
    hub.pacing = 'fast';
    expect(rooms).toBe(0); // the holder has taken nothing: still no room
    hub.removeOutput(other);
    expect(rooms).toBe(0);
    hub.clear();
    expect(rooms).toBe(1);
    expect(hub.write(bytes('gh'))).toBe(2);
    expect(takeText(hub, stdin)).toEqual(got('gh'));
  });

  it('a hidden output (the server\'s own) is neither counted nor listed', () => {
    const hub = new Hub(1, { bufferBytes: 4, pacing: 'paranoid' });
    const modes = hub.addOutput('modes', 'out', 'new', { hidden: true });
    const reader = hub.addOutput('reader');
    expect(hub.outputCount).toBe(1);
    expect(hub.view().outputs.map((o) => o.name)).toEqual(['reader']);
    hub.removeOutput(modes);
    hub.removeOutput(reader);
    expect(hub.outputCount).toBe(0);
  });

  it('paranoid with no readers takes everything', () => {
    const hub = new Hub(0, { bufferBytes: 4, pacing: 'paranoid' });
    expect(hub.room()).toBe(Infinity);
    expect(hub.write(bytes('abcdef'))).toBe(6);
    expect(takeText(hub, hub.addOutput('late'))).toEqual(got('cdef'));
  });

  it('a reader that leaves stops holding room (onRoom fires)', () => {
    const hub = new Hub(0, { bufferBytes: 4, pacing: 'paranoid' });
    const gone = hub.addOutput('gone');
    const stay = hub.addOutput('stay');
    let rooms = 0;
    hub.onRoom(() => rooms++);
    expect(hub.write(bytes('abcdef'))).toBe(4);
    takeText(hub, stay);
    expect(rooms).toBe(0);
    hub.removeOutput(gone);
    expect(hub.hasOutput(gone)).toBe(false);
    expect(rooms).toBe(1);
    expect(hub.write(bytes('ef'))).toBe(2);
  });

  it('switching paranoid to fast releases a waiting writer', () => {
    const hub = new Hub(0, { bufferBytes: 2, pacing: 'paranoid' });
    const out = hub.addOutput('stuck');
    let rooms = 0;
    hub.onRoom(() => rooms++);
    expect(hub.write(bytes('abc'))).toBe(2);
    hub.pacing = 'fast';
    expect(rooms).toBe(1);
    expect(hub.pacing).toBe('fast');
    expect(hub.write(bytes('cde'))).toBe(3);
    expect(takeText(hub, out)).toEqual(got('de', 3));
  });

  it('onRoom returns its unsubscribe', () => {
    const hub = new Hub(0, { bufferBytes: 1, pacing: 'paranoid' });
    const out = hub.addOutput('r');
    let rooms = 0;
    const off = hub.onRoom(() => rooms++);
    hub.write(bytes('ab'));
    off();
    takeText(hub, out);
    expect(rooms).toBe(0);
  });

  it('clear moves readers to the newest byte; no loss is reported', () => {
    const hub = new Hub(0, { bufferBytes: 4 });
    const out = hub.addOutput('r');
    hub.write(bytes('abcdef'));
    hub.clear();
    expect(hub.view().heldBytes).toBe(0);
    expect(takeText(hub, out)).toEqual(got(''));
    hub.write(bytes('g'));
    expect(takeText(hub, out)).toEqual(got('g'));
    expect(hub.view().outputs[0]?.lostBytes).toBe(0);
    expect(takeText(hub, hub.addOutput('late'))).toEqual(got('g'));
  });

  it('clear releases a waiting paranoid writer', () => {
    const hub = new Hub(0, { bufferBytes: 2, pacing: 'paranoid' });
    hub.addOutput('stuck');
    let rooms = 0;
    hub.onRoom(() => rooms++);
    hub.write(bytes('abc'));
    hub.clear();
    expect(rooms).toBe(1);
    expect(hub.room()).toBe(2);
  });

  it('end(): readers get the rest, then eof, once', () => {
    const hub = new Hub(0, { bufferBytes: 8 });
    const out = hub.addOutput('r');
    let data = 0;
    hub.onData(() => data++);
    hub.write(bytes('abc'));
    hub.end();
    hub.end();
    expect(data).toBe(2);
    expect(hub.ended).toBe(true);
    expect(hub.hasPending(out)).toBe(true);
    expect(takeText(hub, out, 2)).toEqual(got('ab'));
    expect(takeText(hub, out)).toEqual(got('c', 0, true));
    expect(hub.hasPending(out)).toBe(false);
    expect(takeText(hub, out)).toEqual(got(''));
  });

  it('a write after the end restarts: an earlier reader sees eof at the mark, then the new bytes; a later one sees no eof', () => {
    const hub = new Hub(0, { bufferBytes: 16 });
    const early = hub.addOutput('early');
    hub.write(bytes('run1'));
    hub.end();
    hub.write(bytes('run2'));
    expect(hub.ended).toBe(false);
    const late = hub.addOutput('late');
    expect(takeText(hub, early)).toEqual(got('run1', 0, true));
    expect(takeText(hub, early)).toEqual(got('run2'));
    expect(takeText(hub, late)).toEqual(got('run1run2'));
    hub.end();
    expect(takeText(hub, early)).toEqual(got('', 0, true));
    expect(takeText(hub, late)).toEqual(got('', 0, true));
  });

  it('a reader that joins after a restart sees the next end even with no bytes in between', () => {
    const hub = new Hub(0, { bufferBytes: 16 });
    const early = hub.addOutput('early'); // keeps the first mark alive
    hub.write(bytes('ab'));
    hub.end();
    hub.write(bytes('cd'));
    const late = hub.addOutput('late');
    hub.end();
    expect(takeText(hub, late)).toEqual(got('abcd', 0, true));
    expect(takeText(hub, early)).toEqual(got('ab', 0, true));
    expect(takeText(hub, early)).toEqual(got('cd', 0, true));
  });

  it('reopen(): a reader that joins after it is owed no old end; one that joined before still is', () => {
    const hub = new Hub(0, { bufferBytes: 16 });
    const early = hub.addOutput('early');
    hub.write(bytes('old'));
    hub.end();
    hub.reopen();
    expect(hub.ended).toBe(false);
    const late = hub.addOutput('late');
    expect(takeText(hub, late)).toEqual(got('old'));
    hub.end(); // the new session ended before it wrote a byte
    expect(takeText(hub, late)).toEqual(got('', 0, true));
    expect(takeText(hub, early)).toEqual(got('old', 0, true));
    expect(takeText(hub, early)).toEqual(got('', 0, true)); // two runs, two ends, one offset
    expect(takeText(hub, early)).toEqual(got(''));
  });

  it('a reader joining an ended hub gets the backlog, then eof', () => {
    const hub = new Hub(0, { bufferBytes: 4 });
    hub.write(bytes('abcdef'));
    hub.end();
    const out = hub.addOutput('late');
    expect(takeText(hub, out)).toEqual(got('cdef', 0, true));
    const now = hub.addOutput('now', 'out', 'new');
    expect(takeText(hub, now)).toEqual(got('', 0, true));
  });

  it('fast: a reader overrun past an end still gets the gap, the eof, then the gap after it', () => {
    const hub = new Hub(0, { bufferBytes: 4 });
    const out = hub.addOutput('slow');
    hub.write(bytes('0123456789'));
    hub.end();
    hub.write(bytes('abcdefghij'));
    expect(takeText(hub, out)).toEqual(got('', 10, true));
    expect(takeText(hub, out)).toEqual(got('ghij', 6));
    expect(hub.view().outputs[0]?.lostBytes).toBe(16);
  });

  it('take: a copy later writes cannot touch, shared by readers at the same position', () => {
    const hub = new Hub(0, { bufferBytes: 4 });
    const a = hub.addOutput('a');
    const b = hub.addOutput('b');
    hub.write(bytes('abcd'));
    const ta = hub.take(a, Infinity);
    const tb = hub.take(b, Infinity);
    expect(ta.data?.toString('latin1')).toBe('abcd');
    expect(tb.data).toBe(ta.data);
    hub.write(bytes('wxyz'));
    expect(ta.data?.toString('latin1')).toBe('abcd');
    expect(hub.take(a, Infinity)).toEqual({ data: bytes('wxyz'), lostBytes: 0, eof: false });
    expect(hub.take(a, Infinity)).toEqual({ data: null, lostBytes: 0, eof: false });
  });

  it('take: an output at the end when bytes came gets the written bytes themselves; one behind gets a copy', () => {
    const third = unpooled('fg');
    const hub = new Hub(0, { bufferBytes: 8 });
    const early = hub.addOutput('early');
    const first = unpooled('abc');
    hub.write(first);
    expect(hub.take(early, 8).data).toBe(first);
    const late = hub.addOutput('late');
    const second = unpooled('de');
    hub.write(second);
    expect(hub.take(early, 1).data?.toString('latin1')).toBe('d'); // less than the write: from the ring
    expect(hub.take(early, 8).data?.toString('latin1')).toBe('e');
    const behind = hub.take(late, 8).data;
    expect(behind?.toString('latin1')).toBe('abcde');
    expect(behind?.buffer).not.toBe(first.buffer);
    expect(behind?.buffer).not.toBe(second.buffer);
    hub.write(third);
    expect(hub.take(early, 8).data).toBe(third);
    expect(hub.take(late, 8).data).toBe(third);
  });

  it('take: a hub with no outputs keeps nothing of what was written but its ring', () => {
    const hub = new Hub(0, { bufferBytes: 8 });
    const written = unpooled('abc');
    hub.write(written);
    const out = hub.addOutput('after');
    const got = hub.take(out, 8).data;
    expect(got?.toString('latin1')).toBe('abc');
    expect(got?.buffer).not.toBe(written.buffer);
  });

  it('take: a hub whose last output left lets go of what was written', () => {
    const hub = new Hub(0, { bufferBytes: 8 });
    const gone = hub.addOutput('gone');
    const written = unpooled('abc');
    hub.write(written);
    hub.removeOutput(gone);
    const out = hub.addOutput('after');
    const got = hub.take(out, 8).data;
    expect(got?.toString('latin1')).toBe('abc');
    expect(got?.buffer).not.toBe(written.buffer);
  });

  it('a removed or unknown output takes nothing', () => {
    const hub = new Hub(0, { bufferBytes: 4 });
    const out = hub.addOutput('r');
    hub.write(bytes('ab'));
    hub.removeOutput(out);
    expect(hub.take(out, 10)).toEqual({ data: null, lostBytes: 0, eof: false });
    expect(hub.available(out)).toBe(0);
    expect(hub.hasPending(out)).toBe(false);
  });

  it('a take of 0, a negative or NaN maxBytes moves nothing', () => {
    const hub = new Hub(0, { bufferBytes: 8 });
    const out = hub.addOutput('r');
    hub.write(bytes('abcd'));
    expect(takeText(hub, out, 2)).toEqual(got('ab'));
    for (const max of [0, -1, Number.NaN]) {
      expect(takeText(hub, out, max)).toEqual(got(''));
      expect(hub.take(out, max)).toEqual({ data: null, lostBytes: 0, eof: false });
    }
    expect(takeText(hub, out)).toEqual(got('cd'));
  });

  it('view(): the numbers', () => {
    const hub = new Hub(7, { bufferBytes: 4, pacing: 'paranoid', paceMs: 50 });
    const input = hub.addInput('H7in1');
    const out = hub.addOutput('H7out1');
    const err = hub.addOutput('H7err1', 'err');
    hub.write(bytes('abc'));
    takeText(hub, out, 1);
    expect(hub.view()).toEqual({
      hub: 7,
      pacing: 'paranoid',
      paceMs: 50,
      bufferBytes: 4,
      heldBytes: 3,
      bytesIn: 3,
      ended: false,
      inputs: [{ id: input, name: 'H7in1' }],
      outputs: [
        { id: out, name: 'H7out1', kind: 'out', lagBytes: 2, lostBytes: 0 },
        { id: err, name: 'H7err1', kind: 'err', lagBytes: 3, lostBytes: 0 },
      ],
    });
    expect([hub.inputCount, hub.outputCount, hub.start, hub.bytesIn]).toEqual([1, 2, 0, 3]);
    hub.removeInput(input);
    expect(hub.inputCount).toBe(0);
  });

  it('pace is just a number on the hub', () => {
    const hub = new Hub(0, { paceMs: 50 });
    expect(hub.paceMs).toBe(50);
    hub.paceMs = 0;
    expect(hub.view().paceMs).toBe(0);
  });
});
