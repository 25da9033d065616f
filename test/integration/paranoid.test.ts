// paranoid.test.ts — `iosrv -p -c cat`: nothing is lost, and the writer waits.
//
// 24 MiB of seeded random bytes go into hub 0 over a raw `write 0` (with the
// socket's own backpressure); cat copies them to hub 1, read by a fast raw
// reader and a throttled one (its socket paused between ticks, so the kernel
// and the server see a slow reader). Both must end with the sha256 of what
// was sent. While it runs, a framed client samples `status --json`: the
// slowest lag on each hub never exceeds its ring, and the writer is never
// more than a few MiB (rings + pipes + socket buffers) ahead of the slow
// reader. That is the proof it was held back rather than buffered: without
// backpressure it would finish the 24 MiB long before the slow reader.
// Readers attach (seen in status) before a byte is written.
//
// The second test is the framed writer's end of input in a full paranoid hub:
// a raw writer fills hub 1 against a stalled reader, then a framed client
// sends, in one socket write, a few data frames, its eof frame and a ctl
// frame. Its bytes must wait for room and then arrive: eof closes that input
// once what it wrote is in, and nothing is ever lost in paranoid mode. The
// connection itself must then read on (its later ctl answered): the pause
// its input put on it has to be undone when that input lets go.

import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { useScope, type Scope } from '../helpers/scope.js';
import { encodeFrameJoined, Frame, FrameDecoder } from '../../src/core/frame.js';
import { framed, hubLine, isGone, randomStream, rawCtl, RawReader, rawWrite, sessionPid, startIosrv } from '../helpers/server.js';
import { waitFor } from '../helpers/until.js';

const TOTAL_BYTES = 24 * 1024 * 1024;
const BUFFER_BYTES = 256 * 1024;
/** Rings of hubs 0 and 1, cat's pipes, the feeder's chunk, the pump's high water, kernel socket buffers: all of it, with room to spare. */
const MAX_AHEAD_BYTES = 6 * 1024 * 1024;

interface HubStatus {
  hub: number;
  heldBytes: number;
  bufferBytes: number;
  slowestLagBytes: number;
}

