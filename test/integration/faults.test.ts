// faults.test.ts — things that go wrong around a server, and what it does then.
//
// Killed processes: a client SIGKILLed halfway through a frame (and one
// halfway through a raw ctl line) leaves nothing behind — the server's fd
// count and client count go back, and another client goes on. A server
// SIGKILLed leaves its socket; the next `io NAME` says so, removes it and
// starts afresh. A session process SIGKILLed (pipes and pty) ends its hubs:
// every reader gets EOF and the server ends by itself.
// Readers that do not read: in fast mode they cost a bounded amount and
// slow nobody, and a paused one is told exactly what it lost; in paranoid
// mode one that holds the writers is dropped after --stall-timeout.
// Resources: a log that cannot be written is reported once and the server
// goes on (also when io started it, with its stderr on that log); a server
// out of file descriptors (ulimit -n 64) serves the clients it has,
// refuses new ones, says so in its log, and takes new ones once some leave.
//
// Processes started here are children we kill on cleanup; each server lives
// in its own IO_DIR, whose cleanup kills anything left with it in its env.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attach } from '../../src/client/connect.js';
import { binPath, runIo, spawnIo } from '../helpers/bin.js';
import { envIn, tmpIoDir } from '../helpers/iodir.js';
import { useScope, type Scope } from '../helpers/scope.js';
import { chunksOf, counterStream, exitOf, fdCount, framed, hubLine, type IoServer, isGone, procState, randomStream, rawConnect, rawCtl, RawReader, rawWrite, sessionPid, settledFdCount, sha256, startIosrv } from '../helpers/server.js';
import { checkedReader } from '../helpers/checked.js';
import { sleep, waitFor } from '../helpers/until.js';
import { encodeFrameJoined, Frame, HEADER_BYTES } from '../../src/core/frame.js';

const scope = useScope();
const isRoot = process.getuid?.() === 0;

