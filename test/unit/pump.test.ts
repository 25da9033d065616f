// pump.test.ts — a Pump replaying a backlog: its queries out, live bytes raw.
//
// No sockets: a Hub, a Pump and a sink that records what it is handed. A
// pump told where its backlog ends (backlogEnd) sends the bytes before that
// through core/queries.ts and the rest as they come; the cases are where the
// two meet (a sequence cut by the backlog's end), a gap inside the backlog,
// a clear that moves the output past it, and a pump told nothing (raw).

import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/core/hub.js';
import { Pump, type PumpOptions } from '../../src/server/pump.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A pump on a new output of hub, at its backlog; what it sends, as text ([gap N] for a gap). */
function replay(hub: Hub, opts: PumpOptions, chunkBytes = 64 * 1024): { text: () => string } {
  let text = '';
  new Pump(hub, hub.addOutput('r'), { queuedBytes: () => 0, data: (d) => (text += d.toString('latin1')), gap: (n) => (text += `[gap ${n}]`), eof: () => (text += '[eof]') }, { ...opts, chunkBytes });
  return { text: () => text };
}

describe('Pump with a backlog', () => {
  it('sends the backlog without its queries, and what comes after it raw', async () => {
    const hub = new Hub(1);
    hub.write(b('$ vim\r\n\x1b[6n\x1b[>c\x1b]11;?\x07\x1b[?1049h~'));
    const r = replay(hub, { backlogEnd: hub.bytesIn }, 4);
    await tick();
    expect(r.text()).toBe('$ vim\r\n\x1b[?1049h~');
    hub.write(b('\x1b[6nlive'));
    await tick();
    expect(r.text()).toBe('$ vim\r\n\x1b[?1049h~\x1b[6nlive');
  });

  it('a query cut by the backlog\'s end goes out as it is: its start at the end, the rest live', async () => {
    const hub = new Hub(1);
    hub.write(b('old\x1b[6nnew\x1b['));
    const r = replay(hub, { backlogEnd: hub.bytesIn });
    await tick();
    expect(r.text()).toBe('oldnew\x1b[');
    hub.write(b('6n!'));
    await tick();
    expect(r.text()).toBe('oldnew\x1b[6n!');
  });

  it('with no backlogEnd, queries in the backlog go out too', async () => {
    const hub = new Hub(1);
    hub.write(b('a\x1b[6nb'));
    const r = replay(hub, {});
    await tick();
    expect(r.text()).toBe('a\x1b[6nb');
  });

  it('a gap in the backlog: what the filter held goes before it, and the replay goes on after', async () => {
    const hub = new Hub(1, { bufferBytes: 16 });
    hub.write(b('0123456789ab\x1b[6'));
    let queued = 1e9;
    let text = '';
    const pump = new Pump(hub, hub.addOutput('r'), { queuedBytes: () => queued, data: (d) => (text += d.toString('latin1')), gap: (n) => (text += `[gap ${n}]`), eof: () => {} }, { backlogEnd: 40, chunkBytes: 15 });
    queued = 0;
    pump.run(); // 15 bytes: the digits and 'ab' sent, ESC [ 6 held
    queued = 1e9;
    hub.write(b('xxxxxxxxxxxxxx\x1b[5nyy')); // laps the reader: 14 + 6 bytes land, 4 lost
    queued = 0;
    pump.run();
    expect(text).toBe('0123456789ab\x1b[6[gap 4]xxxxxxxxxxyy');
  });

  it('a clear moves the output past the backlog: the next bytes are live, and go raw', async () => {
    const hub = new Hub(1);
    hub.write(b('a'.repeat(100)));
    const r = replay(hub, { backlogEnd: hub.bytesIn }, 10);
    hub.clear();
    hub.write(b('\x1b[6n'));
    await tick();
    expect(r.text()).toBe('\x1b[6n');
  });

  it('an ended hub: the backlog, then eof', async () => {
    const hub = new Hub(1);
    hub.write(b('bye\x1b[c\x1b['));
    hub.end();
    const r = replay(hub, { backlogEnd: hub.bytesIn });
    await tick();
    expect(r.text()).toBe('bye\x1b[[eof]');
  });
});

describe('Pump: what goes right after the backlog (afterBacklog)', () => {
  const AFTER = '<after>';
  const after = (): Buffer => b(AFTER);

  it('goes between the backlog and what comes after it', async () => {
    const hub = new Hub(1);
    hub.write(b('old'));
    const r = replay(hub, { backlogEnd: hub.bytesIn, afterBacklog: after });
    await tick();
    hub.write(b('new'));
    await tick();
    expect(r.text()).toBe(`old${AFTER}new`);
  });

  it('not inside a sequence the backlog ends in: it goes before the sequence, which stays whole', async () => {
    const hub = new Hub(1);
    hub.write(b('x\x1b[3'));
    const r = replay(hub, { backlogEnd: hub.bytesIn, afterBacklog: after });
    await tick();
    hub.write(b('1mred'));
    await tick();
    expect(r.text()).toBe(`x${AFTER}\x1b[31mred`);
  });

  it('not inside a character the backlog ends in: after its last bytes, in the same take or a later one', async () => {
    const hub = new Hub(1);
    hub.write(Buffer.from([0x63, 0x61, 0x66, 0xc3])); // caf + the first byte of é
    const r = replay(hub, { backlogEnd: hub.bytesIn, afterBacklog: after });
    await tick();
    hub.write(Buffer.from([0xa9, 0x21]));
    await tick();
    expect(Buffer.from(r.text(), 'latin1').toString('utf8')).toBe(`café${AFTER}!`);

    // € is e2 82 ac: takes of 2 bytes end the backlog at 82, its lead sent a take before
    const euro = new Hub(1);
    euro.write(Buffer.from([0x61, 0x62, 0x63, 0xe2, 0x82]));
    const e = replay(euro, { backlogEnd: euro.bytesIn, afterBacklog: after }, 2);
    await tick();
    euro.write(Buffer.from([0xac, 0x21]));
    await tick();
    expect(Buffer.from(e.text(), 'latin1').toString('utf8')).toBe(`abc€${AFTER}!`);
  });
});