describe('paranoid pacing', () => {
  const scope = useScope();

  it('24 MiB reach a fast and a throttled reader intact, and the writer is held back', { timeout: 40_000 }, async () => {
    const srv = await startIosrv(scope, ['-p', '--buffer', '256k', '-c', 'cat']);
    const pid = sessionPid(await rawCtl(srv.sock, 'status'));
    const fast = await RawReader.open(scope, srv.sock, 1);
    const slow = await RawReader.open(scope, srv.sock, 1, { throttle: { bytesPerTick: 64 * 1024, tickMs: 10 } });
    await waitFor(async () => / outputs 2,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'two readers on hub 1' });

    const monitor = await framed(scope, srv);
    let maxLag = 0;
    let maxHeld = 0;
    let maxAhead = 0;
    let sent = 0;
    let sampling = true;
    const samples = (async () => {
      while (sampling) {
        const s = JSON.parse(await monitor.ctl('status', { json: true })) as { pacing: string; hubs: HubStatus[] };
        expect(s.pacing).toBe('paranoid');
        for (const h of s.hubs.filter((x) => x.hub <= 1)) {
          maxLag = Math.max(maxLag, h.slowestLagBytes);
          maxHeld = Math.max(maxHeld, h.heldBytes);
        }
        maxAhead = Math.max(maxAhead, sent - slow.bytes);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();

    const { chunks, sha256 } = randomStream(TOTAL_BYTES);
    const t0 = Date.now();
    await rawWrite(srv.sock, 0, chunks, { onSent: (n) => (sent += n) });
    const writeMs = Date.now() - t0;
    // the writer finished only as the slow reader came within reach of the end
    expect(TOTAL_BYTES - slow.bytes).toBeLessThanOrEqual(MAX_AHEAD_BYTES);
    slow.unthrottle();
    await waitFor(() => fast.bytes === TOTAL_BYTES && slow.bytes === TOTAL_BYTES, { timeoutMs: 15_000, what: `24 MiB at both readers (fast ${fast.bytes}, slow ${slow.bytes})` });
    sampling = false;
    await samples;

    expect(fast.digest()).toBe(sha256);
    expect(slow.digest()).toBe(sha256);
    expect(maxLag).toBeLessThanOrEqual(BUFFER_BYTES);
    expect(maxHeld).toBeLessThanOrEqual(BUFFER_BYTES);
    expect(maxAhead).toBeLessThanOrEqual(MAX_AHEAD_BYTES);
    // 24 MiB at 6.4 MB/s (64k per 10 ms) cannot be done in under ~3 s if the writer really waited
    expect(writeMs).toBeGreaterThan(1500);

    // cat's stdin closed: it exits, hub 1 ends, both readers get eof, the server ends by itself
    expect(await monitor.ctl('eof 0')).toBe('ok');
    await Promise.all([fast.closed, slow.closed]);
    expect((await srv.exited).code).toBe(0);
    await waitFor(() => isGone(pid), { what: `session ${pid} reaped` });
  });

  it("a framed writer's eof waits for its bytes to go in, in a full hub", { timeout: 20_000 }, async () => {
    const srv = await startIosrv(scope, ['-d', '-p', '--buffer', '64k']);
    const reader = await RawReader.open(scope, srv.sock, 1, { keep: true, throttle: { bytesPerTick: 1, tickMs: 60_000 } });
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'the reader on hub 1' });

    // fill the hub (and the reader's socket) until the raw writer is held back
    const filler = rawWrite(srv.sock, 1, Array.from({ length: 16 }, () => Buffer.alloc(64 * 1024, 'r')));
    // full, and staying so: the reader's socket and the kernel have taken all they will
    let last = '';
    let same = 0;
    await waitFor(
      async () => {
        const line = hubLine(await rawCtl(srv.sock, 'status'), 1);
        same = line === last ? same + 1 : 0;
        last = line;
        return / held 65536\/64k, inputs 1, outputs 1, slowest lag 65536$/.test(line) && same >= 5;
      },
      { what: 'hub 1 full for good, its writer waiting' },
    );

    // one write: greeting, 10 data frames of 100 bytes, eof, ctl — so the server sees them in one batch
    const batch = Buffer.concat([
      Buffer.from('IO 1\n'),
      ...Array.from({ length: 10 }, () => encodeFrameJoined(Frame.data, 1, Buffer.alloc(100, 'f'))),
      encodeFrameJoined(Frame.eof, 1),
      encodeFrameJoined(Frame.ctl, 0, Buffer.from('h1v')),
    ]);
    const conn = await framedConn(scope, srv.sock);
    conn.socket.write(batch);
    expect(await conn.nextReply()).toMatch(/^hub 1: paranoid/);

    reader.unthrottle();
    await filler;
    const want = 16 * 64 * 1024 + 1000;
    await waitFor(() => reader.bytes >= want, { timeoutMs: 3000, what: `${want} bytes at the reader` }).catch(async (err: Error) => {
      throw new Error(`${err.message} (got ${reader.bytes}); h1v:\n${await rawCtl(srv.sock, 'h1v')}`);
    });
    const text = reader.text;
    expect(text.length).toBe(want);
    expect(text.replace(/r/g, '')).toBe('f'.repeat(1000));
    // and the connection reads on: its later frames are answered
    conn.socket.write(encodeFrameJoined(Frame.ctl, 0, Buffer.from('status')));
    expect(await conn.nextReply(3000, 'a ctl sent after the eof (is the connection still paused?)')).toMatch(/^io sess:/);
  });
});

/** A framed connection spoken by hand: the caller writes bytes (greeting included); replies come in order. */
async function framedConn(scope: Scope, sock: string): Promise<{ socket: net.Socket; nextReply: (timeoutMs?: number, what?: string) => Promise<string> }> {
  const socket = net.connect(sock);
  scope.defer(() => socket.destroy());
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  const decoder = new FrameDecoder();
  const replies: string[] = [];
  let waiter: (() => void) | null = null;
  let greeted = false;
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    if (!greeted) {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return;
      greeted = true;
      chunk = buf.subarray(nl + 1);
    }
    const got = decoder.push(chunk);
    if (got instanceof Error) throw got;
    for (const f of got) if (f.type === Frame.reply) replies.push(f.payload.toString());
    waiter?.();
  });
  const nextReply = async (timeoutMs = 3000, what = 'a reply'): Promise<string> => {
    if (replies.length === 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${what} in ${timeoutMs} ms`)), timeoutMs);
        waiter = () => {
          if (replies.length === 0) return;
          clearTimeout(timer);
          waiter = null;
          resolve();
        };
      });
    }
    return replies.shift()!;
  };
  return { socket, nextReply };
}
