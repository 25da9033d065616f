// websocket.test.ts — the WebSocket listener, from clients io did not write
// (the ws library as a browser would use it) and from io's own client.
//
// Each test starts a real iosrv with --listen 127.0.0.1:0 (the kernel picks
// the port; the server logs it) and a `-c cat` session, so a line written on
// hub 0 comes back on hub 1: a chat between a Unix-socket client and a
// WebSocket client shows both transports reach the same hubs. Tokens: the
// control token the server writes to IO_DIR, and watch/write tokens from a
// --token-file the test writes.

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attach } from '../../src/client/connect.js';
import { envIn, tmpIoDir } from '../helpers/iodir.js';
import { useScope, type Scope } from '../helpers/scope.js';
import { RawReader, exitOf, framed, hubLine, isGone, rawCtl, startIosrv, type IoServer } from '../helpers/server.js';
import { runIo, spawnIo } from '../helpers/bin.js';
import { Term } from '../helpers/term.js';
import { waitFor } from '../helpers/until.js';

const scope = useScope();

const WATCH = 'watch-token-0123456789abcdef';
const WRITE = 'write-token-0123456789abcdef';

async function startWs(s: Scope, extra: string[] = [], name = 'web'): Promise<{ srv: IoServer; base: string; token: string }> {
  const dir = tmpIoDir(s);
  const tokenFile = join(dir, 'tokens');
  writeFileSync(tokenFile, `# roles\nwatch ${WATCH}\nwrite ${WRITE}\n`, { mode: 0o600 });
  const srv = await startIosrv(s, ['-v', '-c', 'cat', '--listen', '127.0.0.1:0', '--token-file', tokenFile, ...extra], { name, dir });
  const addr = await waitFor(() => /listening on (wss?):\/\/([\d.:]+)\//.exec(srv.stderr()), { what: 'the listen address in the log' });
  const token = readFileSync(join(dir, `${name}.token`), 'utf8').trim();
  return { srv, base: `${addr[1]}://${addr[2]}/${name}`, token };
}

/** Open a WebSocket; resolve with it open, or reject with the HTTP status it got. */
function openWs(url: string, headers: Record<string, string> = {}, opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, ...opts });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    scope.defer(() => ws.terminate());
  });
}

function collect(ws: WebSocket): { text: () => string } {
  const got: Buffer[] = [];
  ws.on('message', (data: Buffer) => got.push(data));
  return { text: () => Buffer.concat(got).toString('utf8') };
}

