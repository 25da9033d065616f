// security.test.ts — who can reach a session, what reaches a shell, what reaches the log.
//
// IO_DIR: a directory open to group or others is refused whatever the bits
// (lifecycle.test.ts has 0777 and the symlink for iosrv), 0710 is accepted,
// one owned by another user is refused, and one made from $XDG_RUNTIME_DIR is
// 0700. The check is the client's too: `io ctl`, `io write`, `io read` and
// `io ls` on a name in an IO_DIR someone else could have planted a socket in
// would hand that someone what is typed. Files: the socket is 0660 with
// --share (in a 0710 directory), the token file and the log file are 0600.
// Shells: a session name, a hub number, a ctl line or a first line holding
// shell syntax is refused by its parser and runs nothing; `-c CMD` is
// `/bin/sh -c CMD`, with CMD exactly as given (from iosrv, and passed on by
// io), even one that starts with a dash. Logs: with -v off, neither typed
// bytes nor any token (right or wrong, Unix socket or WebSocket) reach the
// log; with -v ctl commands do, typed bytes still do not.
//
// "Shell syntax runs nothing" is checked by a file the injected command would
// create: it must not exist afterwards.

import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attach } from '../../src/client/connect.js';
import { binPath, runIo, spawnIo } from '../helpers/bin.js';
import { envIn, tmpIoDir } from '../helpers/iodir.js';
import { useScope } from '../helpers/scope.js';
import { exitOf, framed, hubLine, rawConnect, rawCtl, RawReader, rawWrite, sessionPid, startIosrv, type IoServer } from '../helpers/server.js';
import { waitFor } from '../helpers/until.js';

const scope = useScope();
const isRoot = process.getuid?.() === 0;

function modeOf(path: string): number {
  return lstatSync(path).mode & 0o777;
}

/** The argv of a process, from /proc. */
function argvOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0$/, '').split('\0');
}

/** Open a WebSocket; resolve with it open, or reject with the HTTP status it got. */
function openWs(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    scope.defer(() => ws.terminate());
  });
}

describe('IO_DIR', () => {
  it.each([
    ['0755', 0o755],
    ['0750', 0o750],
    ['0711', 0o711],
    ['0701', 0o701],
    ['0720', 0o720],
  ])('mode %s is refused, naming chmod 700', async (_text, mode) => {
    const dir = tmpIoDir(scope);
    chmodSync(dir, mode);
    const r = await runIo('iosrv', ['-d', 'sess'], envIn(dir));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`io: ${dir}: open to others (mode 0${mode.toString(8)}); refusing (chmod 700 ${dir})\n`);
    expect(existsSync(join(dir, 'sess'))).toBe(false);
  });

  it('mode 0710 is accepted and kept; the socket is still 0600', async () => {
    const dir = tmpIoDir(scope);
    chmodSync(dir, 0o710);
    const srv = await startIosrv(scope, ['-d'], { dir });
    expect(modeOf(dir)).toBe(0o710);
    expect(modeOf(srv.sock)).toBe(0o600);
  });

  it.runIf(isRoot)('a directory owned by another user is refused', async () => {
    const dir = tmpIoDir(scope);
    chownSync(dir, 65534, 65534);
    const r = await runIo('iosrv', ['-d', 'sess'], envIn(dir));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`io: ${dir}: owned by uid 65534, not 0; refusing (set IO_DIR to a directory of your own)\n`);
  });

  it('io refuses a symlinked IO_DIR too, and starts nothing behind it', async () => {
    const base = tmpIoDir(scope);
    const real = join(base, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = join(base, 'link');
    symlinkSync(real, link);
    const r = await runIo('io', ['-c', 'cat', 'sess'], envIn(link));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`io: ${link}: is a symlink; refusing (remove it, or set IO_DIR to a directory of your own)\n`);
    expect(existsSync(join(real, 'sess'))).toBe(false);
  });

  it('with no IO_DIR, $XDG_RUNTIME_DIR/io is made 0700', async () => {
    const base = tmpIoDir(scope);
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: base };
    delete env['IO_DIR'];
    const child = spawnIo(scope, 'iosrv', ['-d', 'sess'], env);
    const sock = join(base, 'io', 'sess');
    await waitFor(async () => existsSync(sock) && (await rawCtl(sock, 'status', 1000)).startsWith('io sess:'), { what: 'the server in $XDG_RUNTIME_DIR/io' });
    expect(modeOf(join(base, 'io'))).toBe(0o700);
    expect(modeOf(sock)).toBe(0o600);
    expect(await rawCtl(sock, 'quit')).toBe('ok');
    await new Promise((r) => child.once('exit', r));
  });

  // Someone who made the directory before us, or can write in it, can put a
  // socket of theirs at NAME: whatever `io write NAME 0` reads from our stdin
  // would go to them, and `io read` would print what they like.
  it('the client tools refuse a name in an IO_DIR open to others', async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    chmodSync(srv.dir, 0o777);
    const want = `io: ${srv.dir}: open to others (mode 0777); refusing (chmod 700 ${srv.dir})\n`;
    const outcomes: string[] = [];
    for (const args of [['ctl', srv.name, 'status'], ['write', srv.name, '0'], ['read', srv.name, '2'], ['ls']]) {
      const r = await runIo('io', args, envIn(srv.dir), 'typed secret\n', 2000).catch((err: Error) => ({ status: null, stdout: '', stderr: err.message }));
      if (r.status === 0 || r.stderr !== want) outcomes.push(`io ${args.join(' ')}: exit ${r.status}, stderr ${JSON.stringify(r.stderr.slice(0, 120))}`);
    }
    chmodSync(srv.dir, 0o700);
    expect(outcomes, outcomes.join('\n')).toEqual([]);
  });
});

