// log.test.ts — the log's timestamps: written without Date#toISOString, the same text.

import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/server/log.js';

describe('isoTime', () => {
  it('writes what toISOString writes', () => {
    const times = [0, 1, 999, 1000, 59_999, 951_782_400_000, 1_700_000_000_123, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.now()];
    for (let i = 0; i < 1000; i++) times.push(Math.floor(Math.random() * Date.UTC(9999, 0, 1)));
    for (const t of times) expect(isoTime(t)).toBe(new Date(t).toISOString());
  });
});
