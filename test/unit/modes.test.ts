// modes.test.ts — ModeTracker: which modes a new client must be sent before the backlog.
//
// The tracker reads escape sequences through core/escapes.ts, so these pin
// what it reads: private modes set and reset (several in one sequence), the
// keypad (ESC = / ESC >), sequences split across chunks, and the other
// sequences around them (titles, colours) passed over without effect.

import { describe, expect, it } from 'vitest';
import { ModeTracker, WHOLE_SCREEN_REGION } from '../../src/core/modes.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('ModeTracker', () => {
  it('remembers private modes and the keypad; the preamble holds those switched before `from`', () => {
    const m = new ModeTracker();
    m.feed(b('\x1b]0;a title\x07\x1b[31mred\x1b[?1049h\x1b[?1;2004h\x1b=\x1b[?25l'));
    expect(m.isAltScreen).toBe(true);
    expect(m.isOn(1)).toBe(true);
    expect(m.isOn(25)).toBe(false);
    expect(m.preamble(1000).toString('latin1')).toBe('\x1b[?1049h\x1b[?1h\x1b[?2004h\x1b=\x1b[?25l');
    expect(m.preamble(0).toString('latin1')).toBe('');
  });

  it('a mode switched back to its power-on state is not in the preamble', () => {
    const m = new ModeTracker();
    m.feed(b('\x1b[?1049h\x1b[?2004hx\x1b[?1049l'));
    expect(m.preamble(100).toString('latin1')).toBe('\x1b[?2004h');
  });

  it('reads a sequence split at every byte', () => {
    const s = b('ab\x1b]2;t\x1b\\\x1b[?1049h\x1b>\x1b=cd');
    for (let cut = 0; cut <= s.length; cut++) {
      const m = new ModeTracker();
      m.feed(s.subarray(0, cut));
      m.feed(s.subarray(cut));
      expect(m.preamble(100).toString('latin1'), `cut at ${cut}`).toBe('\x1b[?1049h\x1b=');
    }
  });

  it('a gap voids a sequence cut by it', () => {
    const m = new ModeTracker();
    m.feed(b('\x1b[?10'));
    m.skip(5);
    m.feed(b('49h'));
    expect(m.isAltScreen).toBe(false);
  });
});

describe('ModeTracker: the scroll region', () => {
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  const after = (m: ModeTracker, from = 0): string => m.afterBacklog(from).toString('latin1');

  it('a region that was the whole screen by number is set again as the whole screen after a backlog', () => {
    const m = new ModeTracker();
    m.rows = 30;
    m.feed(b('text\x1b[1;30rmore'));
    expect(after(m)).toBe(WHOLE_SCREEN_REGION);
    expect(m.hasRegion).toBe(true);
    // 1;0 and 0;0 (a bottom of 0 is the last row) and 1 are the whole screen; so is ;30, its top 1 by default
    for (const params of ['1;0', '0;0', '1']) {
      const z = new ModeTracker();
      z.rows = 30;
      z.feed(b(`\x1b[${params}r`));
      expect([params, after(z)]).toEqual([params, WHOLE_SCREEN_REGION]);
    }
    const n = new ModeTracker();
    n.rows = 30;
    n.feed(b('\x1b[;30r'));
    expect(after(n)).toBe(WHOLE_SCREEN_REGION);
  });

  it('a part of the screen is left alone, and so is a reset (CSI r), which is the whole screen at any size', () => {
    const m = new ModeTracker();
    m.rows = 30;
    m.feed(b('\x1b[5;20r'));
    expect(after(m)).toBe('');
    expect(m.hasRegion).toBe(true);
    m.feed(b('\x1b[r'));
    expect(after(m)).toBe('');
    expect(m.hasRegion).toBe(false);
    // 1;30 is part of a 40-row screen
    m.rows = 40;
    m.feed(b('\x1b[1;30r'));
    expect(after(m)).toBe('');
  });

  it('only the last region counts, and only when the replay has it', () => {
    const m = new ModeTracker();
    m.rows = 24;
    m.feed(b('\x1b[1;24r')); // offset 0
    m.feed(b('\x1b[3;10r')); // offset 7
    expect(after(m)).toBe('');
    m.feed(b('abc\x1b[1;24r')); // at 17
    expect(after(m, 17)).toBe(WHOLE_SCREEN_REGION);
    expect(after(m, 18)).toBe(''); // it left the ring: the client never sees it
  });

  it('a region split across reads is read whole; colours and moves are passed over', () => {
    const m = new ModeTracker();
    m.rows = 30;
    m.feed(b('\x1b[31mred\x1b[0m \x1b[12;1H\x1b[1;3'));
    expect(after(m)).toBe('');
    m.feed(b('0r'));
    expect(after(m)).toBe(WHOLE_SCREEN_REGION);
    m.feed(b('\x1b[?1049h'));
    expect(m.isAltScreen).toBe(true);
    m.feed(b('\x1b[1;2;3r')); // not a region: three numbers
    expect(after(m)).toBe(WHOLE_SCREEN_REGION);
  });

  it('RIS (ESC c, as reset sends) puts every mode back as at power-on and forgets the region', () => {
    const m = new ModeTracker();
    m.rows = 30;
    m.feed(b('\x1b[?1049h\x1b[?1h\x1b=\x1b[5;20r'));
    expect([m.isAltScreen, m.hasRegion]).toEqual([true, true]);
    m.feed(b('\x1bc'));
    expect([m.isAltScreen, m.isOn(1), m.hasRegion]).toEqual([false, false, false]);
    // a client joining after the reset needs nothing set before it
    expect(m.preamble(1000).toString('latin1')).toBe('');
  });
});