describe('files', () => {
  it('--share: the directory is 0710 and the socket 0660, for the group', async () => {
    const base = tmpIoDir(scope);
    const dir = join(base, 'shared');
    const srv = await startIosrv(scope, ['-d', '--share'], { dir });
    expect(modeOf(dir)).toBe(0o710);
    expect(modeOf(srv.sock)).toBe(0o660);
  });

  it.runIf(isRoot)('--share: another user of the group joins the chat with io PATH', async () => {
    const srv = await startIosrv(scope, ['--share', '-c', 'cat']);
    const out = await RawReader.open(scope, srv.sock, 1, { keep: true });
    // uid nobody, in the owner's group; its own IO_DIR is not consulted for a path
    const other = spawn(process.execPath, [binPath('io'), srv.sock], { uid: 65534, gid: process.getgid!(), env: { PATH: process.env['PATH'], HOME: '/' }, stdio: ['pipe', 'pipe', 'pipe'] });
    scope.defer(() => other.kill('SIGKILL'));
    let stderr = '';
    other.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    other.stdin!.end('hello from another user\n');
    expect(await exitOf(other), stderr).toEqual({ code: 0, signal: null });
    await waitFor(() => out.text.includes('hello from another user\n'), { what: () => `the line in the chat (${JSON.stringify(out.text)}; ${stderr})` });
  });

  it('--share on a 0700 directory opens it to the group for search only', async () => {
    const srv = await startIosrv(scope, ['-d', '--share']);
    expect(modeOf(srv.dir)).toBe(0o710);
    expect(modeOf(srv.sock)).toBe(0o660);
  });

  it('the token file and the log file are 0600', async () => {
    const dir = tmpIoDir(scope);
    const srv = await startIosrv(scope, ['-d', '-l', '--listen', '127.0.0.1:0'], { dir });
    await waitFor(() => existsSync(join(dir, `${srv.name}.token`)), { what: 'the token file' });
    expect(modeOf(join(dir, `${srv.name}.token`))).toBe(0o600);
    expect(modeOf(join(dir, `${srv.name}.log`))).toBe(0o600);
    expect(readFileSync(join(dir, `${srv.name}.token`), 'utf8')).toMatch(/^[A-Za-z0-9_-]{32}\n$/);
  });
});

