// gaps.test.ts — GapNotices: the first loss said at once, the rest summed a
// period apart, nothing left unsaid. Real timers, with a short period.

import { describe, expect, it } from 'vitest';
import { GapNotices } from '../../src/client/gaps.js';

const PERIOD_MS = 60;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('GapNotices', () => {
  it('says the first loss at once, sums the losses of the period after it, and says the sum when it is up', async () => {
    const said: number[] = [];
    const g = new GapNotices((n) => said.push(n), PERIOD_MS);
    g.lost(5);
    expect(said).toEqual([5]);
    g.lost(3);
    g.lost(4);
    g.lost(0);
    expect(said).toEqual([5]);
    await sleep(PERIOD_MS * 2.5);
    expect(said).toEqual([5, 7]);
    // quiet for a whole period: the next loss is said at once again
    await sleep(PERIOD_MS * 1.5);
    g.lost(2);
    expect(said).toEqual([5, 7, 2]);
    g.flush();
    expect(said).toEqual([5, 7, 2]);
  });

  it('flush says what is pending, once; the total said is the total lost', async () => {
    const said: number[] = [];
    const g = new GapNotices((n) => said.push(n), PERIOD_MS);
    let total = 0;
    for (let i = 1; i <= 100; i++) {
      g.lost(i);
      total += i;
    }
    expect(said).toEqual([1]);
    g.flush();
    g.flush();
    expect(said).toEqual([1, total - 1]);
    await sleep(PERIOD_MS * 2);
    expect(said.reduce((a, b) => a + b, 0)).toBe(total);
  });
});
