// pty.test.ts — the default session: a shell on a pty (node-pty), as `iosrv NAME` runs it.
//
// SHELL=/bin/sh (and no ENV file) keeps the shell plain and fast. A framed
// client resizes trihub 0 and the shell's own `stty size` must report it;
// typed lines (CR-ended, as a terminal sends them) are echoed by the pty and
// answered on hub 1. When the shell exits, every reader — framed, raw, and an
// `io read` child — gets the rest and then EOF, and the server ends by itself.
// With --pty -c, a command gets a pty too: it waits for a line on hub 0, so
// the resize is in before it asks for the size. A pty session has a reader of
// its own on hub 1 (what keeps the screen's modes), so reader counts are
// taken relative to the count before our readers join. spawnPty itself: a
// paused pty keeps what the program says, and input the program does not read
// waits, bounded: write() says so past the mark, and onDrain says when it is in.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/client.js';
import type { SessionProcess } from '../../src/sys/proc.js';
import { PTY_INPUT_HIGH_WATER_BYTES, spawnPty } from '../../src/sys/pty.js';
import { spawnIo } from '../helpers/bin.js';
import { envIn } from '../helpers/iodir.js';
import { useScope } from '../helpers/scope.js';
import { exitOf, framed, hubLine, isGone, rawCtl, RawReader, sessionPid, startIosrv, type IoServer } from '../helpers/server.js';
import { sleep, waitFor } from '../helpers/until.js';

const SHELL_ENV = { SHELL: '/bin/sh', ENV: '', PS1: '$ ', TERM: 'xterm' };

async function outputsOf(srv: IoServer, hub: number): Promise<number> {
  return Number(/ outputs (\d+),/.exec(hubLine(await rawCtl(srv.sock, 'status'), hub))?.[1]);
}

