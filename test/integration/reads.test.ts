// reads.test.ts — a client socket read into slabs (sys/reads.ts), on a real
// Unix socket: each read is bytes of its own, in the next part of one slab,
// until a new slab starts; what comes before a reader is set is kept for it;
// pause() stops the reads.

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MIN_READ_BYTES, SLAB_BYTES, readBytes, slabReads } from '../../src/sys/reads.js';
import { useScope } from '../helpers/scope.js';
import { unixPair } from '../helpers/socketpair.js';
import { sleep, waitFor } from '../helpers/until.js';

const scope = useScope();

describe('reads into slabs', () => {
  it('each read is its own bytes, next to the last in the same slab, and later reads leave it as it was', { timeout: 10_000 }, async () => {
    const { near, far } = await unixPair(scope, { slabbed: true });
    const reads: Buffer[] = [];
    readBytes(near, (bytes) => reads.push(bytes));
    for (const text of ['abc', 'xyz', 'last']) {
      far.write(text);
      await waitFor(() => reads.at(-1)?.toString() === text, { what: `'${text}'` });
    }
    expect(reads.map(String)).toEqual(['abc', 'xyz', 'last']);
    expect(reads.map((b) => b.buffer === reads[0]!.buffer)).toEqual([true, true, true]);
    expect(reads.map((b) => b.byteOffset - reads[0]!.byteOffset)).toEqual([0, 3, 6]);
  });

  it('a new slab starts when less than a read\'s worth is left, and the old one is not written again', () => {
    const got: Buffer[] = [];
    const opts = slabReads((b) => got.push(b));
    const next = opts.buffer as () => Uint8Array;
    let into = next();
    const reads = Math.floor((SLAB_BYTES - MIN_READ_BYTES) / 4096) + 1; // fills past the threshold
    for (let i = 0; i < reads; i++) {
      expect(into.length).toBeGreaterThanOrEqual(MIN_READ_BYTES);
      into.fill(i, 0, 4096);
      opts.callback(4096, into);
      into = next();
    }
    expect(into.buffer).not.toBe(got[0]!.buffer);
    into.fill(0xff);
    expect(got.map((b) => b.length === 4096 && b.every((x) => x === got.indexOf(b)))).toEqual(got.map(() => true));
  });

  it('keeps what comes before a reader is set, pausing the socket, and gives it to the first reader', { timeout: 10_000 }, async () => {
    const { near, far } = await unixPair(scope, { slabbed: true });
    far.write('early');
    await waitFor(() => near.isPaused(), { what: 'the socket to pause with the bytes held' });
    const got: string[] = [];
    readBytes(near, (bytes) => got.push(bytes.toString()));
    expect(got).toEqual(['early']);
    near.resume();
    far.write('late');
    await waitFor(() => got.length === 2, { what: 'the read after resume' });
    expect(got[1]).toBe('late');
  });

  it('pause() stops the reads and resume() goes on; a reader that stopped gets nothing more', { timeout: 10_000 }, async () => {
    const { near, far } = await unixPair(scope, { slabbed: true });
    const texts: string[] = [];
    const stop = readBytes(near, (bytes) => texts.push(bytes.toString()));
    near.pause();
    far.write('held by the kernel');
    await sleep(100);
    expect(texts).toEqual([]);
    near.resume();
    await waitFor(() => texts.length === 1, { what: 'the read after resume' });
    expect(texts).toEqual(['held by the kernel']);
    stop();
    far.write('after stop');
    await waitFor(() => near.isPaused(), { what: 'the socket to pause with no reader' });
    expect(texts).toEqual(['held by the kernel']);
  });

  it('a pause() right after resume() holds: nothing is read until the next resume()', { timeout: 10_000 }, async () => {
    const { near, far } = await unixPair(scope, { slabbed: true });
    const texts: string[] = [];
    readBytes(near, (bytes) => texts.push(bytes.toString()));
    near.pause();
    near.resume();
    near.pause(); // the same tick: resume()'s read(0) comes after it
    far.write('wait');
    await sleep(100);
    expect(texts).toEqual([]);
    near.resume();
    await waitFor(() => texts.length === 1, { what: 'the read after resume' });
    expect(texts).toEqual(['wait']);
  });

  it('a stream read the ordinary way is read by its data events', async () => {
    const s = new PassThrough();
    const got: string[] = [];
    const stop = readBytes(s, (bytes) => got.push(bytes.toString()));
    s.write('plain');
    await waitFor(() => got.length === 1, { what: 'the data event' });
    stop();
    s.write('unheard');
    await sleep(20);
    expect(got).toEqual(['plain']);
  });
});
