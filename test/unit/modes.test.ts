// modes.test.ts — ModeTracker: which modes a new client must be sent before the backlog.
//
// The tracker reads escape sequences through core/escapes.ts, so these pin
// what it reads: private modes set and reset (several in one sequence), the
// keypad (ESC = / ESC >), sequences split across chunks, and the other
// sequences around them (titles, colours) passed over without effect.

import { describe, expect, it } from 'vitest';
import { ModeTracker } from '../../src/core/modes.js';

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
