// ctl.test.ts — every row of SPEC §3 over the socket: what it does, and what it answers.
//
// Each command goes to a real iosrv child over a raw `ctl` connection (one
// command, one reply; the reply may span lines), or over a framed client
// where JSON is wanted. Effects are observed from outside: status and hNv
// text, what a new reader receives, a session process's pid in /proc, the log
// file under debug. Servers are -d (hubs only) unless the row needs a session
// process; a session whose output is checked reads a line from hub 0 first,
// so its readers are attached before it writes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runIo } from '../helpers/bin.js';
import { envIn, tmpIoDir } from '../helpers/iodir.js';
import { useScope } from '../helpers/scope.js';
import { framed, hubLine, isGone, rawCtl, RawReader, rawWrite, sessionPid, startIosrv, type IoServer } from '../helpers/server.js';
import { waitFor } from '../helpers/until.js';

const USAGE = 'fear calm quit debug shutup trunc notrunc status eof signal hN[tcsoeifkxvyz]M';

interface ViewJson {
  hub: number;
  pacing: string;
  paceMs: number;
  bufferBytes: number;
  heldBytes: number;
  bytesIn: number;
  ended: boolean;
  endpoints: { name: string; n: number; kind: string; owner: string; pid?: number; lagBytes?: number; lostBytes?: number }[];
}

