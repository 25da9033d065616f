// hostile.test.ts — clients that die, lie or churn: only they are affected.
//
// SIGKILL: in paranoid mode (-d -p, a 64k ring) a stalled `io read` child and
// a stalled socat watcher hold the writer back; killing them mid-stream must
// release it, and an in-process reader must still get every byte. Paranoid is
// the harder case: a dead reader that kept counting would stall the hub.
// Garbage: a first line that is no greeting gets exactly one line and a
// close; a framed client with an oversize length, an unknown type or a
// server-only type gets one error frame and a close. Meanwhile another client
// keeps working. Churn: 1000 connect/disconnect cycles leave the server's fd
// count where it was (read from /proc/PID/fd). The baseline is taken after a
// warm-up of every kind of cycle, so that anything Node opens once, lazily,
// is already open; the tolerance of 2 covers such one-time fds (libuv's
// threadpool wakeup, say) and nothing per client, which would show as
// hundreds.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { encodeFrameJoined, Frame, FrameDecoder, HEADER_BYTES, MAX_FRAME_BYTES, type DecodedFrame } from '../../src/core/frame.js';
import { attach } from '../../src/client/connect.js';
import { binPath } from '../helpers/bin.js';
import { envIn } from '../helpers/iodir.js';
import { useScope, type Scope } from '../helpers/scope.js';
import { collectUntilClose, exitOf, fdCount, framed, hubLine, type IoServer, randomStream, rawConnect, rawCtl, RawReader, rawWrite, settledFdCount, startIosrv, within } from '../helpers/server.js';
import { waitFor } from '../helpers/until.js';

