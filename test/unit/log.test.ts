// log.test.ts — the log's timestamps (written without Date#toISOString, the
// same text), and one line per event whatever a client sent.

import { describe, expect, it } from 'vitest';
import { Log, isoTime, oneLine } from '../../src/server/log.js';

describe('isoTime', () => {
  it('writes what toISOString writes', () => {
    const times = [0, 1, 999, 1000, 59_999, 951_782_400_000, 1_700_000_000_123, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.now()];
    for (let i = 0; i < 1000; i++) times.push(Math.floor(Math.random() * Date.UTC(9999, 0, 1)));
    for (const t of times) expect(isoTime(t)).toBe(new Date(t).toISOString());
  });
});

describe('one line per event', () => {
  it('escapes control characters (a tab aside), so a client cannot forge a line', () => {
    expect(oneLine('ctl quit\nstatus')).toBe('ctl quit\\x0astatus');
    expect(oneLine('a\r\x1b[2Jb\x7f\x00\tc')).toBe('a\\x0d\\x1b[2Jb\\x7f\\x00\tc');
    expect(oneLine('plain – text ✓')).toBe('plain – text ✓');
    expect(oneLine('8-bit \u009b2J csi')).toBe('8-bit \\x9b2J csi');
    const lines: string[] = [];
    new Log({ write: (l) => lines.push(l) }).event('conn 1: ctl quit\n2026-01-01T00:00:00.000Z forged');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\n')).toHaveLength(2); // the text, and the newline that ends it
  });
});