describe('no shell injection', () => {
  const names = ['a;touch PWNED', '$(touch PWNED)', '`touch PWNED`', 'a|touch PWNED', 'a&&touch PWNED', 'a b', '../PWNED', 'a\ntouch PWNED'];

  it.each(names)('the session name %j is refused by io and iosrv, and runs nothing', async (raw) => {
    const dir = tmpIoDir(scope);
    const pwned = join(dir, 'PWNED');
    const name = raw.replace('PWNED', pwned);
    for (const program of ['io', 'iosrv'] as const) {
      const r = await runIo(program, ['-c', 'cat', name], { ...envIn(dir), PWD: dir });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`io: bad session name '${name}': use letters, digits and _ . + @ - (at most 64, not starting with . or -, not ls read write ctl kill host help)\n`);
    }
    const ctl = await runIo('io', ['ctl', name.replace(/\//g, '_'), 'status'], envIn(dir));
    expect(ctl.status).toBe(2);
    expect(existsSync(pwned)).toBe(false);
  });

  it('ctl lines and first lines with shell syntax are refused, run nothing, and change nothing', async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const pwned = join(srv.dir, 'PWNED');
    const c = await framed(scope, srv);
    const lines = [`status; touch ${pwned}`, `signal 0 INT; touch ${pwned}`, `h1t5$(touch ${pwned})`, `eof 0 && touch ${pwned}`, `\`touch ${pwned}\``, `quit|touch ${pwned}`, `h1s0 ${pwned}`];
    for (const line of lines) {
      expect(await c.ctl(line)).toMatch(/^io: /);
      expect(await rawCtl(srv.sock, line)).toMatch(/^io: /);
    }
    for (const first of [`read 1; touch ${pwned}`, `write 0 $(touch ${pwned})`, `ctl;touch ${pwned}`]) {
      const s = await rawConnect(srv.sock, first);
      const got = await new Promise<string>((resolve) => {
        let text = '';
        s.on('data', (b: Buffer) => (text += b.toString()));
        s.on('close', () => resolve(text));
      });
      expect(got).toMatch(/^io: bad first line: /);
    }
    const r = await runIo('io', ['read', srv.name, `1;touch ${pwned}`], envIn(srv.dir));
    expect(r.status).toBe(2);
    expect(existsSync(pwned)).toBe(false);
    // nothing was done: the server and its session are as they were
    const status = await c.ctl('status');
    expect(status).toMatch(/^io sess: pid \d+, fast, /);
    expect(hubLine(status, 1)).toMatch(/^hub 1: fast, pace 0 ms, /);
  });

  const CMD = `read go; printf '%s|' "$#" 'a;b' "$(echo sub)" '$HOME' "x y"; echo`;
  const WANT = '0|a;b|sub|$HOME|x y|\n';

  it('iosrv -c CMD runs /bin/sh -c with CMD exactly as given', async () => {
    const srv = await startIosrv(scope, ['-c', CMD]);
    const pid = sessionPid(await rawCtl(srv.sock, 'status'));
    const argv = argvOf(pid);
    expect(argv[0]).toBe('/bin/sh');
    expect(argv[1]).toBe('-c');
    expect(argv.at(-1)).toBe(CMD);
    const reader = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await rawWrite(srv.sock, 0, [Buffer.from('go\n')]);
    await reader.closed;
    expect(reader.text).toBe(WANT);
  });

  it('io -c CMD passes CMD on to the server it starts untouched', async () => {
    const dir = tmpIoDir(scope);
    const r = await runIo('io', ['-c', CMD, 'sess'], envIn(dir));
    expect(r.status).toBe(0);
    const sock = join(dir, 'sess');
    const pid = sessionPid(await rawCtl(sock, 'status'));
    expect(argvOf(pid).at(-1)).toBe(CMD);
    const reader = await RawReader.open(scope, sock, 1, { keep: true });
    await waitFor(async () => / outputs 1,/.test(hubLine(await rawCtl(sock, 'status'), 1)), { what: 'the reader on hub 1' });
    await rawWrite(sock, 0, [Buffer.from('go\n')]);
    await reader.closed;
    expect(reader.text).toBe(WANT);
  });

  it('-c with a command that starts with a dash runs that command', async () => {
    const dir = tmpIoDir(scope);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const mark = join(dir, 'ran');
    writeFileSync(join(bin, '-hello'), `#!/bin/sh\necho "hello from a dash" > ${mark}\n`, { mode: 0o755 });
    // the session runs and exits, and with it the server: its log (stderr) says how
    const r = await runIo('iosrv', ['-c', '-hello', 'sess'], envIn(dir, { PATH: `${bin}:${process.env['PATH']}` }));
    expect(r.stderr).toMatch(/session on trihub 0 \(pid \d+\) exited: status 0\n/);
    expect(existsSync(mark) ? readFileSync(mark, 'utf8') : null).toBe('hello from a dash\n');
  });
});

describe('the log', () => {
  const WRITE = 'write-token-0123456789abcdef-SECRET';

  /** A -c cat server with --listen, logging to a file; its ws base, owner token, and log reader. */
  async function start(extra: string[]): Promise<{ srv: IoServer; base: string; token: string; log: () => string }> {
    const dir = tmpIoDir(scope);
    const tokenFile = join(dir, 'tokens');
    writeFileSync(tokenFile, `write ${WRITE}\n`, { mode: 0o600 });
    const logFile = join(dir, 'sess.log');
    const srv = await startIosrv(scope, ['-l', logFile, '-c', 'cat', '--listen', '127.0.0.1:0', '--token-file', tokenFile, ...extra], { dir });
    const log = (): string => readFileSync(logFile, 'utf8');
    const m = await waitFor(() => /listening on (ws:\/\/[^/\s]+)\//.exec(log()), { what: 'the listen address in the log' });
    return { srv, base: `${m[1]}/sess`, token: readFileSync(join(dir, 'sess.token'), 'utf8').trim(), log };
  }

  /** Type a line into hub 0 three ways (framed, raw, WebSocket) and wait for cat's echoes. */
  async function typeInto(srv: IoServer, base: string, secret: string): Promise<void> {
    const reader = await RawReader.open(scope, srv.sock, 1, { keep: true });
    const c = await framed(scope, srv);
    c.write(0, Buffer.from(`${secret}-framed\n`));
    await rawWrite(srv.sock, 0, [Buffer.from(`${secret}-raw\n`)]);
    const ws = await openWs(`${base}/write/0`, { authorization: `Bearer ${WRITE}` });
    ws.send(`${secret}-ws\n`);
    await waitFor(() => ['framed', 'raw', 'ws'].every((w) => reader.text.includes(`${secret}-${w}`)), { what: 'the typed lines echoed' });
  }

  it('with -v off: no typed bytes and no token, right or wrong, reach the log', async () => {
    const { srv, base, token, log } = await start([]);
    await typeInto(srv, base, 'typed-SECRET-1');
    const wrong = ['wrong-bearer-SECRET-0123456789', 'wrong-query-SECRET-0123456789', 'wrong-attach-SECRET-0123456789'];
    await expect(openWs(`${base}/ws`, { authorization: `Bearer ${wrong[0]}` })).rejects.toThrow('HTTP 401');
    await expect(openWs(`${base}/read/1?token=${wrong[1]}`)).rejects.toThrow('HTTP 401');
    await expect(attach(base, { token: wrong[2]! })).rejects.toMatchObject({ code: 'IO_ERR_AUTH' });
    // a right token, in the query: the way a browser presents it
    const ok = await openWs(`${base}/read/1?token=${token}`);
    ok.close();
    await waitFor(() => (log().match(/no valid token \(401\)/g) ?? []).length === 3, { what: 'three refusals in the log' });

    const text = log();
    for (const secret of ['typed-SECRET-1', ...wrong, token, WRITE]) expect(text).not.toContain(secret);
    expect(text).not.toContain('SECRET');
  });

  it('with -v: ctl commands reach the log; typed bytes and tokens still do not', async () => {
    const { srv, base, token, log } = await start(['-v']);
    const c = await framed(scope, srv);
    expect(await c.ctl('h1t5')).toBe('ok');
    await typeInto(srv, base, 'typed-SECRET-2');
    const owner = await attach(base, { token });
    scope.defer(() => owner.close());
    expect(await owner.ctl('h1t0')).toBe('ok');
    await waitFor(() => /conn \d+: ctl h1t5\n/.test(log()) && /conn \d+: ctl h1t0\n/.test(log()), { what: 'the ctl lines in the log' });
    const text = log();
    expect(text).not.toContain('typed-SECRET-2');
    expect(text).not.toContain(token);
    expect(text).not.toContain(WRITE);
  });

  it('with -v off: a bad first line is logged without what it said', async () => {
    const { srv, log } = await start([]);
    // someone pastes a password into socat where the first line goes
    const s = net.connect(srv.sock);
    s.on('error', () => {});
    s.resume();
    const closed = new Promise((r) => s.on('close', r));
    s.end('hunter2-SECRET\n');
    await closed;
    await waitFor(() => /bad first line/.test(log()), { what: 'the refusal in the log' });
    expect(log()).not.toContain('hunter2-SECRET');
  });
});