/** A child we own: killed on cleanup if the test did not. */
function child(s: Scope, file: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const c = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  s.defer(() => {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return c;
}

/** Clients connected, not counting the ctl connection that asks. */
async function clientsOf(sock: string): Promise<number> {
  return Number(/clients (\d+)/.exec(await rawCtl(sock, 'status'))?.[1]) - 1;
}

function resident(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/**
 * A node child that connects, sends these bytes, says `sent` on stdout and
 * then waits to be killed: a client caught in the middle of something.
 */
async function halfway(s: Scope, srv: IoServer, bytes: Buffer): Promise<ChildProcess> {
  const code = `const s = require('net').connect(process.argv[1], () => s.write(Buffer.from(process.argv[2], 'base64'), () => console.log('sent'))); setInterval(() => {}, 1e6);`;
  const c = child(s, process.execPath, ['-e', code, srv.sock, bytes.toString('base64')], envIn(srv.dir));
  await new Promise<void>((resolve, reject) => {
    c.stdout!.once('data', () => resolve());
    c.once('exit', (code) => reject(new Error(`the child exited (${code}) before sending`)));
  });
  return c;
}

describe('killed processes', () => {
  it('a client SIGKILLed mid-frame (and one mid ctl line) leaves no fd, no client, and the others going', async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const other = await framed(scope, srv);
    let seen = '';
    other.on({ data: (_h, b) => (seen += b.toString()) });
    other.subscribe(1);
    other.write(0, Buffer.from('one\n'));
    await waitFor(() => seen === 'one\n', { what: 'the other client chatting' });
    const baseline = await settledFdCount(srv.pid);

    // greeting, subscribe to hub 1, then a data frame for hub 0 that says 1000 bytes and brings 500
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(Frame.data, 0);
    header.writeUInt16BE(0, 2);
    header.writeUInt32BE(1000, 4);
    const framedHalf = await halfway(scope, srv, Buffer.concat([Buffer.from('IO 1\n'), encodeFrameJoined(Frame.subscribe, 1), header, Buffer.alloc(500, 'h')]));
    const ctlHalf = await halfway(scope, srv, Buffer.from('ctl\nstat'));
    await waitFor(async () => (await clientsOf(srv.sock)) === 3 && / outputs 2,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'both children connected, one reading hub 1' });

    framedHalf.kill('SIGKILL');
    ctlHalf.kill('SIGKILL');
    await Promise.all([exitOf(framedHalf), exitOf(ctlHalf)]);
    await waitFor(async () => (await clientsOf(srv.sock)) === 1, { what: 'the killed clients gone' });
    expect(hubLine(await rawCtl(srv.sock, 'status'), 1)).toMatch(/ outputs 1,/);
    // none of the half frame went into hub 0: cat echoed only what the other client wrote
    other.write(0, Buffer.from('two\n'));
    await waitFor(() => seen === 'one\ntwo\n', { what: 'the other client to go on' });
    await waitFor(() => fdCount(srv.pid) <= baseline, { timeoutMs: 3000, what: `fds back to ${baseline} (now ${fdCount(srv.pid)})` });
  });

  it('a server SIGKILLed leaves a stale socket; the next io NAME says so, removes it, and starts afresh', async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const oldSession = sessionPid(await rawCtl(srv.sock, 'status'));
    srv.child.kill('SIGKILL');
    await srv.exited;
    expect(lstatSync(srv.sock).isSocket()).toBe(true);
    // its session (cat on pipes) sees its stdin end, and goes
    await waitFor(() => [null, 'Z'].includes(procState(oldSession)), { what: `the old session ${oldSession} gone` });

    const r = await runIo('io', ['-c', 'cat', srv.name], envIn(srv.dir));
    expect(r.stderr).toBe(`io: ${srv.name}: removed a stale socket (its server had died)\nio: ${srv.name} started (attach: io ${srv.name})\n`);
    expect(r.status).toBe(0);
    const status = await rawCtl(srv.sock, 'status');
    const pid = Number(/^io sess: pid (\d+),/.exec(status)?.[1]);
    expect(pid).not.toBe(srv.pid);
    expect(sessionPid(status)).not.toBe(oldSession);
    expect(await rawCtl(srv.sock, 'quit')).toBe('ok');
    await waitFor(() => isGone(pid) && !existsSync(srv.sock), { what: 'the new server gone' });
  });

  // the same count for a pty: its screen-mode tracker is the server's own, not counted
  it.each([
    ['pipes', ['-c', 'cat'], 3],
    ['a pty', ['--pty', '-c', 'cat'], 3],
  ])('a session process on %s SIGKILLed: every reader gets EOF, the server ends', async (_what, args, outputs) => {
    const srv = await startIosrv(scope, args);
    const pid = sessionPid(await rawCtl(srv.sock, 'status'));
    const raw = await RawReader.open(scope, srv.sock, 1);
    const c = await framed(scope, srv);
    const eofs: number[] = [];
    c.on({ eof: (hub) => eofs.push(hub) });
    c.subscribe(1);
    c.subscribe(2);
    const ioRead = spawnIo(scope, 'io', ['read', srv.name, '1'], envIn(srv.dir));
    const ioExit = exitOf(ioRead);
    await waitFor(async () => hubLine(await rawCtl(srv.sock, 'status'), 1).includes(` outputs ${outputs},`), { what: `${outputs} outputs on hub 1` });

    process.kill(pid, 'SIGKILL');
    await raw.closed;
    expect(await ioExit).toEqual({ code: 0, signal: null });
    await waitFor(() => eofs.length === 2, { what: 'eof on hubs 1 and 2' });
    expect(eofs.sort()).toEqual([1, 2]);
    expect(await srv.exited).toEqual({ code: 0, signal: null });
    expect(srv.stderr()).toMatch(new RegExp(`session on trihub 0 \\(pid ${pid}\\) exited: signal SIGKILL`));
    expect(existsSync(srv.sock)).toBe(false);
    await waitFor(() => isGone(pid), { what: `session ${pid} reaped` });
  });
});

