// lifecycle.test.ts — how a server starts, refuses, and ends, with nothing left behind.
//
// Ends: `quit` (raw ctl, and `io ctl NAME quit`) and SIGTERM remove the
// socket, end the server process, and leave every session process reaped:
// gone from /proc, not a zombie (the server is its parent; only its waiting
// removes the entry). A session that ignores HUP is KILLed after the grace.
// When the session exits by itself, readers get the rest and then EOF, and
// the server ends on its own; with -d it stays up with no session at all.
// Starts: a stale socket (a listener SIGKILLed in a child, so nobody unlinks
// its file) is removed; a live one is refused with the owner's pid; an unsafe
// IO_DIR (0777, or a symlink) is refused with the fix named; the socket is
// 0600 in a 0700 directory. The session's first output waits on a line we
// write into hub 0, so readers are always attached before it starts.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runIo, spawnIo } from '../helpers/bin.js';
import { envIn, processesIn, tmpIoDir } from '../helpers/iodir.js';
import { useScope } from '../helpers/scope.js';
import { exitOf, groupMembers, hubLine, isGone, procState, rawCtl, RawReader, rawWrite, sessionPid, sha256, startIosrv, within, type IoServer } from '../helpers/server.js';
import { sleep, waitFor } from '../helpers/until.js';

/**
 * After the server has ended: no socket, a clean exit, the session process
 * reaped (gone: its parent, the server, waited for it), and every other
 * process of its group dead. Those are the session's own children: reaping
 * them is their parent's, then init's, business, so a zombie is allowed there.
 */
async function expectEnded(srv: IoServer, session: number, group: number[]): Promise<void> {
  expect(await srv.exited).toEqual({ code: 0, signal: null });
  expect(existsSync(srv.sock)).toBe(false);
  await waitFor(() => isGone(session), { timeoutMs: 3000, what: `session ${session} reaped (state ${procState(session)})` });
  for (const pid of group.filter((p) => p !== session)) {
    await waitFor(() => [null, 'Z'].includes(procState(pid)), { timeoutMs: 3000, what: `pid ${pid} dead (state ${procState(pid)})` });
  }
}