/** A child we own: killed on cleanup if the test did not. */
function child(scope: Scope, file: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const c = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  scope.defer(() => {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return c;
}


/** Frames a framed connection got, after the `IO 1` line. */
function framesOf(bytes: Buffer): { line: string; frames: DecodedFrame[] } {
  const nl = bytes.indexOf(0x0a);
  const frames = new FrameDecoder().push(bytes.subarray(nl + 1));
  if (frames instanceof Error) throw frames;
  return { line: bytes.subarray(0, nl).toString('latin1'), frames };
}

function header(type: number, hub: number, length: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt8(type, 0);
  h.writeUInt16BE(hub, 2);
  h.writeUInt32BE(length, 4);
  return h;
}

async function clientsOf(srv: IoServer): Promise<number> {
  const m = /clients (\d+)/.exec(await rawCtl(srv.sock, 'status'));
  // the ctl connection asking is one of them
  return Number(m?.[1]) - 1;
}

describe('hostile clients', () => {
  const scope = useScope();

  it('readers SIGKILLed mid-stream release a paranoid hub; another reader gets every byte', { timeout: 30_000 }, async () => {
    const srv = await startIosrv(scope, ['-d', '-p', '--buffer', '64k']);
    const good = await RawReader.open(scope, srv.sock, 1);
    // neither child's stdout is read: each stalls, and holds the hub back
    const ioRead = child(scope, process.execPath, [binPath('io'), 'read', srv.name, '1'], envIn(srv.dir));
    const socat = child(scope, 'socat', ['-', `UNIX-CONNECT:${srv.sock}`], envIn(srv.dir));
    socat.stdin!.write('read 1\n');
    await waitFor(async () => / outputs 3,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'three readers on hub 1' });

    const { chunks, sha256 } = randomStream(8 * 1024 * 1024);
    let sent = 0;
    const writing = rawWrite(srv.sock, 1, chunks, { onSent: (n) => (sent += n) });
    const stuck = async (): Promise<boolean> => {
      const before = sent;
      const full = / held 65536\/64k, inputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1));
      return full && sent === before && good.bytes < 8 * 1024 * 1024;
    };
    await waitFor(stuck, { timeoutMs: 10_000, what: 'the writer held back by the stalled readers' });

    ioRead.kill('SIGKILL');
    await within(exitOf(ioRead), 5000, () => 'io read to die');
    await waitFor(async () => / outputs 2,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'the io read gone from hub 1' });
    // socat still stalls it
    await waitFor(stuck, { timeoutMs: 10_000, what: 'the writer still held back by socat' });

    socat.kill('SIGKILL');
    await within(exitOf(socat), 5000, () => 'socat to die');
    const status = async (): Promise<string> => hubLine(await rawCtl(srv.sock, 'status'), 1);
    let last = '';
    const watching = setInterval(() => void status().then((l) => (last = l), () => {}), 500);
    scope.defer(() => clearInterval(watching));
    await within(writing, 15_000, () => `the writer to finish (sent ${sent}, good reader ${good.bytes}; ${last})`);
    await waitFor(() => good.bytes === 8 * 1024 * 1024, { timeoutMs: 10_000, what: `8 MiB at the good reader (got ${good.bytes})` });
    expect(good.digest()).toBe(sha256);
    expect(hubLine(await rawCtl(srv.sock, 'status'), 1)).toMatch(/ outputs 1,/);
  });

  it.each([
    ['a line of text', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a bad hub number', 'read one\n'],
    ['256 bytes of binary with no newline', Buffer.alloc(300, 0xff)],
  ])('garbage as a first line (%s) gets one error line and a close; others go on', { timeout: 10_000 }, async (_what, garbage) => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const other = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'a reader on hub 1' });

    const s = net.connect(srv.sock);
    s.on('error', () => {});
    const got = collectUntilClose(s);
    s.write(garbage);
    const text = (await got).toString('latin1');
    expect(text.startsWith('io: bad first line')).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);

    await rawWrite(srv.sock, 0, [Buffer.from('still here\n')]);
    await waitFor(() => other.text === 'still here\n', { what: 'the other reader to go on' });
    expect(await clientsOf(srv)).toBe(1);
  });

  it('a resize for a hub that is no trihub is ignored: the client stays, the session keeps its size', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['--pty', '-c', 'cat']);
    const c = await framed(scope, srv);
    const before = await c.ctl('status');
    c.resize(1, 120, 40);
    c.resize(63, 120, 40);
    expect(c.closed).toBe(false);
    expect(/^trihub 0: session pid \d+, pty (\d+x\d+),/m.exec(await c.ctl('status'))?.[1]).toBe(/^trihub 0: session pid \d+, pty (\d+x\d+),/m.exec(before)?.[1]);
  });

  it.each([
    ['an oversize length', header(Frame.data, 1, 0xffffffff), `io: bad frame: frame of ${0xffffffff} bytes over limit ${MAX_FRAME_BYTES}`],
    ['a length just over the limit', header(Frame.data, 1, MAX_FRAME_BYTES + 1), `io: bad frame: frame of ${MAX_FRAME_BYTES + 1} bytes over limit ${MAX_FRAME_BYTES}`],
    ['an unknown type', header(200, 0, 0), 'io: bad frame: unknown frame type 200'],
    ['a type only servers send', encodeFrameJoined(Frame.gap, 1, Buffer.alloc(8)), `io: bad frame: type ${Frame.gap} is sent by servers, not clients`],
    ['a window of 65535x65535', encodeFrameJoined(Frame.resize, 0, Buffer.from([0xff, 0xff, 0xff, 0xff])), 'io: bad frame: resize needs cols and rows (u16 each, 1 to 10000)'],
  ])('a framed client sending %s gets an error frame and a close; others go on', { timeout: 10_000 }, async (_what, bad, message) => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const other = await framed(scope, srv);
    let seen = '';
    other.on({ data: (_h, b) => (seen += b.toString()) });
    other.subscribe(1);
    await waitFor(async () => / outputs 1,/.test(hubLine(await other.ctl('status'), 1)), { what: 'the other client on hub 1' });

    const s = net.connect(srv.sock);
    s.on('error', () => {});
    const got = collectUntilClose(s);
    s.write(Buffer.concat([Buffer.from('IO 1\n'), bad]));
    const { line, frames } = framesOf(await got);
    expect(line).toBe('IO 1');
    expect(frames.map((f) => f.type)).toEqual([Frame.hello, Frame.error]);
    expect(frames[1]!.payload.toString()).toBe(message);

    other.write(0, Buffer.from('after the bad one\n'));
    await waitFor(() => seen === 'after the bad one\n', { what: 'the other client to go on' });
    expect(await other.ctl('h1v')).toMatch(/^hub 1: fast/);
    expect(other.closed).toBe(false);
  });

  it('1000 connect/disconnect cycles (raw read, ctl, framed) leave the fd count unchanged', { timeout: 60_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    await rawWrite(srv.sock, 0, [Buffer.from('backlog\n')]);
    await waitFor(async () => / held 8\//.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'a backlog on hub 1' });
    const cycles: (() => Promise<void>)[] = [
      // a raw reader: it gets the backlog, then hangs up
      async () => {
        const s = await rawConnect(srv.sock, 'read 1');
        await new Promise((r) => s.once('data', r));
        s.destroy();
      },
      async () => void (await rawCtl(srv.sock, 'status')),
      async () => {
        const c = await attach(srv.name, { ioDir: srv.dir });
        const closed = new Promise((r) => c.on({ close: r }));
        c.close();
        await closed;
      },
    ];
    const run = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => cycles[(i + j) % cycles.length]!()));
    };
    await run(30);
    const baseline = await settledFdCount(srv.pid);

    const t0 = Date.now();
    await run(1000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    await waitFor(() => fdCount(srv.pid) <= baseline + 2, { timeoutMs: 5000, what: `fds back to ${baseline} (now ${fdCount(srv.pid)})` });
    expect(await clientsOf(srv)).toBe(0);
    expect(hubLine(await rawCtl(srv.sock, 'status'), 1)).toMatch(/ outputs 0,/);
  });

  it('a raw reader that hangs up on an idle hub is let go at once', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const s = await rawConnect(srv.sock, 'read 1');
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'the reader on hub 1' });
    s.destroy();
    // nothing is written to hub 1 after it leaves: only its hang-up can tell the server
    await waitFor(async () => / outputs 0,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { timeoutMs: 3000, what: 'the reader gone from hub 1' });
    expect(await clientsOf(srv)).toBe(0);
  });

  it('a framed client asking for a hub out of range is told on that hub, the log says so, and its other hubs work', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat', '--hubs', '6']);
    const c = await framed(scope, srv);
    const errors: string[] = [];
    let seen = '';
    c.on({ error: (hub, text) => errors.push(`${hub}: ${text}`), data: (_h, b) => (seen += b.toString()) });
    c.subscribe(9);
    c.write(7, Buffer.from('lost\n'));
    c.subscribe(1);
    c.write(0, Buffer.from('still here\n'));
    await waitFor(() => seen === 'still here\n' && errors.length === 2, { what: 'both refusals and the echo' });
    expect(errors).toEqual(['9: io: hub 9: out of range (0-5)', '7: io: hub 7: out of range (0-5)']);
    await waitFor(() => /refused read hub 9: hub 9: out of range/.test(srv.stderr()) && /refused write hub 7: hub 7: out of range/.test(srv.stderr()), { what: `the log lines (log: ${srv.stderr()})` });
  });

  it('spawn and host frames whose payload is not the JSON object they carry are answered with an error, and start nothing', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const s = await rawConnect(srv.sock, 'IO 1');
    s.write(Buffer.concat([
      encodeFrameJoined(Frame.spawn, 3, Buffer.from('{not json')),
      encodeFrameJoined(Frame.spawn, 6, Buffer.from('{"cmd": 42}')),
      encodeFrameJoined(Frame.host, 9, Buffer.from('[]')),
      encodeFrameJoined(Frame.host, 12, Buffer.alloc(0)),
      encodeFrameJoined(Frame.host, 15, Buffer.from('{"pid": -5}')),
    ]));
    let got = Buffer.alloc(0);
    s.on('data', (b: Buffer) => (got = Buffer.concat([got, b])));
    await waitFor(() => framesOf(got).frames.filter((f) => f.type === Frame.reply).length === 5, { what: 'five replies' });
    expect(framesOf(got).frames.filter((f) => f.type === Frame.reply).map((f) => `${f.hub}: ${f.payload.toString()}`)).toEqual([
      '3: io: remote 3: a spawn frame carries JSON {"cmd"?: string}',
      '6: io: remote 6: a spawn frame carries JSON {"cmd"?: string}',
      '9: io: local 9: a host frame carries JSON {"pid": N}, a process id',
      '12: io: local 12: a host frame carries JSON {"pid": N}, a process id',
      '15: io: local 15: a host frame carries JSON {"pid": N}, a process id',
    ]);
    expect(await rawCtl(srv.sock, 'status')).not.toMatch(/^trihub/m);
    s.destroy();
  });

  it('a connection that hangs up before its first line is let go at once', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const baseline = await settledFdCount(srv.pid);
    const sockets = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const s = net.connect(srv.sock);
        s.on('error', () => {});
        await new Promise((r) => s.once('connect', r));
        if (i % 2 === 0) s.write('rea'); // half a first line
        return s;
      }),
    );
    // hang up only once the server has accepted all of them: it holds an fd for each
    await waitFor(() => fdCount(srv.pid) >= baseline + 20, { what: 'the server to accept all 20' });
    for (const s of sockets) s.destroy();
    await waitFor(() => fdCount(srv.pid) <= baseline + 2, { timeoutMs: 3000, what: `fds back to ${baseline} (now ${fdCount(srv.pid)})` });
  });
});