describe('ctl commands', () => {
  const scope = useScope();
  const ctlOf = (srv: IoServer) => (cmd: string) => rawCtl(srv.sock, cmd);
  const outputsOn = async (srv: IoServer, hub: number, n: number): Promise<void> =>
    void (await waitFor(async () => new RegExp(` outputs ${n},`).test(hubLine(await rawCtl(srv.sock, 'status'), hub)), { what: `${n} outputs on hub ${hub}` }));

  it('fear / calm: paranoid / fast for every hub, shown in status', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const ctl = ctlOf(srv);
    expect(await ctl('fear')).toBe('ok');
    let status = await ctl('status');
    expect(status.split('\n')[0]).toMatch(/^io sess: pid \d+, paranoid, /);
    for (const hub of [0, 1, 2]) expect(hubLine(status, hub)).toMatch(new RegExp(`^hub ${hub}: paranoid, `));
    // a hub started later is paranoid too
    expect(await ctl('h7s0')).toBe('ok');
    expect(hubLine(await ctl('status'), 7)).toMatch(/^hub 7: paranoid, /);
    expect(await ctl('calm')).toBe('ok');
    status = await ctl('status');
    expect(status.split('\n')[0]).toMatch(/^io sess: pid \d+, fast, /);
    for (const hub of [0, 1, 2, 7]) expect(hubLine(status, hub)).toMatch(new RegExp(`^hub ${hub}: fast, `));
  });

  it('quit: answers ok, then the server ends', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    expect(await ctlOf(srv)('quit')).toBe('ok');
    expect((await srv.exited).code).toBe(0);
  });

  it('quit: the commands after it in the same batch are refused, not half done', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const replies = await rawCtl(srv.sock, 'quit\nfear\nstatus');
    expect(replies).toBe(`ok\nio: ${srv.name}: quitting\nio: ${srv.name}: quitting`);
    expect((await srv.exited).code).toBe(0);
    expect(srv.stderr()).not.toMatch(/pacing paranoid/);
  });

  it('debug / shutup: details in the log while verbose, never to clients', { timeout: 10_000 }, async () => {
    const dir = tmpIoDir(scope);
    const logFile = join(dir, 'sess.log');
    const srv = await startIosrv(scope, ['-d', '-l', logFile], { dir });
    const ctl = ctlOf(srv);
    const log = (): string => readFileSync(logFile, 'utf8');
    expect(await ctl('status')).toMatch(/^io sess:/);
    expect(log()).not.toMatch(/ctl status/);
    expect(await ctl('debug')).toBe('ok');
    expect(log()).toMatch(/verbose logging on/);
    expect(await ctl('h4s0')).toBe('ok');
    expect(log()).toMatch(/conn \d+: ctl h4s0/);
    expect(await ctl('shutup')).toBe('ok');
    expect(log()).toMatch(/verbose logging off/);
    expect(await ctl('h4t10')).toBe('ok');
    expect(log()).not.toMatch(/ctl h4t10/);
  });

  it('trunc / notrunc: a new reader starts at the newest byte / at the backlog', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const ctl = ctlOf(srv);
    await rawWrite(srv.sock, 1, [Buffer.from('old\n')]);
    expect(await ctl('trunc')).toBe('ok');
    expect((await ctl('status')).split('\n')[0]).toMatch(/, trunc, /);
    const late = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await outputsOn(srv, 1, 1);
    expect(await ctl('notrunc')).toBe('ok');
    expect((await ctl('status')).split('\n')[0]).toMatch(/, notrunc, /);
    const backlog = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await outputsOn(srv, 1, 2);
    await rawWrite(srv.sock, 1, [Buffer.from('new\n')]);
    await waitFor(() => late.text === 'new\n' && backlog.text === 'old\nnew\n', { what: `trunc reader 'new' (${late.text}), notrunc reader 'old new' (${backlog.text})` });
  });

  it('status: one line for the server, one per session, one per hub', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const lines = (await ctlOf(srv)('status')).split('\n');
    expect(lines[0]).toMatch(new RegExp(`^io sess: pid ${srv.pid}, fast, notrunc, clients 1, up \\d+s$`));
    expect(lines[1]).toMatch(/^trihub 0: session pid \d+, pipes, cat$/);
    expect(lines.slice(2)).toEqual([
      'hub 0: fast, pace 0 ms, held 0/512k, inputs 0, outputs 1, slowest lag 0',
      'hub 1: fast, pace 0 ms, held 0/512k, inputs 1, outputs 0, slowest lag 0',
      'hub 2: fast, pace 0 ms, held 0/512k, inputs 1, outputs 0, slowest lag 0',
    ]);
    // as JSON: a session on pipes has no window size
    const json = JSON.parse((await runIo('io', ['ctl', srv.name, 'status', '--json'], envIn(srv.dir))).stdout) as { sessions: { pty: boolean; cols: unknown; rows: unknown }[] };
    expect(json.sessions).toEqual([expect.objectContaining({ pty: false, cols: null, rows: null })]);
  });

  it('eof N: the session reading hub N sees end of input (sort then prints)', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'sort']);
    const ctl = ctlOf(srv);
    const pid = sessionPid(await ctl('status'));
    const out = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await outputsOn(srv, 1, 1);
    await rawWrite(srv.sock, 0, [Buffer.from('pear\napple\nfig\n')]);
    // every byte taken by sort's input pump before its stdin is closed
    await waitFor(async () => new RegExp(`H0out0 session ${pid} pid ${pid} lag 0 `).test(await ctl('h0v')) && /bytes in 15$/m.test(await ctl('h0v')), { what: 'the lines at sort' });
    expect(out.text).toBe('');
    expect(await ctl('eof 0')).toBe('ok');
    await out.closed;
    expect(out.text).toBe('apple\nfig\npear\n');
    expect((await srv.exited).code).toBe(0);
  });

  it('eof N with no session on hub N is an error line', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    expect(await ctlOf(srv)('eof 3')).toBe('io: eof 3: no session process reads hub 3');
  });

  it('signal N SIG: TERM ends a sleep 100 session (and with it the server)', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'sleep 100']);
    const ctl = ctlOf(srv);
    const pid = sessionPid(await ctl('status'));
    expect(await ctl('signal 3 TERM')).toBe('io: signal 3 TERM: no session on trihub 3');
    expect(await ctl('signal 1 TERM')).toBe('io: signal 1 TERM: trihub 1 is not a multiple of 3');
    expect(await ctl('signal 0 BOGUS')).toMatch(/^io: signal 0 BOGUS: unknown signal 'BOGUS' \(try: HUP INT/);
    expect(await ctl('signal 0 TERM')).toBe('ok');
    expect((await srv.exited).code).toBe(0);
    await waitFor(() => isGone(pid), { what: `session ${pid} reaped` });
  });

  it('hNtM: the pace of hub N, shown in hNv and status', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const ctl = ctlOf(srv);
    expect(await ctl('h1t50')).toBe('io: h1t50: hub 1 not started');
    expect(await ctl('h1s0')).toBe('ok');
    expect(await ctl('h1t50')).toBe('ok');
    expect((await ctl('h1v')).split('\n')[0]).toMatch(/^hub 1: fast, pace 50 ms, /);
    expect(hubLine(await ctl('status'), 1)).toMatch(/pace 50 ms/);
    expect(await ctl('h1t0')).toBe('ok');
    expect((await ctl('h1v')).split('\n')[0]).toMatch(/^hub 1: fast, pace 0 ms, /);
    expect(await ctl('h1t60001')).toBe('io: h1t60001: pace 60001 ms over limit 60000');
  });

  it('hNc: clears hub N; a new reader then gets no backlog', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const ctl = ctlOf(srv);
    await rawWrite(srv.sock, 1, [Buffer.from('abc')]);
    expect((await ctl('h1v')).split('\n')[0]).toMatch(/held 3\/512k, .* bytes in 3$/);
    expect(await ctl('h1c')).toBe('ok');
    expect((await ctl('h1v')).split('\n')[0]).toMatch(/held 0\/512k, .* bytes in 3$/);
    const reader = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await outputsOn(srv, 1, 1);
    await rawWrite(srv.sock, 1, [Buffer.from('d')]);
    await waitFor(() => reader.text === 'd', { what: `only 'd' at the reader (${reader.text})` });
  });

  it('hNsM / hNoM / hNeM / hNiM: named endpoints, listed in hNv', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const ctl = ctlOf(srv);
    expect(await ctl('h5o2')).toBe('io: h5o2: hub 5 not started (h5s2 starts it)');
    expect(await ctl('h5s3')).toBe('ok');
    expect(hubLine(await ctl('status'), 5)).toMatch(/^hub 5: fast, /);
    expect(await ctl('h5o2')).toBe('ok');
    expect(await ctl('h5e4')).toBe('ok');
    expect(await ctl('h5i6')).toBe('ok');
    expect(await ctl('h5s3')).toBe('io: h5s3: hub 5 already has H5in3');
    // inputs and outputs are numbered apart: output 3 is free while input 3 is taken
    expect(await ctl('h5o3')).toBe('ok');
    expect((await ctl('h5v')).split('\n').slice(1)).toEqual(['  H5out2 named', '  H5in3 named', '  H5out3 named', '  H5err4 named', '  H5in6 named']);
  });

  it("hNfM frees a client's endpoint (the client stays, told in one error frame); hNkM kills it (the client is closed)", { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const ctl = ctlOf(srv);
    const client = await framed(scope, srv);
    let seen = '';
    const errors: string[] = [];
    client.on({ data: (_h, b) => (seen += b.toString()), error: (_h, text) => errors.push(text) });
    client.subscribe(1);
    await outputsOn(srv, 1, 1);
    const raw = await RawReader.open(scope, srv.sock, 1, { keep: true });
    await outputsOn(srv, 1, 2);
    // both readers are `conn N`; the framed client connected first, so its N is the lower
    const view = JSON.parse(await client.ctl('h1v', { json: true })) as ViewJson;
    const outs = view.endpoints.filter((e) => e.kind === 'out').sort((a, b) => Number(a.owner.slice(5)) - Number(b.owner.slice(5)));
    expect(outs.map((e) => e.owner)).toEqual([expect.stringMatching(/^conn \d+$/), expect.stringMatching(/^conn \d+$/)]);
    const [mine, theirs] = outs as [ViewJson['endpoints'][number], ViewJson['endpoints'][number]];
    expect(await ctl('h1f9')).toBe('io: h1f9: hub 1 has no endpoint 9');
    // a client's reader has no process io knows of: hNy refuses it
    expect(await ctl(`h1y${mine.n}`)).toBe(`io: h1y${mine.n}: H1out${mine.n} has no reading process io knows of`);

    expect(await ctl(`h1f${mine.n}`)).toBe('ok');
    expect(await ctl('h1v')).not.toContain(`H1out${mine.n} `);
    await waitFor(() => errors.length === 1, { what: 'the error frame at the freed client' });
    expect(errors).toEqual(['io: hub 1: this output was freed (hNf)']);
    await rawWrite(srv.sock, 1, [Buffer.from('after free\n')]);
    await waitFor(() => raw.text === 'after free\n', { what: 'the line at the raw reader' });
    expect(seen).toBe('');
    expect(client.closed).toBe(false);
    expect(await client.ctl('status')).toMatch(/^io sess:/);

    expect(await ctl(`h1k${theirs.n}`)).toBe('ok');
    await raw.closed;
    await outputsOn(srv, 1, 0);
  });

  it("hNfM / hNkM leave a session's own endpoints alone", { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const ctl = ctlOf(srv);
    const fixed = 'endpoint of the session on trihub 0 (end it with signal 0 TERM)';
    expect(await ctl('h1f0')).toBe(`io: h1f0: ${fixed}`);
    expect(await ctl('h0k0')).toBe(`io: h0k0: ${fixed}`);
    expect(await ctl('h0v')).toMatch(/^ {2}H0out0 session \d+ pid \d+ /m);
    expect(await ctl('status')).toMatch(/^trihub 0: session pid \d+, pipes, cat$/m);
  });

  it('hNx: removes hub N and closes its endpoints, telling a framed reader so; not a session hub', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const ctl = ctlOf(srv);
    expect(await ctl('h1x')).toBe('io: h1x: hub 1 is wired to the session on trihub 0 (end it first)');
    const reader = await RawReader.open(scope, srv.sock, 5);
    const client = await framed(scope, srv);
    const errors: string[] = [];
    client.on({ error: (_h, text) => errors.push(text) });
    client.subscribe(5);
    await outputsOn(srv, 5, 2);
    expect(await ctl('h5x')).toBe('ok');
    await reader.closed;
    await waitFor(() => errors.length === 1, { what: 'the error frame at the framed reader' });
    expect(errors).toEqual(['io: hub 5: removed (h5x)']);
    expect(await ctl('h5v')).toBe('io: h5v: hub 5 not started');
    expect(hubLine(await ctl('status'), 5)).toBe('');
    expect(await ctl('h5x')).toBe('io: h5x: hub 5 not started');
  });

  it('hNv: text, and JSON over a framed ctl and io ctl --json', { timeout: 10_000 }, async () => {
    const srv = await startIosrv(scope, ['-d']);
    const ctl = ctlOf(srv);
    const reader = await RawReader.open(scope, srv.sock, 1);
    await outputsOn(srv, 1, 1);
    await rawWrite(srv.sock, 1, [Buffer.from('hello')]);
    await waitFor(() => reader.bytes === 5, { what: 'hello at the reader' });
    const text = (await ctl('h1v')).split('\n');
    expect(text[0]).toBe('hub 1: fast, pace 0 ms, held 5/512k, inputs 0, outputs 1, slowest lag 0, bytes in 5');
    expect(text.slice(1)).toHaveLength(1);
    expect(text[1]).toMatch(/^ {2}H1out0 conn \d+ lag 0 lost 0$/);

    const client = await framed(scope, srv);
    const view = JSON.parse(await client.ctl('h1v', { json: true })) as ViewJson;
    expect(view).toMatchObject({ hub: 1, pacing: 'fast', paceMs: 0, bufferBytes: 512 * 1024, heldBytes: 5, bytesIn: 5, ended: false });
    expect(view.endpoints).toEqual([{ name: 'H1out0', n: 0, kind: 'out', owner: expect.stringMatching(/^conn \d+$/), lagBytes: 0, lostBytes: 0 }]);

    const r = await runIo('io', ['ctl', srv.name, '--json', 'h1v'], envIn(srv.dir));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ hub: 1, bytesIn: 5 });
  });

  it.each([
    ['hNyM', 'h0y0', 0],
    ['hNzM', 'h1z0', 1],
  ])('%s: kills the session process reading / writing through that endpoint', { timeout: 10_000 }, async (_row, cmd, hub) => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const ctl = ctlOf(srv);
    const pid = sessionPid(await ctl('status'));
    const view = JSON.parse(await (await framed(scope, srv)).ctl(`h${hub}v`, { json: true })) as ViewJson;
    expect(view.endpoints).toContainEqual(expect.objectContaining({ n: 0, kind: hub === 0 ? 'out' : 'in', pid }));
    // y names a reader (an output), z a writer (an input): the other letter finds nothing there
    const wrong = hub === 0 ? 'h0z0' : 'h1y0';
    expect(await ctl(wrong)).toBe(`io: ${wrong}: hub ${hub} has no ${hub === 0 ? 'input' : 'output'} 0`);
    expect(await ctl(cmd)).toBe('ok');
    expect((await srv.exited).code).toBe(0);
    await waitFor(() => isGone(pid), { what: `session ${pid} killed and reaped` });
  });

  it.each(['frobnicate', 'hub9q', 'h1', 'stat', 'FEAR'])('an unknown command (%s) answers the usage line and changes nothing', { timeout: 10_000 }, async (cmd) => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const ctl = ctlOf(srv);
    const strip = (s: string): string => s.replace(/, up \d+s$/m, '');
    const before = strip(await ctl('status'));
    expect(await ctl(cmd)).toBe(`io: unknown command '${cmd}' (try: ${USAGE})`);
    expect(strip(await ctl('status'))).toBe(before);
  });
});