describe('readers that do not read', () => {
  it('fast: one that never reads costs a bounded amount; a paused one gets a gap with the exact loss; a third gets all', { timeout: 30_000 }, async () => {
    const RING = 64 * 1024;
    const CHUNK = 16 * 1024;
    const total = 96 * 1024 * 1024;
    const stream = counterStream(total);
    const srv = await startIosrv(scope, ['-d', '--buffer', '64k']);
    const fast = await RawReader.open(scope, srv.sock, 1);
    // connects, says `read 1`, and never reads a byte
    const never = await rawConnect(srv.sock, 'read 1');
    scope.defer(() => never.destroy());
    never.pause();
    const paused = await framed(scope, srv);
    const r = checkedReader(paused, stream);
    paused.subscribe(1);
    await waitFor(async () => / outputs 3,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'three readers on hub 1' });
    paused.pause();
    const before = resident(srv.pid);
    let most = 0;
    let sent = 0;
    await rawWrite(srv.sock, 1, chunksOf(stream, CHUNK), {
      // the fast reader keeps up: the writer never gets a ring ahead of it
      beforeChunk: () => fast.reached(sent + CHUNK - RING),
      onSent: (n) => {
        sent += n;
        if (sent % (4 * 1024 * 1024) === 0) most = Math.max(most, resident(srv.pid) - before);
      },
    });
    await fast.reached(total);
    expect(fast.digest()).toBe(sha256(stream));
    // 96 MiB went past two readers that took none of it: had the server kept it for them, that is 192 MiB;
    // what it did cost is the ring, two bounded send queues and the garbage of passing 96 MiB through (~40 MiB)
    expect(most, `server RSS grew by ${Math.round(most / 1048576)} MiB`).toBeLessThan(64 * 1024 * 1024);

    paused.resume();
    await waitFor(() => r.pos >= total || r.bad, { timeoutMs: 5000, what: `the paused reader at the end (at ${r.pos})` });
    expect(r.bad).toBeNull();
    expect(r.gaps).toBe(1);
    expect(r.received + r.lost).toBe(total);
    const view = JSON.parse(await paused.ctl('h1v', { json: true })) as { bytesIn: number; endpoints: { owner: string; lostBytes?: number }[] };
    expect(view.bytesIn).toBe(total);
    expect(view.endpoints.map((e) => e.lostBytes)).toContain(r.lost);
    // the one that never read is still there, still costing no more
    expect(never.destroyed).toBe(false);
  });

  it('paranoid --stall-timeout 2: a reader that holds the writer is dropped with a log line, and the writer goes on', { timeout: 30_000 }, async () => {
    const srv = await startIosrv(scope, ['-d', '-p', '--buffer', '64k', '--stall-timeout', '2']);
    const good = await RawReader.open(scope, srv.sock, 1);
    const since = Date.now();
    const stalled = await RawReader.open(scope, srv.sock, 1, { throttle: { bytesPerTick: 1, tickMs: 60_000 } });
    await waitFor(async () => / outputs 2,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'two readers on hub 1' });

    const { chunks, sha256: want } = randomStream(4 * 1024 * 1024);
    let sent = 0;
    const writing = rawWrite(srv.sock, 1, chunks, { onSent: (n) => (sent += n) });
    await waitFor(async () => {
      const before = sent;
      const full = / held 65536\/64k, inputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1));
      return full && sent === before && sent < 4 * 1024 * 1024;
    }, { what: 'the writer held back by the stalled reader' });

    await writing;
    const droppedAfter = Date.now() - since;
    await waitFor(() => good.bytes === 4 * 1024 * 1024, { what: `4 MiB at the good reader (got ${good.bytes})` });
    expect(good.digest()).toBe(want);
    const line = srv.stderr().split('\n').find((l) => l.includes('--stall-timeout'));
    expect(line).toMatch(/conn \d+: read nothing of hub 1 for 2 s while paranoid writers waited; dropped \(--stall-timeout 2\)$/);
    expect(droppedAfter).toBeGreaterThanOrEqual(2000);
    expect(hubLine(await rawCtl(srv.sock, 'status'), 1)).toMatch(/ outputs 1,/);
    expect(await clientsOf(srv.sock)).toBe(1);
    // the server closed it: once it reads, it gets what was queued for it and then the end
    stalled.unthrottle();
    await stalled.closed;
  });

  it('paranoid --stall-timeout 1: an io read whose own reader stalls is dropped, and once read again it says why and exits 1', { timeout: 30_000 }, async () => {
    const srv = await startIosrv(scope, ['-d', '-p', '--buffer', '64k', '--stall-timeout', '1']);
    const reader = spawnIo(scope, 'io', ['read', srv.name, '1'], envIn(srv.dir));
    const exited = exitOf(reader);
    let stderr = '';
    reader.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    reader.stdout!.pause(); // the pipe fills, io read stops reading the server
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'io read on hub 1' });
    await rawWrite(srv.sock, 1, randomStream(2 * 1024 * 1024).chunks);
    expect(srv.stderr()).toMatch(/read nothing of hub 1 for 1 s while paranoid writers waited; dropped \(--stall-timeout 1\)/);
    // longer than a closing connection is given (END_STALL_MS, 2 s): a dropped reader is given longer
    await sleep(3000);
    reader.stdout!.resume();
    expect(await exited).toEqual({ code: 1, signal: null });
    expect(stderr).toBe('io: read nothing of hub 1 for 1 s while paranoid writers waited; dropped (--stall-timeout 1)\n');
  });

  it('fast --stall-timeout 1: a host whose shell reads nothing holds writers only that long, then is dropped', { timeout: 30_000 }, async () => {
    const srv = await startIosrv(scope, ['-d', '--buffer', '64k', '--stall-timeout', '1']);
    const host = await framed(scope, srv);
    expect(await host.host(3, process.pid)).toBe('ok');
    host.subscribe(3);
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 3)), { what: 'the host on hub 3' });
    host.pause(); // its shell reads nothing
    let sent = 0;
    await rawWrite(srv.sock, 3, randomStream(2 * 1024 * 1024).chunks, { onSent: (n) => (sent += n) });
    expect(sent).toBe(2 * 1024 * 1024);
    expect(srv.stderr()).toMatch(/conn \d+: read nothing of hub 3 for 1 s while writers waited; dropped \(--stall-timeout 1\)/);
    expect(hubLine(await rawCtl(srv.sock, 'status'), 3)).toMatch(/^hub 3: fast, /);
  });

  it('paranoid --stall-timeout 2: a framed reader dropped for stalling is told why', { timeout: 30_000 }, async () => {
    const srv = await startIosrv(scope, ['-d', '-p', '--buffer', '64k', '--stall-timeout', '2']);
    const c = await framed(scope, srv);
    const errors: string[] = [];
    const closed = new Promise((resolve) => c.on({ error: (_h, m) => errors.push(m), close: resolve }));
    c.subscribe(1);
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'the reader on hub 1' });
    c.pause();
    const writing = rawWrite(srv.sock, 1, randomStream(2 * 1024 * 1024).chunks);
    await writing;
    expect(srv.stderr()).toMatch(/conn \d+: read nothing of hub 1 for 2 s while paranoid writers waited; dropped \(--stall-timeout 2\)/);
    c.resume();
    await closed;
    // not `this output was freed (hNf)`: nobody sent hNf
    expect(errors.join('\n')).toMatch(/--stall-timeout/);
  });
});

