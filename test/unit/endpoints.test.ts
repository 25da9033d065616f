// endpoints.test.ts — how the ends of a hub are numbered: the lowest free
// number on its side (inputs and outputs apart), a freed number used again,
// and many readers on one hub numbered without trying every number each time.

import { describe, expect, it, vi } from 'vitest';
import { Endpoints, type EndpointKind } from '../../src/server/endpoints.js';

const end = (hub: number, kind: EndpointKind, n?: number) => ({ hub, kind, owner: 'test', free: () => {}, kill: () => {}, ...(n === undefined ? {} : { n }) });

describe('Endpoints', () => {
  it('numbers each side of a hub apart, lowest free first', () => {
    const e = new Endpoints();
    expect(e.add(end(3, 'in'))?.n).toBe(0);
    expect(e.add(end(3, 'out'))?.n).toBe(0);
    expect(e.add(end(3, 'err'))?.n).toBe(1); // err is an output: the out side
    expect(e.add(end(4, 'out'))?.n).toBe(0);
    expect(e.add(end(3, 'out', 5))?.n).toBe(5);
    expect(e.add(end(3, 'out', 5))).toBeNull();
    expect([2, 3, 4, 6].map(() => e.add(end(3, 'out'))?.n)).toEqual([2, 3, 4, 6]);
  });

  it('uses a freed number again, the lowest first, and starts afresh on a dropped hub', () => {
    const e = new Endpoints();
    const got = Array.from({ length: 6 }, () => e.add(end(1, 'out'))!);
    e.delete(got[4]!);
    e.delete(got[2]!);
    expect(e.add(end(1, 'out'))?.n).toBe(2);
    expect(e.add(end(1, 'out'))?.n).toBe(4);
    expect(e.add(end(1, 'out'))?.n).toBe(6);
    e.dropHub(1);
    expect(e.add(end(1, 'out'))?.n).toBe(0);
  });

  it('numbers 2000 readers of one hub with a bounded number of lookups each (not by trying every number from 0)', () => {
    const e = new Endpoints();
    const has = vi.spyOn(Map.prototype, 'has');
    try {
      for (let i = 0; i < 2000; i++) e.add(end(1, 'out'));
      // From 0 each time would be 2 million lookups.
      expect(has.mock.calls.length).toBeLessThan(3 * 2000);
    } finally {
      has.mockRestore();
    }
    expect(e.list(1).map((x) => x.n)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });
});
