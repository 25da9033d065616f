// fast.test.ts — fast pacing with a small ring (--buffer 64k): a slow reader
// loses bytes and is told exactly how many; nobody else is slowed or hurt.
//
// The stream is a counter (each 4-byte word is its own index, big-endian), so
// any piece of it says where it came from. A raw writer feeds hub 1 of a -d
// server directly, paced to a fast raw reader (never more than one ring ahead
// of it, so that reader cannot be lapped: it must get every byte). A framed
// reader, throttled with client.pause()/resume(), falls behind: its data plus
// its gap counts must add up to the stream, and each chunk must be exactly the
// stream at the offset its predecessors and gaps put it — the original with
// exactly the lost ranges cut out. hNv's lost count for it must agree.
//
// The second test is the plain case: a stalled framed reader, resumed after
// the writer is done, gets one gap frame with the exact loss, then the tail.

import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/client.js';
import { useScope } from '../helpers/scope.js';
import { chunksOf, counterStream, framed, hubLine, rawCtl, RawReader, rawWrite, sha256, startIosrv } from '../helpers/server.js';
import { checkedReader, type Checked } from '../helpers/checked.js';
import { waitFor } from '../helpers/until.js';

const RING_BYTES = 64 * 1024;
const CHUNK_BYTES = 16 * 1024;

/** Pause and resume a client so it takes about bytesPerTick each tickMs. */
function throttle(client: Client, r: Checked, bytesPerTick: number, tickMs: number): () => void {
  let allowedUpTo = r.received + bytesPerTick;
  r.afterData = () => {
    if (r.received >= allowedUpTo) client.pause();
  };
  const tick = setInterval(() => {
    allowedUpTo = r.received + bytesPerTick;
    client.resume();
  }, tickMs);
  return () => {
    r.afterData = null;
    clearInterval(tick);
    client.resume();
  };
}

describe('fast: --buffer 64k', () => {
  const scope = useScope();

  it('a fast reader gets every byte; a throttled one gets the stream minus exactly its gaps', { timeout: 30_000 }, async () => {
    const total = 16 * 1024 * 1024;
    const stream = counterStream(total);
    const srv = await startIosrv(scope, ['-d', '--buffer', '64k']);
    const fast = await RawReader.open(scope, srv.sock, 1);
    const slowClient = await framed(scope, srv);
    const slow = checkedReader(slowClient, stream);
    slowClient.subscribe(1);
    await waitFor(async () => / outputs 2,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'two readers on hub 1' });
    const unthrottle = throttle(slowClient, slow, 8 * 1024, 25);
    scope.defer(unthrottle);

    let sent = 0;
    await rawWrite(srv.sock, 1, chunksOf(stream, CHUNK_BYTES), {
      // the fast reader is one that keeps up: never let the writer get a ring ahead of it
      beforeChunk: () => fast.reached(sent + CHUNK_BYTES - RING_BYTES),
      onSent: (n) => (sent += n),
    });
    await fast.reached(total);
    // the writer was paced only by the fast reader: the slow one had taken little when it was done
    expect(slow.received).toBeLessThan(total / 4);
    unthrottle();
    await waitFor(() => slow.pos >= total || slow.bad, { timeoutMs: 10_000, what: `the slow reader at the end (at ${slow.pos})` });

    expect(fast.digest()).toBe(sha256(stream));
    expect(slow.bad).toBeNull();
    expect(slow.received + slow.lost).toBe(total);
    expect(slow.gaps).toBeGreaterThan(0);
    expect(slow.lost).toBeGreaterThan(0);
    // the server's own count of what this reader lost agrees with the gap frames
    const view = JSON.parse(await slowClient.ctl('h1v', { json: true })) as { bytesIn: number; endpoints: { owner: string; lostBytes?: number }[] };
    expect(view.bytesIn).toBe(total);
    const lostByOwner = view.endpoints.filter((e) => e.owner.startsWith('conn ')).map((e) => e.lostBytes);
    expect(lostByOwner.sort()).toEqual([0, slow.lost].sort());
  });

  it('a stalled reader, resumed, gets one gap frame with the exact loss and then the newest bytes', { timeout: 15_000 }, async () => {
    const total = 2 * 1024 * 1024;
    const stream = counterStream(total);
    const srv = await startIosrv(scope, ['-d', '--buffer', '64k']);
    const stalled = await framed(scope, srv);
    const r = checkedReader(stalled, stream);
    stalled.subscribe(1);
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'the reader on hub 1' });
    stalled.pause();

    // a writer is never held back in fast mode, even with a reader that takes nothing
    await rawWrite(srv.sock, 1, chunksOf(stream, CHUNK_BYTES));
    stalled.resume();
    await waitFor(() => r.pos >= total || r.bad, { timeoutMs: 5000, what: `the stalled reader at the end (at ${r.pos})` });

    expect(r.bad).toBeNull();
    expect(r.gaps).toBe(1);
    expect(r.received + r.lost).toBe(total);
    // it kept what reached its socket before the stall, and the last ring of the stream
    expect(r.lost).toBeGreaterThan(total / 2);
    expect(r.received).toBeGreaterThanOrEqual(RING_BYTES);
  });
});