describe('pty sessions', () => {
  const scope = useScope();

  it('the default shell: resize shows in stty size, echo hi answers, exit ends every reader and the server', { timeout: 20_000 }, async () => {
    const srv = await startIosrv(scope, [], { env: SHELL_ENV });
    const status = await rawCtl(srv.sock, 'status');
    expect(status).toMatch(/^trihub 0: session pid \d+, pty 80x24, \(shell\)$/m);
    const pid = sessionPid(status);
    const own = await outputsOf(srv, 1);

    const client = await framed(scope, srv);
    let screen = '';
    let eofs = 0;
    client.on({ data: (hub, b) => void (hub === 1 && (screen += b.toString('latin1'))), eof: (hub) => void (hub === 1 && eofs++) });
    client.subscribe(1);
    const raw = await RawReader.open(scope, srv.sock, 1, { keep: true });
    const ioRead = spawnIo(scope, 'io', ['read', srv.name, '1'], envIn(srv.dir));
    ioRead.stdout!.resume();
    const ioExit = exitOf(ioRead);
    await waitFor(async () => (await outputsOf(srv, 1)) === own + 3, { what: 'our three readers on hub 1' });

    client.resize(0, 100, 33);
    await waitFor(async () => /pty 100x33/.test(await rawCtl(srv.sock, 'status')), { what: 'the pty resized' });
    client.write(0, Buffer.from('stty size\r'));
    await waitFor(() => /\r\n33 100\r\n/.test(screen), { what: `'33 100' from stty size (screen: ${JSON.stringify(screen.slice(-200))})` });

    client.write(0, Buffer.from('echo hi\r'));
    await waitFor(() => /echo hi\r\nhi\r\n/.test(screen), { what: `'hi' back (screen: ${JSON.stringify(screen.slice(-200))})` });
    expect(raw.text).toBe(screen);

    client.write(0, Buffer.from('exit\r'));
    await waitFor(() => eofs === 1, { what: 'eof at the framed reader' });
    await raw.closed;
    expect((await ioExit).code).toBe(0);
    expect(raw.text).toBe(screen);
    expect((await srv.exited).code).toBe(0);
    await waitFor(() => isGone(pid), { what: `shell ${pid} reaped` });
  });

  it('--pty -c: a command on a pty sees the size a client set', { timeout: 15_000 }, async () => {
    const srv = await startIosrv(scope, ['--pty', '-c', 'read go; stty size; echo done'], { env: SHELL_ENV });
    expect(await rawCtl(srv.sock, 'status')).toMatch(/^trihub 0: session pid \d+, pty 80x24, read go; stty size; echo done$/m);
    const own = await outputsOf(srv, 1);
    const client = await framed(scope, srv);
    let screen = '';
    let ended = false;
    client.on({ data: (hub, b) => void (hub === 1 && (screen += b.toString('latin1'))), eof: (hub) => void (hub === 1 && (ended = true)) });
    client.subscribe(1);
    await waitFor(async () => (await outputsOf(srv, 1)) === own + 1, { what: 'our reader on hub 1' });
    client.resize(0, 132, 40);
    await waitFor(async () => /pty 132x40/.test(await rawCtl(srv.sock, 'status')), { what: 'the pty resized' });
    client.write(0, Buffer.from('go\r'));
    await waitFor(() => ended, { what: `the command's end (screen: ${JSON.stringify(screen)})` });
    expect(screen).toMatch(/40 132\r\ndone\r\n$/);
    expect((await srv.exited).code).toBe(0);
  });

  it('a full-screen program is nudged to redraw for a reader that shows a window, never for a watcher (io read, a raw stream)', { timeout: 20_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'io-winch-'));
    scope.defer(() => rmSync(dir, { recursive: true, force: true }));
    const log = join(dir, 'winch.log');
    // on the alternate screen, as vim; each SIGWINCH noted with the size it saw
    const prog = `printf '\\033[?1049h'; trap 'stty size >> ${log}' WINCH; echo ready; while :; do sleep 0.05; done`;
    const srv = await startIosrv(scope, ['--pty', '-c', prog], { env: SHELL_ENV });
    const first = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await waitFor(() => first.text.includes('ready'), { what: 'the program on the alternate screen' });
    const winches = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    // watchers: a raw stream and a framed reader that says no window size
    await RawReader.open(scope, srv.sock, 1);
    const watcher = await framed(scope, srv);
    watcher.subscribe(1);
    await waitFor(async () => (await outputsOf(srv, 1)) >= 3, { what: 'three readers' });
    await sleep(400);
    expect(winches()).toBe('');
    // a terminal: its window size, then its screen: nudged one column wider and back
    const term = await framed(scope, srv);
    term.resize(0, 80, 24);
    term.subscribe(1);
    await waitFor(() => winches().trim().split('\n').length >= 2, { what: () => `the nudge (${JSON.stringify(winches())})` });
    expect(winches().trim().split('\n').slice(0, 2)).toEqual(['24 81', '24 80']);
  });

  it('paranoid: output still held in the pty when the command exits reaches a slow reader', { timeout: 20_000 }, async () => {
    // The hub is full, so the pty is paused: the command's last lines wait in
    // the pty (kernel buffer, node-pty's stream) as it exits. They are the end
    // of its output and must be delivered before EOF, however long the slow
    // reader takes. A second session (sleep, on trihub 3) keeps the server up,
    // so this is about the pty's tail only, not about the server's own end.
    const srv = await startIosrv(scope, ['-p', '--buffer', '64k', '--pty', '-c', 'read go; seq 1 60000; echo END'], { env: SHELL_ENV });
    const client = await framed(scope, srv);
    expect(await client.spawn(3, 'sleep 100')).toBe('ok');
    const own = await outputsOf(srv, 1);
    const reader = await RawReader.open(scope, srv.sock, 1, { keep: true, throttle: { bytesPerTick: 1, tickMs: 50 } });
    await waitFor(async () => (await outputsOf(srv, 1)) === own + 1, { what: 'our reader on hub 1' });
    client.write(0, Buffer.from('go\r'));
    await reader.closed;
    const want = `go\r\n${Array.from({ length: 60000 }, (_, i) => `${i + 1}\r\n`).join('')}END\r\n`;
    const got = reader.text;
    expect(got.length, `got ${got.length} of ${want.length} bytes, ending ${JSON.stringify(got.slice(-30))}`).toBe(want.length);
    expect(got === want).toBe(true);
    expect(await client.ctl('status')).toMatch(/^trihub 3: session pid \d+, pty 80x24, sleep 100$/m);
  });
});

