// limits.test.ts — every limit a client can run into: where it is, that it is
// configurable, and that reaching it is one clear error (and a log line where
// the client is closed for it), while other clients go on.
//
// --max-frame: a frame at the limit is taken, one byte over closes that client
// with an error frame and a log line; io's own writer must fit its frames to
// the server's limit. First line: 256 bytes is judged on what it says, 257 is
// refused for its length. --max-clients: the N+1th connection gets one line,
// the log says so, and a place freed is a place taken; connections that have
// not yet said their first line, and WebSocket clients, count too. --hubs:
// every way of naming a hub past the last is refused, and the connection
// stays. ctl: 4096 bytes a command, counted in bytes; a raw ctl line that
// never ends is cut off. A ctl client that never reads its replies must not
// make the server queue them without bound (SPEC §7): the server's RSS is
// read from /proc while one floods it. Bad values for the options are exit 2.
//
// The server logs to stderr (no -l), which srv.stderr() holds.

import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attach } from '../../src/client/connect.js';
import { REFUSED_LINGER_MS } from '../../src/server/doors.js';
import { encodeFrameJoined, Frame, FrameDecoder, type DecodedFrame } from '../../src/core/frame.js';
import { runIo } from '../helpers/bin.js';
import { envIn, tmpIoDir } from '../helpers/iodir.js';
import { useScope, type Scope } from '../helpers/scope.js';
import { collectUntilClose, fdCount, framed, hubLine, type IoServer, rawConnect, rawCtl, RawReader, settledFdCount, startIosrv } from '../helpers/server.js';
import { waitFor } from '../helpers/until.js';

const scope = useScope();