describe('lifecycle', () => {
  const scope = useScope();

  it('quit over a raw ctl: socket removed, server exits, session reaped', { timeout: 15_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const pid = sessionPid(await rawCtl(srv.sock, 'status'));
    expect(procState(pid)).not.toBeNull();
    expect(await rawCtl(srv.sock, 'quit')).toBe('ok');
    await expectEnded(srv, pid, []);
  });

  it('io ctl NAME quit does the same, and readers are told by a close', { timeout: 15_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const pid = sessionPid(await rawCtl(srv.sock, 'status'));
    const reader = await RawReader.open(scope, srv.sock, 1);
    const r = await runIo('io', ['ctl', srv.name, 'quit'], envIn(srv.dir));
    expect(r).toMatchObject({ status: 0, stdout: 'ok\n' });
    await reader.closed;
    await expectEnded(srv, pid, []);
  });

  it('SIGTERM to the server is quit', { timeout: 15_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'sleep 100']);
    const pid = sessionPid(await rawCtl(srv.sock, 'status'));
    const group = await waitFor(() => (groupMembers(pid).length >= 1 ? groupMembers(pid) : null), { what: 'the session group' });
    srv.child.kill('SIGTERM');
    await expectEnded(srv, pid, group);
  });

  it('a session that ignores HUP is KILLed after the grace', { timeout: 20_000 }, async () => {
    // sh forks sleep; both ignore HUP (an ignored signal stays ignored across exec)
    const srv = await startIosrv(scope, ['-c', 'trap "" HUP; sleep 100; echo not reached']);
    const pid = sessionPid(await rawCtl(srv.sock, 'status'));
    const group = await waitFor(() => (groupMembers(pid).length >= 2 ? groupMembers(pid) : null), { what: 'sh and its sleep' });
    const t0 = Date.now();
    expect(await rawCtl(srv.sock, 'quit')).toBe('ok');
    await expectEnded(srv, pid, group);
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(1900); // GRACE_MS = 2000: HUP first, KILL only after it
    expect(ms).toBeLessThan(8000);
    expect(srv.stderr()).toMatch(/ignored HUP; KILL/);
  });

  it('a stale socket (its listener SIGKILLed) is removed and the server starts', { timeout: 15_000 }, async () => {
    const dir = tmpIoDir(scope);
    const sock = join(dir, 'sess');
    const squatter = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('listening'))`]);
    scope.defer(() => squatter.kill('SIGKILL'));
    await new Promise((r) => squatter.stdout.once('data', r));
    squatter.kill('SIGKILL');
    await exitOf(squatter);
    expect(lstatSync(sock).isSocket()).toBe(true); // left behind: nobody unlinked it

    const srv = await startIosrv(scope, ['-d'], { dir });
    expect(srv.stderr()).toContain(`removed a stale socket at ${sock}`);
    expect(await rawCtl(sock, 'status')).toMatch(/^io sess: pid \d+/);
  });

  it('a live server is not replaced: a second iosrv is refused with its pid', { timeout: 15_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const r = await runIo('iosrv', ['-d', srv.name], envIn(srv.dir));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toBe(`io: ${srv.name} is already running (pid ${srv.pid})\n`);
    expect(await rawCtl(srv.sock, 'status')).toMatch(new RegExp(`^io ${srv.name}: pid ${srv.pid},`));
  });

  it('an IO_DIR open to others is refused, naming the fix', { timeout: 15_000 }, async () => {
    const dir = tmpIoDir(scope);
    chmodSync(dir, 0o777);
    const r = await runIo('iosrv', ['-d', 'sess'], envIn(dir));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toBe(`io: ${dir}: open to others (mode 0777); refusing (chmod 700 ${dir})\n`);
    expect(existsSync(join(dir, 'sess'))).toBe(false);
  });

  it('an IO_DIR that is a symlink is refused, naming the fix', { timeout: 15_000 }, async () => {
    const base = tmpIoDir(scope);
    const real = join(base, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = join(base, 'link');
    symlinkSync(real, link);
    const r = await runIo('iosrv', ['-d', 'sess'], envIn(link));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toBe(`io: ${link}: is a symlink; refusing (remove it, or set IO_DIR to a directory of your own)\n`);
    expect(existsSync(join(real, 'sess'))).toBe(false);
  });

  it('an IO_DIR that is a file is refused as not a directory, by io and iosrv', { timeout: 15_000 }, async () => {
    const base = tmpIoDir(scope);
    const file = join(base, 'afile');
    writeFileSync(file, '');
    for (const [program, args] of [['iosrv', ['-d', 'sess']], ['io', ['-c', 'cat', 'sess']]] as const) {
      const r = await runIo(program, [...args], envIn(file));
      expect({ program, ...r }).toEqual({ program, status: 1, stdout: '', stderr: `io: ${file}: not a directory; refusing (remove it, or set IO_DIR)\n` });
    }
  });

  it('IO_DIR is made 0700 and the socket is 0600', { timeout: 15_000 }, async () => {
    const base = tmpIoDir(scope);
    const dir = join(base, 'fresh');
    scope.defer(() => processesIn(dir).forEach((pid) => process.kill(pid, 'SIGKILL')));
    const srv = await startIosrv(scope, ['-d'], { dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(lstatSync(srv.sock).isSocket()).toBe(true);
    expect(lstatSync(srv.sock).mode & 0o777).toBe(0o600);
  });

  it('when the session exits, readers get the rest then EOF, and the server ends by itself', { timeout: 20_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'read go; seq 1 20000']);
    const pid = sessionPid(await rawCtl(srv.sock, 'status'));
    const raw = await RawReader.open(scope, srv.sock, 1, { keep: true });
    const ioRead = spawnIo(scope, 'io', ['read', srv.name, '1'], envIn(srv.dir));
    let ioOut = '';
    ioRead.stdout!.on('data', (b: Buffer) => (ioOut += b.toString()));
    const ioExit = exitOf(ioRead);
    await waitFor(async () => / outputs 2,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'both readers on hub 1' });

    await rawWrite(srv.sock, 0, [Buffer.from('go\n')]);
    const want = `${Array.from({ length: 20000 }, (_, i) => i + 1).join('\n')}\n`;
    await raw.closed;
    expect(raw.text).toBe(want);
    expect(await ioExit).toEqual({ code: 0, signal: null });
    expect(ioOut).toBe(want);
    await expectEnded(srv, pid, []);
  });

  it('when the session exits, a stalled reader still gets the rest before the server ends', { timeout: 20_000 }, async () => {
    // seq writes 409 kB (less than the 512 kB ring: nothing can be lost in
    // fast mode) and exits. The reader is socat with its stdout unread: it
    // takes what the kernel, socat and the pipe hold (~280 kB), no more.
    // The server hands the whole stream and the eof to the reader's socket
    // (the rest queued in its own process) and decides to end (its log says
    // quit). Only then do we read socat's stdout. SPEC §2: readers get the
    // bytes they have not yet taken, then eof; the server ends once they
    // have drained — so every byte must come out of socat.
    const srv = await startIosrv(scope, ['-c', 'read go; seq 1 70000']);
    const socat = spawn('socat', ['-', `UNIX-CONNECT:${srv.sock}`], { stdio: ['pipe', 'pipe', 'ignore'] });
    scope.defer(() => socat.kill('SIGKILL'));
    const socatExit = exitOf(socat);
    socat.stdin.write('read 1\n');
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'socat on hub 1' });
    await rawWrite(srv.sock, 0, [Buffer.from('go\n')]);
    await waitFor(() => /quit: every session ended/.test(srv.stderr()), { what: 'the server to decide to end' });
    const hash = createHash('sha256');
    let got = 0;
    socat.stdout.on('data', (b: Buffer) => {
      got += b.length;
      hash.update(b);
    });
    await within(socatExit, 10_000, () => `socat to see the end (it has ${got})`);
    const want = `${Array.from({ length: 70000 }, (_, i) => i + 1).join('\n')}\n`;
    expect(got, `got ${got} of ${want.length} bytes`).toBe(want.length);
    expect(hash.digest('hex')).toBe(sha256(Buffer.from(want)));
    expect((await srv.exited).code).toBe(0);
  });

  it('quit does not wait on a connection that never said its first line', { timeout: 15_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const silent = net.connect(srv.sock);
    silent.on('error', () => {});
    await new Promise((r) => silent.once('connect', r));
    scope.defer(() => silent.destroy());
    const t0 = Date.now();
    expect(await rawCtl(srv.sock, 'quit')).toBe('ok');
    expect((await srv.exited).code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('with -d the server stays up with no session', { timeout: 15_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const status = await rawCtl(srv.sock, 'status');
    expect(status).not.toMatch(/session pid/);
    // hubs come and go, a reader drains and leaves: still no reason to end
    const reader = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await rawWrite(srv.sock, 1, [Buffer.from('one\n')]);
    await waitFor(() => reader.text === 'one\n', { what: 'the line at the reader' });
    reader.socket.destroy();
    await reader.closed;
    // a server without -d would be gone within a few ms of this; give it ten times that
    await sleep(300);
    expect(srv.child.exitCode).toBeNull();
    expect(await rawCtl(srv.sock, 'status')).toMatch(/^io sess: pid/);
  });
});