describe('an unwritable log', () => {
  const logCases: [string, (dir: string) => string, RegExp][] = [
    ['/dev/full', () => '/dev/full', /^io: log \/dev\/full: ENOSPC: logging stopped, the server goes on$/],
    ['a path through a regular file', (dir) => {
      writeFileSync(join(dir, 'file'), '');
      return join(dir, 'file', 'sess.log');
    }, /^io: log \S+\/file\/sess\.log: ENOTDIR: logging stopped, the server goes on$/],
  ];
  it.each(logCases)('iosrv -l %s warns once on stderr and keeps serving', async (_what, path, warning) => {
    const dir = tmpIoDir(scope);
    const srv = await startIosrv(scope, ['-l', path(dir), '-c', 'cat'], { dir });
    const c = await framed(scope, srv);
    let seen = '';
    c.on({ data: (_h, b) => (seen += b.toString()) });
    c.subscribe(1);
    // events that would each be a log line
    for (const cmd of ['fear', 'calm', 'debug', 'h4s0', 'shutup']) expect(await c.ctl(cmd)).toBe('ok');
    c.write(0, Buffer.from('still serving\n'));
    await waitFor(() => seen === 'still serving\n', { what: 'the echo through cat' });
    const lines = srv.stderr().split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(warning);
  });

  it('iosrv -l with a path through a file (ENOTDIR, for root too) warns once and keeps serving', async () => {
    const dir = tmpIoDir(scope);
    writeFileSync(join(dir, 'plain'), '');
    const srv = await startIosrv(scope, ['-l', join(dir, 'plain', 'sess.log'), '-d'], { dir });
    expect(await rawCtl(srv.sock, 'fear')).toBe('ok');
    expect(await rawCtl(srv.sock, 'calm')).toBe('ok');
    expect(srv.stderr().trim()).toBe(`io: log ${join(dir, 'plain', 'sess.log')}: ENOTDIR: logging stopped, the server goes on`);
  });

  // root writes into a read-only directory all the same
  it.runIf(!isRoot)('iosrv -l into a read-only directory warns once and keeps serving', async () => {
    const dir = tmpIoDir(scope);
    const { mkdirSync, chmodSync } = await import('node:fs');
    mkdirSync(join(dir, 'ro'), { mode: 0o500 });
    chmodSync(join(dir, 'ro'), 0o500);
    const srv = await startIosrv(scope, ['-l', join(dir, 'ro', 'sess.log'), '-d'], { dir });
    expect(await rawCtl(srv.sock, 'fear')).toBe('ok');
    expect(srv.stderr().trim()).toBe(`io: log ${join(dir, 'ro', 'sess.log')}: EACCES: logging stopped, the server goes on`);
  });

  // io starts the server in the background with its stdout and stderr on the log file
  it.each(logCases)('io -l %s -c cat: the server it starts keeps serving', async (_what, path) => {
    const dir = tmpIoDir(scope);
    const r = await runIo('io', ['-l', path(dir), '-c', 'cat', 'sess'], envIn(dir));
    expect(r.stderr).toMatch(/io: sess started \(attach: io sess\)\n$/);
    expect(r.status).toBe(0);
    const sock = join(dir, 'sess');
    expect(await rawCtl(sock, 'fear')).toBe('ok');
    expect(await rawCtl(sock, 'calm')).toBe('ok');
    const c = await attach('sess', { ioDir: dir });
    scope.defer(() => c.close());
    let seen = '';
    c.on({ data: (_h, b) => (seen += b.toString()) });
    c.subscribe(1);
    c.write(0, Buffer.from('still serving\n'));
    await waitFor(() => seen === 'still serving\n', { what: 'the echo through cat' });
    expect(await c.ctl('quit')).toBe('ok');
  });
});