/** A connected socket, destroyed on cleanup. */
async function connect(s: Scope, sock: string): Promise<net.Socket> {
  const socket = net.connect(sock);
  s.defer(() => socket.destroy());
  socket.on('error', () => {});
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** The frames after the `IO 1` line of what a framed connection got. */
function framesOf(bytes: Buffer): DecodedFrame[] {
  const frames = new FrameDecoder().push(bytes.subarray(bytes.indexOf(0x0a) + 1));
  if (frames instanceof Error) throw frames;
  return frames;
}

/** Resident memory of a process, in bytes. */
function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** CPU time a process has used (user + system), in clock ticks. */
function cpuTicksOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Log lines (the server's stderr) that match. */
function logLines(srv: IoServer, re: RegExp): string[] {
  return srv.stderr().split('\n').filter((l) => re.test(l));
}

/** The WebSocket base URL and owner token of a server started with --listen. */
async function wsOf(srv: IoServer): Promise<{ base: string; token: string }> {
  const m = await waitFor(() => /listening on (ws:\/\/[^/\s]+)\//.exec(srv.stderr()), { what: 'the listen address in the log' });
  return { base: `${m[1]}/${srv.name}`, token: readFileSync(join(srv.dir, `${srv.name}.token`), 'utf8').trim() };
}

describe('--max-frame', () => {
  it('a frame at the limit is taken; one byte over closes that client with an error frame and a log line', async () => {
    const srv = await startIosrv(scope, ['-d', '--max-frame', '4k']);
    const reader = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'the reader on hub 1' });

    const s = await connect(scope, srv.sock);
    const got = collectUntilClose(s);
    s.write(Buffer.concat([Buffer.from('IO 1\n'), encodeFrameJoined(Frame.data, 1, Buffer.alloc(4096, 'a'))]));
    await waitFor(() => reader.bytes === 4096, { what: 'the 4096-byte frame at the reader' });
    // its own write: frames in the same read as a bad one are not acted on (protocol.md §8)
    s.write(encodeFrameJoined(Frame.data, 1, Buffer.alloc(4097, 'b')));
    const frames = framesOf(await got);
    expect(frames.map((f) => f.type)).toEqual([Frame.hello, Frame.error]);
    expect(frames[1]!.payload.toString()).toBe('io: bad frame: frame of 4097 bytes over limit 4096');
    await waitFor(() => logLines(srv, /\(unix\): bad frame: frame of 4097 bytes over limit 4096; closed$/).length === 1, { what: 'the log line' });

    // nothing of the refused frame went in; the reader and the server go on
    await rawConnect(srv.sock, 'write 1').then((w) => w.end('after\n'));
    await waitFor(() => reader.text === `${'a'.repeat(4096)}after\n`, { what: 'the later write at the reader' });
    expect(reader.isClosed).toBe(false);
  });

  it('io write fits its frames to the server --max-frame (200 kB of stdin into a 16k limit)', async () => {
    const srv = await startIosrv(scope, ['-d', '--max-frame', '16k']);
    const reader = await RawReader.open(scope, srv.sock, 1);
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'the reader on hub 1' });
    const r = await runIo('io', ['write', srv.name, '1'], envIn(srv.dir), Buffer.alloc(200_000, 'x'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    await waitFor(() => reader.bytes === 200_000, { what: `200000 bytes at the reader (got ${reader.bytes})` });
  });
});

describe('first line', () => {
  it.each([
    [256, /^io: bad first line: 'x{40}…' \(try: read N, write N, ctl, or IO <version>\)\n$/],
    [257, /^io: bad first line: line of 257 bytes over limit 256 \(try: read N, write N, ctl, or IO <version>\)\n$/],
  ])('a first line of %i bytes gets one error line, a close and a log line', async (n, want) => {
    const srv = await startIosrv(scope, ['-d']);
    const s = await connect(scope, srv.sock);
    const got = collectUntilClose(s);
    s.write(`${'x'.repeat(n)}\n`);
    expect((await got).toString('utf8')).toMatch(want);
    await waitFor(() => logLines(srv, /conn \d+ \(unix\): bad first line.*; closed$/).length === 1, { what: 'the log line' });
    expect(await rawCtl(srv.sock, 'status')).toMatch(/^io sess: .*clients 1,/);
  });
});

describe('--max-clients', () => {
  it('the N+1th gets one line and the log says so; when one leaves, a new one gets in', async () => {
    const srv = await startIosrv(scope, ['-d', '--max-clients', '3']);
    const first = await framed(scope, srv);
    await framed(scope, srv);
    await framed(scope, srv);

    await expect(attach(srv.name, { ioDir: srv.dir })).rejects.toThrow(/^io: sess: too many clients \(limit 3\)$/);
    expect(await rawCtl(srv.sock, 'status')).toBe('io: sess: too many clients (limit 3)');
    await waitFor(() => logLines(srv, /refused a client: 3 connected, limit 3 \(--max-clients\)$/).length === 2, { what: 'two refusals in the log' });

    const left = new Promise((resolve) => first.on({ close: resolve }));
    first.close();
    await left;
    const next = await waitFor(() => attach(srv.name, { ioDir: srv.dir }), { what: 'a new client to get in' });
    scope.defer(() => next.close());
    expect(await next.ctl('status')).toMatch(/^io sess: .*clients 3,/);
  });

  it('connections that have not said their first line yet count', async () => {
    const srv = await startIosrv(scope, ['-d', '--max-clients', '2']);
    const baseline = await settledFdCount(srv.pid);
    // two peers that connect and say nothing yet (a person about to type into socat)
    await connect(scope, srv.sock);
    await connect(scope, srv.sock);
    await waitFor(() => fdCount(srv.pid) >= baseline + 2, { what: 'the server to accept both' });
    expect(await rawCtl(srv.sock, 'status')).toBe('io: sess: too many clients (limit 2)');

    // a refused peer that never closes its end (half-open: it keeps its side after the server's FIN) is
    // closed from the server once it has had time to read its line
    const refused = net.connect({ path: srv.sock, allowHalfOpen: true });
    scope.defer(() => refused.destroy());
    refused.on('error', () => {});
    let said = '';
    refused.on('data', (b: Buffer) => (said += b.toString()));
    await once(refused, 'connect');
    const t0 = Date.now();
    await waitFor(() => said !== '', { what: 'the refusal' });
    expect(said).toBe('io: sess: too many clients (limit 2)\n');
    expect(fdCount(srv.pid)).toBe(baseline + 3); // held while it may still read
    await waitFor(() => fdCount(srv.pid) === baseline + 2, { what: 'the refused connection to let go of its fd', timeoutMs: REFUSED_LINGER_MS + 5000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(REFUSED_LINGER_MS - 200);
  });

  it('WebSocket clients count too', async () => {
    const srv = await startIosrv(scope, ['-d', '--max-clients', '2', '--listen', '127.0.0.1:0']);
    const { base, token } = await wsOf(srv);
    for (let i = 0; i < 2; i++) {
      const c = await attach(base, { token });
      scope.defer(() => c.close());
    }
    const third = attach(base, { token });
    third.then((c) => scope.defer(() => c.close()), () => {});
    await expect(third).rejects.toThrow(/too many clients \(limit 2\)/);
    await waitFor(() => logLines(srv, /refused a client: 2 connected, limit 2 \(--max-clients\)$/).length === 1, { what: 'the refusal in the log' });
  });
});

describe('--hubs', () => {
  it('a hub past the last is refused whichever way it is named; the connection stays', async () => {
    const srv = await startIosrv(scope, ['-d', '--hubs', '6']);
    const c = await framed(scope, srv);
    expect(c.hello.maxHubs).toBe(6);
    const errors: string[] = [];
    c.on({ error: (hub, m) => errors.push(`${hub} ${m}`) });
    c.subscribe(6);
    c.write(6, Buffer.from('x'));
    c.subscribe(5);
    await waitFor(() => errors.length === 2, { what: 'two error frames' });
    expect(errors).toEqual(['6 io: hub 6: out of range (0-5)', '6 io: hub 6: out of range (0-5)']);
    expect(hubLine(await c.ctl('status'), 5)).toMatch(/ outputs 1,/);

    expect(await c.ctl('h6v')).toBe('io: h6v: hub 6 out of range (0-5)');
    expect(await c.ctl('h65535s1')).toBe('io: h65535s1: hub 65535 out of range (0-5)');
    expect(await c.ctl('eof 6')).toBe('io: eof 6: hub 6 out of range (0-5)');
    expect(await c.ctl('signal 6 INT')).toBe('io: signal 6 INT: trihub 6 out of range (0-3)');
    expect(await c.spawn(6, 'cat')).toBe('io: trihub 6: hubs 6-8 out of range (0-5)');
    expect(await c.ctl('h5t10')).toBe('ok');
    expect(c.closed).toBe(false);

    // a raw stream has no other way to say it: one line, a close, a log line
    const s = await connect(scope, srv.sock);
    const got = collectUntilClose(s);
    s.write('read 6\n');
    expect((await got).toString()).toBe('io: hub 6: out of range (0-5)\n');
    await waitFor(() => logLines(srv, /conn \d+: hub 6: out of range \(0-5\); closed$/).length === 1, { what: 'the refusal in the log' });
  });
});

describe('ctl command length', () => {
  it('4096 bytes is a command, 4097 is refused; the limit counts bytes, not characters', async () => {
    const srv = await startIosrv(scope, ['-d']);
    const c = await framed(scope, srv);
    expect(await c.ctl('status'.padEnd(4096))).toMatch(/^io sess:/);
    expect(await c.ctl('status'.padEnd(4097))).toBe('io: command too long (4097 bytes, limit 4096)');
    expect(await c.ctl('é'.repeat(2049))).toBe('io: command too long (4098 bytes, limit 4096)');
    // over a raw ctl a whole line is judged the same way, and the connection goes on
    const s = await connect(scope, srv.sock);
    const got = collectUntilClose(s);
    s.end(`ctl\n${'status'.padEnd(4097)}\nh1s0\n`);
    expect((await got).toString()).toBe('io: command too long (4097 bytes, limit 4096)\nok\n');
  });

  it('a raw ctl line that does not end within 4096 bytes is cut off, with one line and a log line', async () => {
    const srv = await startIosrv(scope, ['-d']);
    const s = await connect(scope, srv.sock);
    const got = collectUntilClose(s);
    s.write(`ctl\n${'x'.repeat(5000)}`);
    expect((await got).toString()).toBe('io: ctl: line over 4096 bytes\n');
    await waitFor(() => logLines(srv, /conn \d+: ctl: line over 4096 bytes; closed$/).length === 1, { what: 'the refusal in the log' });
  });

  // 63 started hubs make each status reply ~4.6 kB: a 7-byte command is
  // answered with ~650 times its size. A client that sends 280 kB of them and
  // reads nothing would have the server queue ~180 MB if it kept reading. The
  // bound is the server's RSS growth: well above what a bounded queue costs
  // (the framed connection, which pauses per read, costs ~35 MiB), well
  // below what an unbounded one does.
  it.each(['raw ctl', 'framed ctl'])('a %s client that never reads its replies costs the server bounded memory', { timeout: 30_000 }, async (kind) => {
    const LIMIT = 64 * 1024 * 1024;
    const srv = await startIosrv(scope, ['-d']);
    await rawCtl(srv.sock, Array.from({ length: 63 }, (_, i) => `h${i}s0`).join('\n'));
    const base = rssOf(srv.pid);
    const s = await connect(scope, srv.sock);
    s.pause();
    const commands = 40_000;
    if (kind === 'raw ctl') s.write(`ctl\n${'status\n'.repeat(commands)}`);
    else s.write(Buffer.concat([Buffer.from('IO 1\n'), ...Array.from({ length: commands }, () => encodeFrameJoined(Frame.ctl, 0, Buffer.from('status')))]));
    // until the server has done all it will (its CPU time stands still) or its memory runs away
    let grown = 0;
    let last = -1;
    let same = 0;
    await waitFor(
      () => {
        grown = Math.max(grown, rssOf(srv.pid) - base);
        const cpu = cpuTicksOf(srv.pid);
        same = cpu === last ? same + 1 : 0;
        last = cpu;
        return grown > LIMIT || same >= 30;
      },
      { timeoutMs: 15_000, what: 'the server to go idle' },
    );
    expect(grown, `server RSS grew by ${Math.round(grown / 1048576)} MiB`).toBeLessThan(LIMIT);
    s.destroy();
    expect(await rawCtl(srv.sock, 'status')).toMatch(/^io sess:/);
  });
});

describe('option values', () => {
  it.each([
    ['--hubs', '2'],
    ['--hubs', '65536'],
    ['--max-clients', '0'],
    ['--max-frame', 'lots'],
    ['--stall-timeout', '-1'],
    ['--buffer', '0x10'],
    ['--buffer', '1'],
    ['--buffer', '99g'],
    ['--max-frame', '5g'],
  ])('%s %s is refused with one line naming the flag and the value, exit 2', async (flag, value) => {
    const dir = tmpIoDir(scope);
    const r = await runIo('iosrv', ['-d', flag, value, 'sess'], envIn(dir));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^io: ${flag}: '${value}' (is not|is out of range) [^\\n]+\\n$`));
    expect(existsSync(join(dir, 'sess'))).toBe(false);
  });
});