describe('terminal queries in the backlog (core/queries.ts)', () => {
  const scope = useScope();

  /** A framed reader of hub 1 and what it has been sent, as text. */
  async function reader(srv: IoServer): Promise<{ client: Client; text: () => string }> {
    const client = await framed(scope, srv);
    let text = '';
    client.on({ data: (hub, b) => void (hub === 1 && (text += b.toString('latin1'))) });
    client.subscribe(1);
    return { client, text: () => text };
  }

  it('a reader that joins later gets the backlog without the queries; one already there gets them live', { timeout: 15_000 }, async () => {
    // The user's bug: vim asked the terminal where the cursor is and what
    // colour the background is, and quit; every reattach replayed the
    // questions, the new terminal answered, and the answers were typed into
    // the shell (2RR at the prompt). Here a command asks (CSI 6 n, OSC 11;?),
    // a first reader sees it through, and readers that join afterwards (framed,
    // and raw `read 1`) must get the text only. Then it asks again while they
    // are attached: that is live, and a program waiting for the answer must get
    // it, so the query goes to every reader.
    const script = "printf 'one\\033[6ntwo\\033]11;?\\007\\n'; read go; printf 'three\\033[6nfour\\n'; read stop";
    const srv = await startIosrv(scope, ['--pty', '-c', script], { env: SHELL_ENV });
    const first = await reader(srv);
    await waitFor(() => first.text().includes('two'), { what: `the first line (got ${JSON.stringify(first.text())})` });

    const late = await reader(srv);
    const raw = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await waitFor(() => late.text().includes('two') && raw.text.includes('two'), { what: 'the backlog at both late readers' });
    expect(late.text()).toBe('onetwo\r\n');
    expect(raw.text).toBe('onetwo\r\n');

    first.client.write(0, Buffer.from('go\r'));
    const live = 'onetwo\r\ngo\r\nthree\x1b[6nfour\r\n';
    await waitFor(() => late.text() === live && raw.text === live, { what: `the live query at both (got ${JSON.stringify(late.text())})` });
    expect(first.text()).toMatch(/three\x1b\[6nfour\r\n$/);
  });

  it('a pipe session\'s backlog goes as it is: its bytes are not a terminal\'s', { timeout: 15_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', "printf 'a\\033[6nb\\n'; read stop"], { env: SHELL_ENV });
    const first = await reader(srv);
    await waitFor(() => first.text() === 'a\x1b[6nb\n', { what: `the line (got ${JSON.stringify(first.text())})` });
    const late = await reader(srv);
    await waitFor(() => late.text() === 'a\x1b[6nb\n', { what: `the backlog, query and all (got ${JSON.stringify(late.text())})` });
  });
});

describe('a pty process (sys/pty.ts)', () => {
  const scope = useScope();

  /** A command on a pty, paused before anything is read; killed when the test ends. */
  function pausedAtOnce(cmd: string): SessionProcess {
    const proc = spawnPty({ cmd, env: { ...process.env, ...SHELL_ENV } }, { cols: 80, rows: 24 });
    proc.pause();
    scope.defer(async () => {
      proc.signal('SIGKILL'); // the pty's foreground group: the shell and its sleep
      await waitFor(() => isGone(proc.pid), { what: `pid ${proc.pid} gone` });
    });
    return proc;
  }

  it('paused at once (as a host waits for the server): what it says first waits in the pty and comes on resume', { timeout: 10_000 }, async () => {
    const proc = pausedAtOnce('echo banner; sleep 5');
    await sleep(300);
    let text = '';
    proc.onStdout((b) => (text += b.toString('latin1')));
    await sleep(100);
    expect(text).toBe('');
    proc.resume();
    await waitFor(() => text === 'banner\r\n', { what: `the banner (got ${JSON.stringify(text)})` });
  });

  it('paused, nothing is read: more than the pty holds waits in the kernel, and every byte comes on resume', { timeout: 10_000 }, async () => {
    const proc = pausedAtOnce("head -c 200000 /dev/zero | tr '\\0' a; echo; echo END; sleep 5");
    let got = 0;
    let text = '';
    proc.onStdout((b) => {
      got += b.length;
      text = (text + b.toString('latin1')).slice(-16);
    });
    await sleep(300);
    expect(got).toBe(0);
    proc.resume();
    await waitFor(() => text.endsWith('END\r\n'), { what: `the end (got ${got} bytes)` });
    expect(got).toBe(200000 + '\r\nEND\r\n'.length);
  });

  it('input it does not read: write says wait past the mark, drain comes once it has read it all, and ^D comes after it', { timeout: 15_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iopty-'));
    scope.defer(() => rmSync(dir, { recursive: true, force: true }));
    const go = join(dir, 'go');
    const out = join(dir, 'out');
    const proc = pausedAtOnce(`stty -echo; while [ ! -e ${go} ]; do sleep 0.05; done; exec cat >${out}`);
    proc.onStdout(() => {});
    proc.resume();
    let exited = false;
    proc.onExit(() => (exited = true));
    let drains = 0;
    proc.onDrain(() => drains++);
    // whole lines (^D ends the input only at the start of a line): 640 of 100 bytes
    const chunk = Buffer.alloc(64_000, 'a');
    for (let i = 99; i < chunk.length; i += 100) chunk[i] = 0x0a;
    let written = 0;
    let full = false;
    while (!full && written < 4 * 1024 * 1024) {
      full = !proc.write(chunk);
      written += chunk.length;
    }
    expect(full, `write still true after ${written} bytes`).toBe(true);
    expect(written).toBeLessThan(PTY_INPUT_HIGH_WATER_BYTES + 1024 * 1024); // the mark, plus what the pty took
    await sleep(200);
    expect(drains).toBe(0);

    writeFileSync(go, '');
    await waitFor(() => drains === 1, { what: 'the drain' });
    proc.closeStdin();
    await waitFor(() => exited, { what: 'cat to end at ^D' });
    expect(existsSync(out) && readFileSync(out).length).toBe(written);
  });
});