describe('websocket listener', () => {
  it('carries a chat between a Unix-socket client and a raw WebSocket reader and writer', async () => {
    const { srv, base, token } = await startWs(scope);
    const local = await RawReader.open(scope, srv.sock, 1, { keep: true });
    const reader = await openWs(`${base}/read/1`, { authorization: `Bearer ${token}` });
    const seen = collect(reader);
    const writer = await openWs(`${base.replace('ws:', 'ws:')}/write/0?token=${token}`);
    writer.send('hello over ws\n');
    await waitFor(() => local.text.includes('hello over ws') && seen.text().includes('hello over ws'), { what: 'the line at both readers' });
    const unix = await framed(scope, srv);
    unix.write(0, Buffer.from('and back over unix\n'));
    await waitFor(() => seen.text().includes('and back over unix'), { what: 'the unix line at the ws reader' });
  });

  it('lets io attach by ws:// URL with the owner token, framed, as a local name', async () => {
    const { base, token } = await startWs(scope);
    const client = await attach(base, { token });
    scope.defer(() => client.close());
    expect(client.hello.role).toBe('control');
    let text = '';
    client.on({ data: (_h, b) => (text += b.toString()) });
    client.subscribe(1);
    client.write(0, Buffer.from('framed over ws\n'));
    await waitFor(() => text.includes('framed over ws'), { what: 'echo through cat' });
    expect(await client.ctl('h1t5')).toBe('ok');
    expect(await client.ctl('bogus')).toMatch(/^io: unknown command 'bogus'/);
  });

  it('refuses a missing or wrong token with 401 and logs the peer, without the token', async () => {
    const { srv, base } = await startWs(scope);
    await expect(openWs(`${base}/ws`)).rejects.toThrow('HTTP 401');
    await expect(openWs(`${base}/read/1?token=not-the-right-token-at-all`)).rejects.toThrow('HTTP 401');
    await expect(attach(base, { token: 'not-the-right-token-at-all' })).rejects.toMatchObject({ code: 'IO_ERR_AUTH' });
    await waitFor(() => /ws 127\.0\.0\.1:\d+: refused \/web\/read\/1: no valid token \(401\)/.test(srv.stderr()), { what: 'the refusal in the log' });
    expect(srv.stderr()).not.toContain('not-the-right-token-at-all');
  });

  it('keeps a watch token read-only: no write path, no writes, no ctl; still readable', async () => {
    const { srv, base } = await startWs(scope);
    await expect(openWs(`${base}/write/0`, { authorization: `Bearer ${WATCH}` })).rejects.toThrow('HTTP 403');
    const watcher = await attach(base, { token: WATCH });
    scope.defer(() => watcher.close());
    expect(watcher.hello.role).toBe('watch');
    const errors: string[] = [];
    let text = '';
    watcher.on({ data: (_h, b) => (text += b.toString()), error: (_h, m) => errors.push(m) });
    watcher.subscribe(1);
    watcher.write(0, Buffer.from('sneaky\n'));
    expect(await watcher.ctl('quit')).toBe('io: ctl: not allowed for a watch client');
    await waitFor(() => errors.some((e) => e.includes('read-only (watch) client')), { what: 'the refusal of the write' });
    // the connection is still there and reads what others write
    const writer = await attach(base, { token: WRITE });
    scope.defer(() => writer.close());
    writer.write(0, Buffer.from('from a writer\n'));
    await waitFor(() => text.includes('from a writer'), { what: 'the writer line at the watcher' });
    expect(text).not.toContain('sneaky');
    expect(await writer.ctl('status')).toBe('io: ctl: not allowed for a write client');
    expect(srv.stderr()).toMatch(/refused write to hub 0: read-only \(watch\) client/);
  });

  it('refuses a --token-file that others may read, as ssh refuses such a key', async () => {
    const dir = tmpIoDir(scope);
    const tokenFile = join(dir, 'tokens');
    writeFileSync(tokenFile, `watch ${WATCH}\n`, { mode: 0o644 });
    const r = await runIo('iosrv', ['-d', '--listen', '127.0.0.1:0', '--token-file', tokenFile, 'open'], envIn(dir));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toBe(`io: --token-file ${tokenFile}: readable by group or others (mode 0644): chmod 600 ${tokenFile}\n`);
  });

  it('refuses a browser from another origin', async () => {
    const { base, token } = await startWs(scope);
    await expect(openWs(`${base}/ws?token=${token}`, { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    const ok = await openWs(`${base}/ws?token=${token}`, { origin: `http://${new URL(base.replace('ws', 'http')).host}` });
    expect(ok.readyState).toBe(WebSocket.OPEN);
  });

  it('serves wss with a certificate the test makes', async () => {
    const dir = tmpIoDir(scope);
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const { base, token } = await startWs(scope, ['--tls-cert', cert, '--tls-key', key], 'sec');
    expect(base.startsWith('wss://')).toBe(true);
    await expect(attach(base, { token })).rejects.toThrow(/: DEPTH_ZERO_SELF_SIGNED_CERT \(a certificate no CA vouches for: trust it with --ca FILE, or --insecure\)$/);
    await expect(attach(base.replace('wss:', 'ws:'), { token })).rejects.toThrow(/: ECONNRESET \(hung up in the handshake: wss:\/\/ to a ws:\/\/ server, or the other way round\?\)$/);
    await expect(attach(base, { token, ca: join(dir, 'none.pem') })).rejects.toThrow(/^io: --ca \S+none\.pem: cannot read \(ENOENT\)$/);
    await expect(attach(base, { token, ca: key })).rejects.toThrow(/^io: --ca \S+key\.pem: not a certificate \(PEM or DER\)$/);
    // a certificate for 127.0.0.1, reached as localhost: said so, with what to do
    await expect(attach(base.replace('127.0.0.1', 'localhost'), { token, ca: cert })).rejects.toThrow(/: ERR_TLS_CERT_ALTNAME_INVALID \(the certificate does not name this host: use a name it does, or --insecure\)$/);
    const client = await attach(base, { token, ca: cert });
    scope.defer(() => client.close());
    let text = '';
    client.on({ data: (_h, b) => (text += b.toString()) });
    client.subscribe(1);
    client.write(0, Buffer.from('over tls\n'));
    await waitFor(() => text.includes('over tls'), { what: 'echo over wss' });
  });

  it('a host process attached over ws (here, local N) leaves when the server quits', async () => {
    const { srv, base, token } = await startWs(scope);
    // what `io ws://… here` starts: `io host URL N`, its token in the environment
    spawnIo(scope, 'io', ['host', base, '3'], envIn(srv.dir, { IO_TOKEN: token, SHELL: '/bin/sh' }));
    const host = await waitFor(async () => /^trihub 3: host pid (\d+)/m.exec(await rawCtl(srv.sock, 'status')), { what: 'the host on trihub 3' });
    const shellPid = Number(host[1]);
    await rawCtl(srv.sock, 'quit');
    await srv.exited;
    await waitFor(() => isGone(shellPid), { what: `the host's shell ${shellPid} to end` });
  });

  it('io ws://… with a watch token: list answers from the hello, hub status is refused in one line, and typing is said once to go nowhere', async () => {
    const { srv, base } = await startWs(scope);
    const term = new Term(scope, 'io', [base, '--token', WATCH], envIn(srv.dir));
    term.write('list\r');
    await term.waitText(/^trihub 0: cat \(pid \d+, pipes\) \*\n\(as when this client attached\)$/m);
    term.write('hub status\r');
    await term.waitText(/^io: ctl: not allowed for a watch client$/m);
    term.write('hello\rmore\r');
    await term.waitText(/^more$/m);
    term.write('\x04');
    expect(await term.exited()).toBe(0);
    const lines = term.text.split('\n');
    expect(lines.filter((l) => l === 'io: ctl: not allowed for a watch client')).toHaveLength(1);
    expect(lines.filter((l) => l === `io: ${base}: read-only (a watch token): keys are not sent; Ctrl-\\ detaches`)).toHaveLength(1);
    expect(term.text).not.toMatch(/JSON|write to hub 0/);
  });

  it('io ws://… here with a write token is refused in one line; zap with a watch token is said once, and the attach goes on', async () => {
    const { srv, base } = await startWs(scope);
    expect(await runIo('io', [base, 'here', '--token', WRITE], envIn(srv.dir), '')).toEqual({ status: 1, stdout: '', stderr: 'io: here: not allowed for a write client\n' });
    const r = await runIo('io', [base, 'zap', '--token', WATCH], envIn(srv.dir), '');
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('io: zap:'))).toEqual(['io: zap: not allowed for a watch client']);
  });

  it('a session whose name holds + and @ is found by its percent-encoded path too (the page encodes it)', async () => {
    const { base, token } = await startWs(scope, [], 'a+b@c.d');
    const http = base.replace(/^ws/, 'http').replace('/a+b@c.d', '');
    for (const name of ['a+b@c.d', 'a%2Bb%40c.d']) {
      expect((await fetch(`${http}/${name}/`)).status).toBe(200);
      expect((await fetch(`${http}/${name}/ws?token=${token}`)).status).toBe(426);
      const ws = await openWs(`${base.replace('/a+b@c.d', '')}/${name}/ws?token=${token}`);
      expect(ws.readyState).toBe(WebSocket.OPEN);
      ws.close();
    }
    expect((await fetch(`${http}/a%2/ws?token=${token}`)).status).toBe(404);
    expect((await fetch(`${http}/other/ws?token=${token}`)).status).toBe(404);
  });

  it('the owner\'s token from IO_DIR goes to the address its server wrote beside it, and to no other port', { timeout: 15_000 }, async () => {
    const { srv, base } = await startWs(scope);
    expect(readFileSync(join(srv.dir, 'web.listen'), 'utf8')).toBe(`${base}\n`);
    // the real address: no --token needed
    const ok = await runIo('io', ['ctl', base, 'status'], envIn(srv.dir), '');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^io web: pid \d+/);
    // localhost is dialled as the address the server bound (it may resolve to ::1 first, which anyone may bind)
    const named = await runIo('io', ['ctl', base.replace('127.0.0.1', 'localhost'), 'status'], envIn(srv.dir), '');
    expect(named.status, named.stderr).toBe(0);
    // another loopback port: what it is sent carries no token
    let request = '';
    const decoy = net.createServer((s) => {
      s.on('data', (b: Buffer) => {
        request += b.toString('latin1');
        if (request.includes('\r\n\r\n')) s.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
      });
    }).listen(0, '127.0.0.1');
    scope.defer(() => decoy.close());
    await once(decoy, 'listening');
    const { port } = decoy.address() as net.AddressInfo;
    const r = await runIo('io', ['read', `ws://127.0.0.1:${port}/web`, '1'], envIn(srv.dir), '');
    expect(r).toEqual({ status: 1, stdout: '', stderr: `io: ws://127.0.0.1:${port}/web: no valid token (401); give --token or set IO_TOKEN\n` });
    expect(request).toMatch(/^GET \/web\/ws /);
    expect(request.toLowerCase()).not.toContain('authorization');
    await rawCtl(srv.sock, 'quit');
    await srv.exited;
    expect(existsSync(join(srv.dir, 'web.listen'))).toBe(false);
    expect(existsSync(join(srv.dir, 'web.token'))).toBe(false);
  });

  it('a server that takes the connection and never answers the upgrade: one line after the handshake limit', { timeout: 15_000 }, async () => {
    const dir = tmpIoDir(scope);
    const mute = net.createServer((s) => scope.defer(() => s.destroy())).listen(0, '127.0.0.1');
    scope.defer(() => mute.close());
    await once(mute, 'listening');
    const { port } = mute.address() as net.AddressInfo;
    const r = await runIo('io', ['read', `ws://127.0.0.1:${port}/x`, '1'], envIn(dir), '');
    expect(r).toEqual({ status: 1, stdout: '', stderr: `io: ws://127.0.0.1:${port}/x: no answer from the server in 5000 ms\n` });
  });

  it('a WebSocket client that left after a refusal is not waited for at quit', { timeout: 15_000 }, async () => {
    const { srv, base } = await startWs(scope);
    const r = await runIo('io', ['write', base, '0', '--token', WATCH], envIn(srv.dir), 'y\n');
    expect(r).toMatchObject({ status: 1, stderr: 'io: write to hub 0: read-only (watch) client\n' });
    let isGone = false;
    void srv.exited.then(() => (isGone = true));
    await rawCtl(srv.sock, 'quit');
    // the limit for readers still draining is 30 s: a closed connection must not be one
    await waitFor(() => isGone, { timeoutMs: 5000, what: () => `the server to exit after quit (log: ${srv.stderr()})` });
  });

  it('a watch-only page sets the window while nobody else has, follows its own resizes, and gets it back when a writer leaves', async () => {
    const { srv, base, token } = await startWs(scope, ['--pty'], 'sized');
    const size = async (): Promise<string> => /pty (\d+x\d+),/.exec(await rawCtl(srv.sock, 'status'))?.[1] ?? '';
    const watcher = await attach(base, { token: WATCH });
    scope.defer(() => watcher.close());
    watcher.resize(0, 100, 30);
    watcher.subscribe([1, 2]);
    await waitFor(async () => (await size()) === '100x30', { what: 'the watcher\'s size' });
    watcher.resize(0, 90, 20);
    await waitFor(async () => (await size()) === '90x20', { what: 'the watcher\'s own resize' });
    const writer = await attach(base, { token });
    writer.resize(0, 80, 24);
    writer.subscribe([1, 2]);
    await waitFor(async () => (await size()) === '80x24', { what: 'the writer\'s size' });
    watcher.resize(0, 70, 22); // a watcher does not take the window from one who may type
    await watcher.ctl('status'); // refused, but answered after the resize before it: the server has it
    expect(await size()).toBe('80x24');
    writer.close();
    await waitFor(async () => (await size()) === '70x22', { what: 'the size back with the watcher' });
  });

  it('a quit over ws is a quit, not a lost connection: io read exits 0', async () => {
    const { srv, base, token } = await startWs(scope);
    const reader = spawnIo(scope, 'io', ['read', `${base}`, '1', '--new'], envIn(srv.dir, { IO_TOKEN: token }));
    let stderr = '';
    reader.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = exitOf(reader);
    await waitFor(async () => / outputs [1-9]/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { what: 'the reader over ws' });
    await rawCtl(srv.sock, 'quit');
    expect(await exited, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).toBe('');
  });

  it('serves the page and its scripts without a token, and nothing else', async () => {
    const { base } = await startWs(scope);
    const http = base.replace(/^ws/, 'http');
    const page = await fetch(`${http}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('page.js');
    for (const asset of ['page.js', 'lines.js', 'xterm.mjs', 'xterm.css', 'addon-fit.mjs', 'addon-unicode11.mjs']) expect((await fetch(`${http}/${asset}`)).status).toBe(200);
    expect((await fetch(`${http}/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${http}/nope.js`)).status).toBe(404);
    // HEAD as GET, without the body; other methods: 405, saying what is
    const head = await fetch(`${http}/`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([200, 'text/html; charset=utf-8', '']);
    expect(Number(head.headers.get('content-length'))).toBe((await (await fetch(`${http}/`)).arrayBuffer()).byteLength);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await fetch(`${http}/ws`, { method });
      expect([r.status, r.headers.get('allow'), await r.text()]).toEqual([405, 'GET, HEAD', `io: ${method}: not allowed here (GET)\n`]);
    }
    expect((await fetch(`${http}/nope.js`, { method: 'POST' })).status).toBe(404);
  });

  it('the raw paths asked plainly answer as /ws does: 426 with a valid token, 401 without', async () => {
    const { base, token } = await startWs(scope);
    const http = base.replace(/^ws/, 'http');
    for (const path of ['read/1', 'write/0', 'ws']) {
      const ok = await fetch(`${http}/${path}?token=${token}`);
      expect([path, ok.status, await ok.text()]).toEqual([path, 426, 'io: this path takes a WebSocket\n']);
    }
    expect((await fetch(`${http}/read/1`)).status).toBe(401);
    expect((await fetch(`${http}/read/x?token=${token}`)).status).toBe(404);
  });

  it('chooses no subprotocol: a client that asks for one is refused by its own handshake', async () => {
    const { base, token } = await startWs(scope);
    const ws = new WebSocket(`${base}/ws?token=${token}`, ['foo']);
    scope.defer(() => ws.terminate());
    const failed = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve(`open with ${ws.protocol}`));
      ws.once('error', (err) => resolve(err.message));
    });
    expect(failed).toBe('Server sent no subprotocol');
  });

  it('a WebSocket connection is kept alive by the kernel at both ends (TCP keepalive), so a peer that vanishes is found', async () => {
    const { base, token } = await startWs(scope);
    const client = await attach(base, { token });
    scope.defer(() => client.close());
    const port = new URL(base).port;
    // ss shows a keepalive timer on both sockets of the connection: the server's (sport) and the client's (dport)
    const timers = execFileSync('ss', ['-tno', 'state', 'established', `( sport = :${port} or dport = :${port} )`], { encoding: 'utf8' });
    const lines = timers.split('\n').filter((l) => l.includes(`:${port}`));
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/timer:\(keepalive,/);
  });

  it('answers a request it cannot parse with 400, and goes on serving', async () => {
    const { base } = await startWs(scope);
    const { hostname, port } = new URL(base.replace(/^ws/, 'http'));
    const s = net.connect(Number(port), hostname);
    scope.defer(() => s.destroy());
    let answer = '';
    s.on('data', (b: Buffer) => (answer += b.toString('latin1')));
    s.write('GET /web/ HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
    await once(s, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect((await fetch(`${base.replace(/^ws/, 'http')}/`)).status).toBe(200);
  });
});
