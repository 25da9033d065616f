// feed.test.ts — a paranoid Feeder against a Hub and Pumps, with no sockets.
//
// The races the benchmarks found, made deterministic: a sink whose queue
// empties without a 'drain' (Node emits 'drain' only at an empty buffer, the
// pump's mark is 256 KiB, so this happens all the time) lets a pump take
// inside the very hub.write that a Feeder is making. Before the fix the
// Feeder then waited for a 'room' that had already fired (the source stayed
// paused for good), or wrote the same head twice when 'room' re-entered it.

import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/core/hub.js';
import { Feeder } from '../../src/server/feed.js';
import { Pump } from '../../src/server/pump.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

interface Reader {
  pump: Pump;
  queued: number;
  got: number[];
}

function reader(hub: Hub, name: string, chunkBytes = 64 * 1024): Reader {
  const r = { queued: 1e9, got: [] as number[] } as Reader;
  r.pump = new Pump(hub, hub.addOutput(name), { queuedBytes: () => r.queued, data: (b) => r.got.push(...b), gap: () => {}, eof: () => {} }, { highWaterBytes: 100, chunkBytes });
  return r;
}

const bytes = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => (from + i) & 0xff);

describe('Feeder in paranoid mode', () => {
  it('does not wait for a room that came inside its own short write (lost wakeup)', async () => {
    const hub = new Hub(1, { bufferBytes: 16, pacing: 'paranoid' });
    const r = reader(hub, 'r');
    let paused = false;
    const feeder = new Feeder(hub, { pause: () => (paused = true), resume: () => (paused = false) });
    feeder.push(Buffer.alloc(12, 1)); // 12 held; the reader's sink is over its mark
    await tick();
    r.queued = 0; // the sink drained below its mark, with no event
    feeder.push(Buffer.alloc(8, 2)); // room 4: a short write, and the pump takes during it
    await tick();
    expect(r.got.length).toBe(20);
    expect(paused).toBe(false);
  });

  it('writes each byte once when room comes back while it retries', async () => {
    const hub = new Hub(1, { bufferBytes: 16, pacing: 'paranoid' });
    const r = reader(hub, 'r');
    const feeder = new Feeder(hub, { pause: () => {}, resume: () => {} });
    const sent = bytes(0, 40);
    feeder.push(Buffer.from(sent.slice(0, 16)));
    feeder.push(Buffer.from(sent.slice(16)));
    await tick();
    for (let k = 0; k < 10; k++) {
      r.queued = 0;
      r.pump.onSinkDrain();
      await tick();
    }
    expect(r.got).toEqual(sent);
  });

  it('with two readers, one leaving while the other takes inside the retry: whole and in order', async () => {
    const hub = new Hub(1, { bufferBytes: 16, pacing: 'paranoid' });
    const x = reader(hub, 'x', 8);
    const y = reader(hub, 'y', 8);
    const feeder = new Feeder(hub, { pause: () => {}, resume: () => {} });
    const sent = bytes(0, 48);
    feeder.push(Buffer.from(sent.slice(0, 16)));
    feeder.push(Buffer.from(sent.slice(16)));
    await tick();
    y.queued = 0;
    y.pump.onSinkDrain(); // y takes 8 and stalls again: x (at 0) holds the room
    y.queued = 1e9;
    await tick();
    y.queued = 0; // y's sink has room again, but no event says so
    x.pump.close(); // x leaves: room; the retry is short; y takes inside it
    await tick();
    for (let k = 0; k < 20; k++) {
      y.queued = 0;
      y.pump.onSinkDrain();
      await tick();
    }
    expect(y.got).toEqual(sent);
  });
});
