// client.test.ts — the client library against a server played by hand on a
// real Unix socket, so the test decides how the bytes arrive: a data frame
// split across reads comes out as it arrives, and what one read brings of a
// hub goes to dataPieces in one call (one writev for ioshell and io read).

import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/client.js';
import { greet } from '../../src/client/connect.js';
import { encodeFrameJoined, Frame, PROTOCOL_VERSION } from '../../src/core/frame.js';
import { useScope } from '../helpers/scope.js';
import { unixPair } from '../helpers/socketpair.js';
import { sleep, waitFor } from '../helpers/until.js';

const scope = useScope();

const HELLO = { version: PROTOCOL_VERSION, name: 'hand', pid: 1, maxHubs: 64, bufferBytes: 524288, pacing: 'fast', role: 'control', sessions: [] };

/** A client greeted by a hand-played server; the server's end of the socket to write frames on. */
async function handPlayed(opts: { slabbed?: boolean } = {}): Promise<{ client: Client; server: Socket }> {
  const { near, far: server } = await unixPair(scope, opts);
  server.once('data', () => server.write(Buffer.concat([Buffer.from(`IO ${PROTOCOL_VERSION}\n`), encodeFrameJoined(Frame.hello, 0, Buffer.from(JSON.stringify(HELLO)))])));
  server.resume();
  const client = await greet(near, 'hand');
  scope.defer(() => client.close());
  return { client, server };
}

describe('Client', () => {
  it('hands every piece of a hub that one read brings to dataPieces in one call, and other hubs and frames in order', { timeout: 10_000 }, async () => {
    const { client, server } = await handPlayed();
    const calls: string[] = [];
    client.on({ dataPieces: (hub, pieces) => calls.push(`${hub}:${pieces.map((p) => p.toString()).join('|')}`), eof: (hub) => calls.push(`${hub}:eof`) });
    server.write(Buffer.concat([
      encodeFrameJoined(Frame.data, 1, Buffer.from('ab')),
      encodeFrameJoined(Frame.data, 1, Buffer.from('cd')),
      encodeFrameJoined(Frame.data, 2, Buffer.from('err')),
      encodeFrameJoined(Frame.data, 1, Buffer.from('ef')),
      encodeFrameJoined(Frame.eof, 1),
    ]));
    await waitFor(() => calls.length === 4, { what: `four calls (got ${calls.join(' ')})` });
    expect(calls).toEqual(['1:ab|cd', '2:err', '1:ef', '1:eof']);
  });

  it('a request whose frame cannot be made (a hub past two bytes) is refused alone: the next reply goes to the next request', { timeout: 10_000 }, async () => {
    const { client, server } = await handPlayed();
    let asked = Buffer.alloc(0);
    server.on('data', (b: Buffer) => {
      asked = Buffer.concat([asked, b]);
      // one reply per ctl frame (header 8 bytes, payload after), saying which command it answers
      while (asked.length >= 8 && asked.length >= 8 + asked.readUInt32BE(4)) {
        const line = asked.subarray(8, 8 + asked.readUInt32BE(4)).toString();
        asked = asked.subarray(8 + asked.readUInt32BE(4));
        server.write(encodeFrameJoined(Frame.reply, 0, Buffer.from(`answer to ${line}`)));
      }
    });
    await expect(client.spawn(99999)).rejects.toThrow(/out of range/);
    expect(await client.ctl('status')).toBe('answer to status');
    expect(await client.ctl('h1v')).toBe('answer to h1v');
  });

  it('hands on a data frame split across reads as its pieces arrive, without waiting for the rest', { timeout: 10_000 }, async () => {
    const { client, server } = await handPlayed();
    let seen = '';
    client.on({ data: (_hub, bytes) => (seen += bytes.toString()) });
    const frame = encodeFrameJoined(Frame.data, 1, Buffer.from('hello, world'));
    server.write(frame.subarray(0, 8 + 5));
    await waitFor(() => seen === 'hello', { what: `the first piece (seen '${seen}')` });
    server.write(frame.subarray(8 + 5));
    await waitFor(() => seen === 'hello, world', { what: `the rest (seen '${seen}')` });
  });

  describe('on a socket read into slabs (as io connects)', () => {
    it('bytes a data handler keeps stay as they came, after later reads', { timeout: 10_000 }, async () => {
      const { client, server } = await handPlayed({ slabbed: true });
      const kept: Buffer[] = [];
      client.on({ data: (_hub, bytes) => kept.push(bytes) });
      for (const text of ['first', 'other', 'third']) {
        server.write(encodeFrameJoined(Frame.data, 1, Buffer.from(text)));
        await waitFor(() => kept.at(-1)?.toString() === text, { what: `'${text}' (kept ${kept.join(' ')})` });
      }
      expect(kept.map(String)).toEqual(['first', 'other', 'third']);
    });

    it('a frame header split across two reads is decoded whole', { timeout: 10_000 }, async () => {
      const { client, server } = await handPlayed({ slabbed: true });
      let seen = '';
      let lastWord: string | null = 'open';
      client.on({ data: (_hub, bytes) => (seen += bytes.toString()), close: (reason) => (lastWord = reason) });
      const frame = encodeFrameJoined(Frame.data, 1, Buffer.from('whole'));
      server.write(frame.subarray(0, 5));
      await sleep(50); // the client reads the first five bytes on their own
      server.write(frame.subarray(5));
      await waitFor(() => seen === 'whole' || lastWord !== 'open', { what: `the frame (seen '${seen}')` });
      expect([seen, lastWord]).toEqual(['whole', 'open']);
    });
  });
});
