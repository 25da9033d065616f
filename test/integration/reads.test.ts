// reads.test.ts — a client socket read into one reused buffer (sys/reads.ts),
// on a real Unix socket: each read is a borrowed view of the same buffer;
// what comes before a reader is set is kept for it; pause() stops the reads.

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBytes } from '../../src/sys/reads.js';
import { useScope } from '../helpers/scope.js';
import { unixPair } from '../helpers/socketpair.js';
import { sleep, waitFor } from '../helpers/until.js';

const scope = useScope();

describe('reads into one reused buffer', () => {
  it('hands each read as a borrowed view of one buffer, which the next read overwrites', { timeout: 10_000 }, async () => {
    const { near, far } = await unixPair(scope, { reusing: true });
    const reads: { bytes: Buffer; text: string; borrowed: boolean }[] = [];
    readBytes(near, (bytes, borrowed) => reads.push({ bytes, text: bytes.toString(), borrowed }));
    far.write('abc');
    await waitFor(() => reads.length === 1, { what: 'the first read' });
    far.write('xyz');
    await waitFor(() => reads.length === 2, { what: 'the second read' });
    expect(reads.map((r) => [r.text, r.borrowed])).toEqual([['abc', true], ['xyz', true]]);
    expect(reads[0]!.bytes.buffer).toBe(reads[1]!.bytes.buffer);
    expect(reads[0]!.bytes.toString()).toBe('xyz'); // why a reader must copy what it keeps
  });

  it('keeps what comes before a reader is set, pausing the socket, and gives it to the first reader', { timeout: 10_000 }, async () => {
    const { near, far } = await unixPair(scope, { reusing: true });
    far.write('early');
    await waitFor(() => near.isPaused(), { what: 'the socket to pause with the bytes held' });
    const got: [string, boolean][] = [];
    readBytes(near, (bytes, borrowed) => got.push([bytes.toString(), borrowed]));
    expect(got).toEqual([['early', false]]);
    near.resume();
    far.write('late');
    await waitFor(() => got.length === 2, { what: 'the read after resume' });
    expect(got[1]).toEqual(['late', true]);
  });

  it('pause() stops the reads and resume() goes on; a reader that stopped gets nothing more', { timeout: 10_000 }, async () => {
    const { near, far } = await unixPair(scope, { reusing: true });
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

  it('a stream read the ordinary way gives its own Buffers, not borrowed', async () => {
    const s = new PassThrough();
    const got: [string, boolean][] = [];
    const stop = readBytes(s, (bytes, borrowed) => got.push([bytes.toString(), borrowed]));
    s.write('plain');
    await waitFor(() => got.length === 1, { what: 'the data event' });
    stop();
    s.write('unheard');
    await sleep(20);
    expect(got).toEqual([['plain', false]]);
  });
});