describe('out of file descriptors', () => {
  /** iosrv -d with `ulimit -n N` (soft and hard), answering on its socket. */
  async function startLimited(nofile: number): Promise<{ sock: string; pid: number; log: () => string }> {
    const dir = tmpIoDir(scope);
    // sh sets the limit and execs node: the pid is the server's
    const c = child(scope, '/bin/sh', ['-c', `ulimit -n ${nofile} && exec "$0" "$@"`, process.execPath, binPath('iosrv'), '-d', 'sess'], envIn(dir));
    let log = '';
    c.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    const sock = join(dir, 'sess');
    await waitFor(async () => existsSync(sock) && (await rawCtl(sock, 'status', 1000)).startsWith('io sess:'), { what: 'the limited server to answer' });
    expect(readFileSync(`/proc/${c.pid}/limits`, 'latin1')).toMatch(new RegExp(`Max open files\\s+${nofile}\\s+${nofile}`));
    return { sock, pid: c.pid!, log: () => log };
  }

  /** A `read 1` connection: resolves with it once admitted, or null when the server closes it at once. */
  async function reader(sock: string): Promise<net.Socket | null> {
    const s = net.connect(sock);
    scope.defer(() => s.destroy());
    s.on('error', () => {});
    const opened = await new Promise<boolean>((resolve) => {
      s.once('connect', () => resolve(true));
      s.once('close', () => resolve(false));
    });
    if (!opened) return null;
    s.write('read 1\n');
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 150);
      s.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    return closed ? null : s;
  }

  /** Open readers, ten at a time, until some are refused; the ones admitted. */
  async function exhaust(sock: string): Promise<net.Socket[]> {
    const admitted: net.Socket[] = [];
    for (let i = 0; i < 10; i++) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => reader(sock)));
      admitted.push(...batch.filter((s): s is net.Socket => s !== null));
      if (batch.includes(null)) return admitted;
    }
    throw new Error('100 connections admitted under a limit of 64 fds');
  }

  it('at EMFILE the server serves the clients it has, refuses new ones, and takes them again once some leave', { timeout: 30_000 }, async () => {
    const srv = await startLimited(64);
    const c = await attach('sess', { ioDir: join(srv.sock, '..') });
    scope.defer(() => c.close());
    let seen = '';
    c.on({ data: (_h, b) => (seen += b.toString()) });
    c.subscribe(1);
    const admitted = await exhaust(srv.sock);
    expect(admitted.length).toBeGreaterThan(10);
    expect(fdCount(srv.pid)).toBeGreaterThanOrEqual(60);

    // the clients it has are served: ctl, and a write that reaches every reader
    expect(await c.ctl('status')).toMatch(/^io sess: .*clients \d\d,/);
    const got = new Promise<Buffer>((resolve) => admitted[0]!.once('data', resolve));
    c.write(1, Buffer.from('to all\n'));
    await waitFor(() => seen === 'to all\n', { what: 'the write back at the framed client' });
    expect((await got).toString()).toBe('to all\n');

    for (const s of admitted.splice(0, 10)) s.destroy();
    await waitFor(async () => (await rawCtl(srv.sock, 'status', 1000)).startsWith('io sess:'), { what: 'a new client to get in' });
  });

  it('at EMFILE the log says the server cannot accept', { timeout: 30_000 }, async () => {
    const srv = await startLimited(64);
    await exhaust(srv.sock);
    await waitFor(() => /cannot accept a client/.test(srv.log()), { timeoutMs: 3000, what: `a log line saying so (log: ${srv.log()})` });
  });
});
