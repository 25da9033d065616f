// ring.test.ts — Ring: absolute offsets, wraparound, views, clear.
//
// Examples first, one per rule; then a seeded model test against the naive
// ring (a growing Buffer of every byte ever written, of which the ring holds
// the last `capacity`). Wraparound is covered at every boundary by writing
// every length from every phase of a small ring.

import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/core/ring.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const joined = (views: Buffer[]): string => Buffer.concat(views).toString('latin1');

/** Small seeded PRNG (mulberry32), so a failure replays. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n | 0;
  };
}

describe('Ring', () => {
  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(() => new Ring(bad)).toThrow(RangeError);
    }
    expect(() => new Ring(0)).toThrow('io: ring capacity: 0 is not a positive integer');
  });

  it('writes and reads back by absolute offset', () => {
    const ring = new Ring(8);
    expect([ring.start, ring.end, ring.size]).toEqual([0, 0, 0]);
    ring.write(bytes('abc'));
    ring.write(bytes('de'));
    expect([ring.start, ring.end, ring.size]).toEqual([0, 5, 5]);
    expect(joined(ring.read(0, 100))).toBe('abcde');
    expect(joined(ring.read(1, 2))).toBe('bc');
    expect(joined(ring.read(3, 100))).toBe('de');
  });

  it('an empty write changes nothing', () => {
    const ring = new Ring(4);
    ring.write(bytes('ab'));
    ring.write(new Uint8Array(0));
    expect([ring.start, ring.end]).toEqual([0, 2]);
  });

  it('reads nothing at or past the end, or for maxBytes 0', () => {
    const ring = new Ring(4);
    ring.write(bytes('ab'));
    expect(ring.read(2, 10)).toEqual([]);
    expect(ring.read(9, 10)).toEqual([]);
    expect(ring.read(0, 0)).toEqual([]);
    expect(ring.read(0, -1)).toEqual([]);
    expect(ring.read(0, Number.NaN)).toEqual([]);
  });

  it('drops the oldest bytes once full', () => {
    const ring = new Ring(4);
    ring.write(bytes('abc'));
    ring.write(bytes('def'));
    expect([ring.start, ring.end, ring.size]).toEqual([2, 6, 4]);
    expect(joined(ring.read(0, 100))).toBe('cdef');
  });

  it('a read before start is clamped to start', () => {
    const ring = new Ring(4);
    ring.write(bytes('abcdefg'));
    expect(ring.start).toBe(3);
    expect(joined(ring.read(0, 2))).toBe('de');
    expect(joined(ring.read(2, 100))).toBe('defg');
  });

  it('a write larger than the ring keeps its tail', () => {
    const ring = new Ring(4);
    ring.write(bytes('x'));
    ring.write(bytes('0123456789'));
    expect([ring.start, ring.end]).toEqual([7, 11]);
    expect(joined(ring.read(0, 100))).toBe('6789');
    ring.write(bytes('ab'));
    expect(joined(ring.read(0, 100))).toBe('89ab');
  });

  it('a write of exactly the capacity replaces everything', () => {
    const ring = new Ring(4);
    ring.write(bytes('ab'));
    ring.write(bytes('wxyz'));
    expect([ring.start, ring.end]).toEqual([2, 6]);
    expect(joined(ring.read(0, 100))).toBe('wxyz');
  });

  it('wraps around at every boundary: every phase, every length, every read', () => {
    const cap = 8;
    for (let phase = 0; phase < cap; phase++) {
      for (let len = 1; len <= 2 * cap + 1; len++) {
        const ring = new Ring(cap);
        let model = Buffer.alloc(0);
        const fill = Buffer.alloc(phase, 0xee);
        ring.write(fill);
        model = Buffer.concat([model, fill]);
        const chunk = Buffer.from(Array.from({ length: len }, (_, i) => (i * 37 + phase + 1) & 0xff));
        ring.write(chunk);
        model = Buffer.concat([model, chunk]);
        const start = Math.max(0, model.length - cap);
        expect([ring.start, ring.end]).toEqual([start, model.length]);
        for (let from = start; from <= model.length; from++) {
          for (let max = 0; max <= cap; max++) {
            const views = ring.read(from, max);
            expect(views.length).toBeLessThanOrEqual(2);
            expect(Buffer.concat(views)).toEqual(model.subarray(from, Math.min(model.length, from + max)));
          }
        }
      }
    }
  });

  it('splits a read across the wrap into two views', () => {
    const ring = new Ring(4);
    ring.write(bytes('abcdef')); // holds cdef; c sits at index 2
    const views = ring.read(2, 4);
    expect(views.map((v) => v.toString('latin1'))).toEqual(['cd', 'ef']);
  });

  it('read returns views into the ring, not copies', () => {
    const ring = new Ring(4);
    ring.write(bytes('abcd'));
    const [first] = ring.read(0, 2);
    expect(first?.toString('latin1')).toBe('ab');
    const [again] = ring.read(2, 2);
    // Same memory underneath...
    expect(again?.buffer).toBe(first?.buffer);
    // ...so a later write that laps those bytes shows through the old view.
    ring.write(bytes('XY'));
    expect(first?.toString('latin1')).toBe('XY');
  });

  it('clear drops everything held; offsets go on', () => {
    const ring = new Ring(4);
    ring.write(bytes('abc'));
    ring.clear();
    expect([ring.start, ring.end, ring.size]).toEqual([3, 3, 0]);
    expect(ring.read(0, 100)).toEqual([]);
    ring.write(bytes('de'));
    expect([ring.start, ring.end]).toEqual([3, 5]);
    expect(joined(ring.read(0, 100))).toBe('de');
  });

  it('matches a naive growing Buffer under seeded random writes, reads and clears', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = prng(seed);
      const cap = 1 + rand(64);
      const ring = new Ring(cap);
      let model = Buffer.alloc(0);
      let clearedAt = 0;
      let counter = seed;
      for (let step = 0; step < 300; step++) {
        const op = rand(10);
        if (op < 5) {
          const len = rand(3 * cap + 2);
          const chunk = Buffer.alloc(len);
          for (let i = 0; i < len; i++) chunk[i] = counter++ & 0xff;
          ring.write(chunk);
          model = Buffer.concat([model, chunk]);
        } else if (op < 9) {
          const start = Math.max(clearedAt, model.length - cap);
          const from = rand(model.length + 2);
          const max = rand(cap + 2);
          const begin = Math.max(from, start);
          const want = model.subarray(begin, Math.max(begin, Math.min(model.length, begin + max)));
          const views = ring.read(from, max);
          expect(views.length, `seed ${seed} step ${step}`).toBeLessThanOrEqual(2);
          for (const v of views) expect(v.length).toBeGreaterThan(0);
          expect(Buffer.concat(views), `seed ${seed} step ${step} read(${from}, ${max})`).toEqual(want);
        } else {
          ring.clear();
          clearedAt = model.length;
        }
        const start = Math.max(clearedAt, model.length - cap);
        expect([ring.start, ring.end, ring.size], `seed ${seed} step ${step}`).toEqual([start, model.length, model.length - start]);
      }
    }
  });
});
