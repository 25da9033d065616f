// direct.test.ts — writeDirect on a real Unix socket pair: straight to the fd
// while the stream holds nothing, the rest through the stream, in order.
//
// The reader is paused until the writer has filled the kernel's buffer, so the
// direct write comes up short (or meets EAGAIN) and the stream must carry the
// rest; what arrives must be every byte, in the order written.

import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { writeDirect } from '../../src/sys/direct.js';
import { useScope } from '../helpers/scope.js';
import { unixPair } from '../helpers/socketpair.js';

const scope = useScope();

/** A writer, and a reader paused until the test lets it read. */
async function pair(): Promise<{ writer: Socket; reader: Socket }> {
  const { near, far } = await unixPair(scope);
  return { writer: near, reader: far };
}

/** Bytes 0..n of a counting pattern, so any reordering or loss shows. */
const counting = (from: number, n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) % 251));

describe('writeDirect', () => {
  it('writes at once to an idle socket: nothing is left queued in the stream', async () => {
    const { writer, reader } = await pair();
    expect(writeDirect(writer, [Buffer.from('head'), Buffer.from('-tail')])).toBe(true);
    expect(writer.writableLength).toBe(0);
    reader.resume();
    const text = await new Promise<string>((resolve) => reader.once('data', (b: Buffer) => resolve(b.toString())));
    expect(text).toBe('head-tail');
  });

  it('past the kernel buffer the rest goes through the stream, and every byte arrives in order', { timeout: 20_000 }, async () => {
    const { writer, reader } = await pair();
    const CHUNK = 48 * 1024;
    const CHUNKS = 64; // 3 MiB: far past a Unix socket's buffer
    let sent = 0;
    let queuedOnce = false;
    const writeNext = (): void => {
      const bytes = counting(sent, CHUNK);
      writeDirect(writer, [bytes.subarray(0, 100), bytes.subarray(100)]);
      sent += CHUNK;
      if (writer.writableLength > 0) queuedOnce = true;
    };
    while (writer.writableLength === 0) writeNext();
    // More is written each time the reader makes room in the kernel, while the
    // stream still holds what did not fit: a direct write then would jump it.
    const parts: Buffer[] = [];
    let got = 0;
    reader.on('data', (b: Buffer) => {
      parts.push(b);
      got += b.length;
      if (sent < CHUNKS * CHUNK) writeNext();
    });
    reader.resume();
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`got ${got} of ${sent} bytes`)), 15_000);
      const check = setInterval(() => {
        if (sent < CHUNKS * CHUNK || got < sent) return;
        clearInterval(check);
        clearTimeout(deadline);
        resolve();
      }, 10);
    });
    expect(queuedOnce).toBe(true);
    expect(Buffer.concat(parts).equals(counting(0, sent))).toBe(true);
  });

  it('a stream with no fd (not a socket) is written the ordinary way', async () => {
    const { PassThrough } = await import('node:stream');
    const s = new PassThrough();
    expect(writeDirect(s, [Buffer.from('a'), Buffer.from('b')])).toBe(true);
    expect(s.read()?.toString()).toBe('ab');
  });
});
