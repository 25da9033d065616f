// cli.test.ts — io, iosrv and ioshell as commands: what they print and how they exit.
//
// Each test runs the built programs (node dist/cli/*.js) with a private
// IO_DIR, as a user types them in a shell: help and version, the refusals
// (exit 2, one line starting `io: `), io ls in its three cases (nothing, two
// servers, a stale socket from a server killed -9), io kill, io ctl, and io
// read / io write round trips. No terminal is involved: every program here
// works on pipes. Servers started in the background are reaped by the
// IO_DIR leak check (helpers/iodir.ts).

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPlainAttach } from '../../src/cli/attach.js';
import { binPath, runIo, spawnIo, type Program } from '../helpers/bin.js';
import { envIn, processesIn, tmpIoDir } from '../helpers/iodir.js';
import { useScope } from '../helpers/scope.js';
import { Term } from '../helpers/term.js';
import { sleep, waitFor } from '../helpers/until.js';

const scope = useScope();
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function world(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tmpIoDir(scope);
  return { dir, env: envIn(dir, { SHELL: '/bin/sh' }) };
}

/** Start a server in the background as `io -c CMD NAME` does; it must say so and return. */
async function start(env: NodeJS.ProcessEnv, name: string, cmd = 'cat'): Promise<void> {
  const r = await runIo('io', ['-c', cmd, name], env);
  expect(r.stderr).toBe(`io: ${name} started (attach: io ${name})\n`);
  expect(r.status).toBe(0);
}

/** The text of a spawned program's stdout so far. */
function collect(stream: NodeJS.ReadableStream): { text: string } {
  const out = { text: '' };
  stream.on('data', (b: Buffer) => (out.text += b.toString('utf8')));
  return out;
}

function exitOf(child: ReturnType<typeof spawnIo>): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

describe('help and version', () => {
  it.each<Program>(['io', 'iosrv', 'ioshell'])('%s --help shows usage and examples, exit 0', async (program) => {
    const { env } = world();
    const r = await runIo(program, ['--help'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: ${program} `));
    expect(r.stdout).toContain('Examples:');
    expect(r.stderr).toBe('');
  });

  it.each<Program>(['io', 'iosrv', 'ioshell'])('%s --version prints the package version, exit 0', async (program) => {
    const { env } = world();
    const r = await runIo(program, ['--version'], env);
    expect(r).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('no subcommand io --help lists is taken for a session name by the short way of `io NAME` (cli/attach.ts)', async () => {
    const { env } = world();
    const r = await runIo('io', ['--help'], env);
    const section = /\nCommands:\n([\s\S]*?)\n\n/.exec(r.stdout)?.[1] ?? '';
    const commands = [...section.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(['ls', 'read', 'write', 'ctl', 'kill']));
    for (const c of [...commands, 'host']) expect(isPlainAttach([c, 'x'])).toBe(false);
  });

  it('io help and io help COMMAND show the help, as --help does; io help NOSUCH is one line, exit 2; no session is started', async () => {
    const { dir, env } = world();
    const help = await runIo('io', ['help'], env);
    expect(help).toEqual({ status: 0, stdout: (await runIo('io', ['--help'], env)).stdout, stderr: '' });
    const ls = await runIo('io', ['help', 'ls'], env);
    expect(ls).toEqual({ status: 0, stdout: (await runIo('io', ['ls', '--help'], env)).stdout, stderr: '' });
    expect(await runIo('io', ['help', 'nosuch'], env)).toEqual({ status: 2, stdout: '', stderr: "io: help: no command 'nosuch' (try: ls read write ctl kill)\n" });
    expect(await runIo('iosrv', ['-c', 'cat', 'help'], env)).toMatchObject({ status: 2, stderr: expect.stringMatching(/^io: bad session name 'help'/) });
    // start flags before it are refused, as before any other subcommand
    expect(await runIo('io', ['-c', 'cat', 'help'], env)).toEqual({ status: 2, stdout: '', stderr: 'io: help: -c would not apply (flags for starting a session)\n' });
    expect(processesIn(dir)).toEqual([]);
  });

  it('iosrv -s without -i: refused, nothing could reach it', async () => {
    const { env } = world();
    expect(await runIo('iosrv', ['-s', 'x'], env)).toEqual({ status: 2, stdout: '', stderr: 'io: iosrv: -s without -i: nothing could reach the server (no socket, no console)\n' });
  });

  it('io --help shows the man page examples: io -a, io NAME, -c cat chat, -i -v rc.3', async () => {
    const { env } = world();
    const r = await runIo('io', ['--help'], env);
    for (const ex of ['io -a demo', 'io demo ', 'io -c cat chat', 'io -i -v rc.3', 'io ls']) expect(r.stdout).toContain(ex);
  });
});

describe('refusals: exit 2 with one line', () => {
  it.each([
    [['-a', '-i', 'x'], 'io: -a and -i cannot be used together (-i keeps the server here; attach from another terminal)'],
    [['--pty', '--pipes', 'x'], 'io: --pty and --pipes cannot be used together'],
    [['-d', '-c', 'cat', 'x'], 'io: -d and -c cannot be used together (-d starts no session to run cmd)'],
    [['x', 'bogus'], "io: unknown word 'bogus' (try: zap slow fast here)"],
  ])('io %j', async (args, line) => {
    const { dir, env } = world();
    const r = await runIo('io', args, env);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `${line}\n` });
    expect(existsSync(join(dir, 'x'))).toBe(false); // nothing was started
  });

  it.each<[Program, string[], string]>([
    ['io', ['-a', '-c', 'cat', 'bad/name'], "io: bad session name 'bad/name': use letters, digits and _ . + @ - (at most 64, not starting with . or -, not ls read write ctl kill host help)"],
    ['io', ['read', 'x', 'one'], "io: read: hub: 'one' is not a hub number"],
    ['io', ['ctl', 'x'], "io: ctl: missing required argument 'cmd'"],
    ['io', ['--buffer', '5g', 'x'], "io: --buffer: '5g' is out of range (1k to 1g)"],
    ['io', ['--bufer', '4m', 'x'], "io: unknown option '--bufer' (did you mean --buffer?)"],
    ['io', ['x', '--buffer'], 'io: --buffer: needs a value'],
    ['io', ['--buffer', "it's", 'x'], "io: --buffer: 'it's' is not a size (try 512k, 4m, 1g)"],
    ['io', ['read', 'x', '1', '--new=3'], "io: read: unknown option '--new=3' (did you mean --new?)"],
    ['ioshell', ['x', '3', '4'], 'io: ioshell: give all three hubs (in out err) or none'],
    ['io', ['ls', 'extra'], 'io: ls: too many arguments (takes none, got 1)'],
    ['io', ['-p', '/tmp/io-1000/chat'], 'io: /tmp/io-1000/chat: a socket path is attached to, not started: -p would not apply'],
    ['io', ['-c', 'sleep 30', 'ls'], 'io: ls: -c would not apply (flags for starting a session)'],
    ['iosrv', ['ls'], "io: bad session name 'ls': use letters, digits and _ . + @ - (at most 64, not starting with . or -, not ls read write ctl kill host help)"],
    ['io', ['read', 'x', '1', '2', '3'], 'io: read: too many arguments (takes at most 2, got 4)'],
    ['iosrv', ['a', 'b', 'c'], 'io: too many arguments (takes at most 1, got 3)'],
  ])('%s %j', async (program, args, line) => {
    const { env } = world();
    const r = await runIo(program, args, env);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `${line}\n` });
  });

  it('an unknown flag: exit 2, one line starting "io: "', async () => {
    const { env } = world();
    const r = await runIo('io', ['--bogus', 'x'], env);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^io: .*--bogus.*\n$/);
  });
});

describe('starting', () => {
  it('io with no name starts iorc.$pid in the background and returns', async () => {
    const { dir, env } = world();
    const r = await runIo('io', [], env);
    expect(r.status).toBe(0);
    const name = /^io: (iorc\.\d+) started \(attach: io iorc\.\d+\)\n$/.exec(r.stderr)?.[1];
    expect(name).toBeDefined();
    expect(existsSync(join(dir, name!))).toBe(true);
    expect((await runIo('io', ['ls'], env)).stdout).toMatch(new RegExp(`^${name!.replace('.', '\\.')}\t\\d+\t3\t0\t`, 'm'));
  });

  it('a session started from inside tmux or screen does not inherit their window (TMUX, STY): it outlives it', async () => {
    const { env } = world();
    const inTmux = { ...env, TMUX: '/tmp/tmux-0/default,1,0', TMUX_PANE: '%0', STY: '1.pts-0.host', WINDOW: '0', KEPT: 'yes' };
    await start(inTmux, 'nest', 'echo "[$TMUX][$TMUX_PANE][$STY][$WINDOW][$KEPT]"');
    expect((await runIo('io', ['read', 'nest', '1'], env)).stdout).toBe('[][][][][yes]\n');
  });

  it('a session that ended before anyone attached: io NAME shows what it wrote and how it ended, exit 0; then the server ends', { timeout: 20_000 }, async () => {
    const { dir, env } = world();
    await start(env, 'sh1', 'echo done; echo oops >&2; exit 3');
    await waitFor(async () => !/^trihub 0: session/m.test((await runIo('io', ['ctl', 'sh1', 'status'], env)).stdout), { what: 'the session to end' });
    const r = await runIo('io', ['sh1'], env, '');
    expect(r).toEqual({ status: 0, stdout: 'done\n', stderr: 'oops\nio: sh1: the session on trihub 0 had ended (status 3)\n' });
    await waitFor(() => !existsSync(join(dir, 'sh1')), { what: 'the server to end once its reader has read all' });
  });

  it('a session that ended having written only to stderr: io NAME shows it all the same (stderr may end after stdout)', { timeout: 20_000 }, async () => {
    const { env } = world();
    await start(env, 'sh3', 'echo only-err >&2; exit 4');
    await waitFor(async () => !/^trihub 0: session/m.test((await runIo('io', ['ctl', 'sh3', 'status'], env)).stdout), { what: 'the session to end' });
    const r = await runIo('io', ['sh3'], env, '');
    expect(r).toEqual({ status: 0, stdout: '', stderr: 'only-err\nio: sh3: the session on trihub 0 had ended (status 4)\n' });
  });

  it('a session that ended having written to both: io read of stdout, then of stderr on its own connection, gets each', { timeout: 20_000 }, async () => {
    const { dir, env } = world();
    await start(env, 'sh4', 'echo out; echo err >&2; exit 5');
    await waitFor(async () => !/^trihub 0: session/m.test((await runIo('io', ['ctl', 'sh4', 'status'], env)).stdout), { what: 'the session to end' });
    expect(await runIo('io', ['read', 'sh4', '1'], env)).toEqual({ status: 0, stdout: 'out\n', stderr: '' });
    // stdout is read and drained: the server is still there for stderr's reader
    await sleep(300);
    expect(await runIo('io', ['read', 'sh4', '2'], env)).toEqual({ status: 0, stdout: 'err\n', stderr: '' });
    await waitFor(() => !existsSync(join(dir, 'sh4')), { what: 'the server to end once both are read' });
  });

  it('a session that ended with no reader ever: the server waits a few seconds for one, then ends', { timeout: 20_000 }, async () => {
    const { dir, env } = world();
    const before = Date.now();
    await start(env, 'sh2', 'true');
    await waitFor(() => !existsSync(join(dir, 'sh2')), { what: 'the server to end', timeoutMs: 15_000 });
    expect(Date.now() - before).toBeGreaterThan(3000); // FIRST_CLIENT_WAIT_MS is 5 s from its start
  });

  it('three io NAME at the same moment: one server; the others attach to it, and all exit 0', { timeout: 20_000 }, async () => {
    const { dir, env } = world();
    const runs = await Promise.all([0, 1, 2].map(() => runIo('io', ['-c', 'cat', 'race'], env, '')));
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0]);
    expect(runs.filter((r) => r.stderr === 'io: race started (attach: io race)\n')).toHaveLength(1);
    // a loser is no failure: it attaches, saying its -c was not applied, whether it saw the server
    // live or lost the start to it
    for (const r of runs.filter((x) => !x.stderr.includes('race started'))) expect(r.stderr).toBe('io: race is already running; -c not applied, attaching\n');
    expect((await runIo('io', ['ls'], env)).stdout.split('\n').filter((l) => l.startsWith('race\t'))).toHaveLength(1);
    expect(existsSync(join(dir, 'race'))).toBe(true);
  });

  it('a server that ends with its only session says how the session ended to the client watching it', { timeout: 15_000 }, async () => {
    const { env } = world();
    const child = spawnIo(scope, 'io', ['-a', '-c', 'sleep 1; exit 4', 'q4'], env);
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    expect(await exitOf(child)).toBe(0);
    // however the race between its end and the server's goes, the client says how the session ended
    expect(stderr).toMatch(/^io: q4: (the session on trihub 0 ended \(status 4\)|server quit \(every session ended; the last, on trihub 0: status 4\))\n$/m);
  });

  it('an unreadable --token-file: one line naming the flag and the file, exit 1; the page URL of a wildcard listener is on loopback', async () => {
    const { dir, env } = world();
    const r = await runIo('io', ['--listen', '127.0.0.1:0', '--token-file', join(dir, 'none'), '-c', 'cat', 'tf'], env, '');
    expect(r).toEqual({ status: 1, stdout: '', stderr: `io: --token-file ${join(dir, 'none')}: cannot read (ENOENT)\n` });
    const w = await runIo('io', ['--listen', '0.0.0.0:0', '-c', 'cat', 'wild'], env, '');
    expect(w.stderr).toMatch(/^io: wild listens on ws:\/\/0\.0\.0\.0:\d+\/wild \(page: http:\/\/127\.0\.0\.1:\d+\/wild\/#token=/m);
    expect((await runIo('io', ['kill', 'wild'], env)).status).toBe(0);
  });

  it('io -c CMD on a live name attaches, and says the server flags were not applied', async () => {
    const { env } = world();
    await start(env, 'live');
    const r = await runIo('io', ['-c', 'echo x', '--buffer', '1m', 'live'], env, '');
    expect(r.stderr).toMatch(/^io: live is already running; -c --buffer not applied, attaching\n/);
    expect(r.status).toBe(0);
  });

  it('io -i on a live name: exit 1 (not a usage error), it is already running', async () => {
    const { env } = world();
    await start(env, 'busy');
    const r = await runIo('io', ['-i', 'busy'], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^io: busy is already running \(pid \d+\); -i starts a new server\n$/);
  });

  it('io -i: the console answers ctl lines, logs to stderr, and quit ends it with exit 0', async () => {
    const { dir, env } = world();
    const r = await runIo('io', ['-i', '-c', 'cat', 'con'], env, 'fear\nstatus\nquit\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok\n/); // no prompt: stdin is not a terminal
    expect(r.stdout).toMatch(/^io con: pid \d+, paranoid, notrunc, clients 0, up \d+s$/m);
    expect(r.stderr).toMatch(/iosrv con started: pid \d+/);
    expect(r.stderr).toMatch(/ stopped\n$/);
    expect(existsSync(join(dir, 'con'))).toBe(false);
  });

  it('io NAME on a -d server (no session), in a terminal: one line, exit 1', async () => {
    const { env } = world();
    expect((await runIo('io', ['-d', 'empty'], env)).status).toBe(0);
    const term = new Term(scope, 'io', ['empty'], env);
    expect(await term.exited()).toBe(1);
    expect(term.text).toBe('io: attach 0: nothing runs on trihub 0 (try: list)\n');
    // a -d server lives on until quit
    expect((await runIo('io', ['ctl', 'empty', 'status'], env)).stdout).toMatch(/^io empty: pid \d+/);
  });

  it('io NAME on a -d server, with stdin already at its end: still exit 1 (nothing was attached)', async () => {
    // The attach fails after a ctl round trip; an input that ends first must not turn that into success.
    const { env } = world();
    expect((await runIo('io', ['-d', 'empty'], env)).status).toBe(0);
    for (let i = 0; i < 3; i++) {
      const r = await runIo('io', ['empty'], env, '');
      expect(r).toEqual({ status: 1, stdout: '', stderr: 'io: attach 0: nothing runs on trihub 0 (try: list)\n' });
    }
  });

  it('ioshell NAME with a hub past the server\'s: one line, exit 1, before anything is attached', async () => {
    const { env } = world();
    await start(env, 'hr');
    const r = await runIo('ioshell', ['hr', '0', '1', '99'], env, '');
    expect(r).toEqual({ status: 1, stdout: '', stderr: 'io: hub 99: out of range (0-63)\n' });
  });

  it('io read, io write and io host with a hub past the server\'s, up to 99999: one line, exit 1', async () => {
    const { env } = world();
    await start(env, 'hw');
    for (const args of [['read', 'hw', '70000'], ['write', 'hw', '70000'], ['read', 'hw', '64'], ['write', 'hw', '99999'], ['host', 'hw', '63']]) {
      const r = await runIo('io', args, env, 'x\n');
      expect({ args, ...r }).toEqual({ args, status: 1, stdout: '', stderr: `io: hub ${args[0] === 'host' ? 64 : args[2]}: out of range (0-63)\n` });
    }
  });

  it('--tls-cert/--tls-key that cannot serve: one line naming the flag and why, exit 1, for io and iosrv', async () => {
    const { dir, env } = world();
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const other = join(dir, 'other.pem');
    spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    spawnSync('openssl', ['genrsa', '-out', other, '2048'], { stdio: 'ignore' });
    const cases: [string, string, RegExp][] = [
      [join(dir, 'none.pem'), key, /^io: --tls-cert \S+none\.pem: cannot read \(ENOENT\)\n$/],
      [cert, join(dir, 'none.pem'), /^io: --tls-key \S+none\.pem: cannot read \(ENOENT\)\n$/],
      [key, key, /^io: --tls-cert \S+ --tls-key \S+: not a certificate and its key \(no start line\)\n$/],
      [cert, other, /^io: --tls-cert \S+ --tls-key \S+: not a certificate and its key \(key values mismatch\)\n$/],
    ];
    for (const [i, [c, k, want]] of cases.entries()) {
      for (const program of ['io', 'iosrv'] as const) {
        const r = await runIo(program, ['--listen', '127.0.0.1:0', '--tls-cert', c, '--tls-key', k, '-c', 'cat', `tls${i}${program}`], env, '');
        expect({ program, i, status: r.status, stderr: r.stderr }).toEqual({ program, i, status: 1, stderr: expect.stringMatching(want) });
      }
    }
  });

  it('an address io does not take: one line saying what it does take, exit 2, nothing dialled', async () => {
    const { env } = world();
    const cases: [string[], string][] = [
      [['http://127.0.0.1:7000/demo/'], "io: http://127.0.0.1:7000/demo/: that is the page's address; attach with ws://HOST:PORT/NAME\n"],
      [['read', 'https://h:1/demo', '1'], "io: https://h:1/demo: that is the page's address; attach with wss://HOST:PORT/NAME\n"],
      [['ws://127.0.0.1:7000/'], 'io: ws://127.0.0.1:7000/: which session? (ws://HOST:PORT/NAME)\n'],
      [['ftp://h/demo'], 'io: ftp://h/demo: not an io address (a name, a socket path, ws://HOST:PORT/NAME, wss://…, nats://HOST:PORT/NAME)\n'],
      [['write', 'nats://127.0.0.1:4222/demo', '0'], 'io: nats://127.0.0.1:4222/demo: not carried over NATS (io read nats://HOST:PORT/NAME/N and io nats://HOST:PORT/NAME are)\n'],
      [['ctl', 'nats://127.0.0.1:4222/demo', 'status'], 'io: nats://127.0.0.1:4222/demo: not carried over NATS (io read nats://HOST:PORT/NAME/N and io nats://HOST:PORT/NAME are)\n'],
      [['nats://127.0.0.1:4222/demo', 'zap'], 'io: nats://127.0.0.1:4222/demo: no client words through NATS (zap)\n'],
      [['-a', 'nats://127.0.0.1:4222/demo'], 'io: nats://127.0.0.1:4222/demo: a NATS stream is attached to, not started: -a would not apply\n'],
    ];
    for (const [args, stderr] of cases) expect({ args, ...(await runIo('io', args, env, '')) }).toEqual({ args, status: 2, stdout: '', stderr });
  });

  it('a name whose path in IO_DIR is not a socket (a log file, a directory): one line, exit 1, and it is left alone', async () => {
    const { dir, env } = world();
    writeFileSync(join(dir, 'lg.log'), 'a log\n');
    mkdirSync(join(dir, 'adir'));
    for (const args of [['-c', 'cat', 'lg.log'], ['lg.log'], ['adir'], ['ctl', 'lg.log', 'status']]) {
      const name = args.at(-1) === 'status' ? 'lg.log' : args.at(-1)!;
      const r = await runIo('io', args, env, '');
      expect(r).toEqual({ status: 1, stdout: '', stderr: `io: ${name}: ${dir}/${name} is not a socket (leaving it alone; pick another name)\n` });
    }
    expect(readFileSync(join(dir, 'lg.log'), 'utf8')).toBe('a log\n');
    expect(statSync(join(dir, 'adir')).isDirectory()).toBe(true);
  });

  it.each([['read', 'nosuch', '1'], ['write', 'nosuch', '0'], ['ctl', 'nosuch', 'status']])('io %s %s %s: exit 1, no such session', async (...args) => {
    const { dir, env } = world();
    const r = await runIo('io', args, env, '');
    expect(r).toEqual({ status: 1, stdout: '', stderr: `io: nosuch: no such session (${dir}/nosuch)\n` });
  });
});

describe('output that cannot be written', () => {
  /** io (or another program) with its stdout on /dev/full: its status and stderr. */
  function runIntoFull(args: string[], env: NodeJS.ProcessEnv, program: Program = 'io'): { status: number | null; stderr: string } {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [binPath(program), ...args], { env, stdio: ['ignore', full, 'pipe'], timeout: 10_000 });
      return { status: r.status, stderr: r.stderr.toString() };
    } finally {
      closeSync(full);
    }
  }

  it.each([['ls'], ['ctl', 'dv', 'status'], ['read', 'dv', '1']])('io %s into a full disk: one line, exit 1', async (...args) => {
    const { env } = world();
    await start(env, 'dv');
    await runIo('io', ['write', 'dv', '0'], env, 'to be read\n'); // io read has a backlog to write
    expect(runIntoFull(args, env)).toEqual({ status: 1, stderr: 'io: standard output: ENOSPC\n' });
  });

  it.each<[Program, string]>([['io', '-h'], ['io', '--version'], ['iosrv', '--help'], ['ioshell', '-V']])('%s %s into a full disk: one line, exit 1', (program, flag) => {
    const { env } = world();
    expect(runIntoFull([flag], env, program)).toEqual({ status: 1, stderr: 'io: standard output: ENOSPC\n' });
  });

  it('io ls into a pipe whose reader has gone (io ls | true): exit 0, nothing said', async () => {
    const { env } = world();
    await start(env, 'dv');
    const child = spawn(process.execPath, [binPath('io'), 'ls'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const status = await new Promise((resolve) => child.on('close', resolve));
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  });
});

describe('io ls', () => {
  it('with no sessions says so, exit 0', async () => {
    const { dir, env } = world();
    const r = await runIo('io', ['ls'], env);
    expect(r).toEqual({ status: 0, stdout: `no sessions in ${dir}\n`, stderr: '' });
  });

  it('lists two sessions: name, pid, hubs, clients, age', async () => {
    const { env } = world();
    await start(env, 'one');
    await start(env, 'two');
    const watcher = spawnIo(scope, 'io', ['read', 'two', '1'], env);
    const pids: Record<string, number> = {};
    for (const name of ['one', 'two']) {
      const s = await runIo('io', ['ctl', name, 'status'], env);
      pids[name] = Number(/pid (\d+)/.exec(s.stdout)?.[1]);
    }
    // two's watcher is a client once it has subscribed: hub 1 has an output
    await waitFor(async () => /hub 1: .*outputs 1/.test((await runIo('io', ['ctl', 'two', 'status'], env)).stdout), { what: 'the watcher of two' });
    const r = await runIo('io', ['ls'], env);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('NAME\tPID\tHUBS\tCLIENTS\tAGE');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^one\t${pids['one']}\t3\t0\t\\d+s$`)),
      expect.stringMatching(new RegExp(`^two\t${pids['two']}\t3\t1\t\\d+s$`)),
    ]);
    watcher.kill();
  });

  it('a server that refuses the listing says why (too many clients), where a silent one is "not answering"', async () => {
    const { dir, env } = world();
    expect((await runIo('io', ['-d', '--max-clients', '1', 'full'], env)).status).toBe(0);
    // the one place taken by a raw reader of this process, before anything else may take it
    const watcher = net.connect(join(dir, 'full'));
    watcher.on('error', () => {});
    scope.defer(() => watcher.destroy());
    await new Promise((resolve) => watcher.once('connect', resolve));
    watcher.write('read 1\n');
    await sleep(300);
    expect(watcher.destroyed).toBe(false);
    expect((await runIo('io', ['ls'], env)).stdout).toContain('full\t?\t?\t?\ttoo many clients (limit 1)\n');
  });

  it('reports a stale socket (its server killed -9) and removes it, with the token and address files beside it', async () => {
    const { dir, env } = world();
    expect((await runIo('io', ['-c', 'cat', '--listen', '127.0.0.1:0', 'ghost'], env)).status).toBe(0);
    await start(env, 'alive');
    const pid = Number(/pid (\d+)/.exec((await runIo('io', ['ctl', 'ghost', 'status'], env)).stdout)?.[1]);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !processesIn(dir).includes(pid), { what: 'the ghost server to die' });
    expect(existsSync(join(dir, 'ghost'))).toBe(true); // killed -9: nobody removed it
    const r = await runIo('io', ['ls'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ghost\t-\t-\t-\tstale socket, removed\n');
    expect(r.stdout).toMatch(/^alive\t\d+\t3\t0\t\d+s$/m);
    for (const f of ['ghost', 'ghost.listen', 'ghost.token']) expect(existsSync(join(dir, f))).toBe(false);
    expect((await runIo('io', ['ls'], env)).stdout).not.toContain('ghost');
  });
});

describe('io kill', () => {
  it('on a stale socket (its server killed -9): says so, and removes it and the token and address files left beside it', async () => {
    const { dir, env } = world();
    expect((await runIo('io', ['-c', 'cat', '--listen', '127.0.0.1:0', 'ghost'], env)).status).toBe(0);
    const pid = Number(/pid (\d+)/.exec((await runIo('io', ['ctl', 'ghost', 'status'], env)).stdout)?.[1]);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !processesIn(dir).includes(pid), { what: 'the ghost server to die' });
    expect(existsSync(join(dir, 'ghost.token'))).toBe(true);
    expect(existsSync(join(dir, 'ghost.listen'))).toBe(true);
    expect(await runIo('io', ['kill', 'ghost'], env)).toEqual({ status: 1, stdout: '', stderr: 'io: ghost: no such session (a stale socket; removed)\n' });
    expect(existsSync(join(dir, 'ghost'))).toBe(false);
    expect(existsSync(join(dir, 'ghost.token'))).toBe(false);
    expect(existsSync(join(dir, 'ghost.listen'))).toBe(false);
    expect(await runIo('io', ['kill', 'ghost'], env)).toEqual({ status: 1, stdout: '', stderr: 'io: ghost: no such session\n' });
  });

  it('quits a session: socket gone, its processes gone, exit 0', async () => {
    const { dir, env } = world();
    await start(env, 'k');
    const r = await runIo('io', ['kill', 'k'], env);
    expect(r).toEqual({ status: 0, stdout: '', stderr: 'io: k: quit\n' });
    expect(existsSync(join(dir, 'k'))).toBe(false);
    await waitFor(() => processesIn(dir).length === 0, { what: 'the server and its cat to end' });
  });

  it('io kill nosuch: exit 1, a clear message', async () => {
    const { env } = world();
    const r = await runIo('io', ['kill', 'nosuch'], env);
    expect(r).toEqual({ status: 1, stdout: '', stderr: 'io: nosuch: no such session\n' });
  });
});

describe('io ctl', () => {
  it('status: the server, its session and its hubs', async () => {
    const { env } = world();
    await start(env, 'c');
    const r = await runIo('io', ['ctl', 'c', 'status'], env);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^io c: pid \d+, fast, notrunc, clients 1, up \d+s$/);
    expect(lines[1]).toMatch(/^trihub 0: session pid \d+, pipes, cat$/);
    expect(lines.slice(2).map((l) => l.replace(/:.*/, ''))).toEqual(['hub 0', 'hub 1', 'hub 2']);
    expect(lines[2]).toMatch(/^hub 0: fast, pace 0 ms, held 0\/512k, inputs 0, outputs 1, slowest lag 0$/);
  });

  it('an unknown command: exit 1 and the usage line on stderr; none of the commands beside it is run', async () => {
    const { env } = world();
    await start(env, 'c');
    expect(await runIo('io', ['ctl', 'c', 'bogus'], env)).toEqual({
      status: 1,
      stdout: '',
      stderr: "io: unknown command 'bogus' (try: fear calm quit debug shutup trunc notrunc status eof signal hN[tcsoeifkxvyz]M)\n",
    });
    // `fear extra`: a stray word must not leave the server paranoid
    expect(await runIo('io', ['ctl', 'c', 'fear', 'extra'], env)).toEqual({
      status: 1,
      stdout: '',
      stderr: "io: unknown command 'extra' (try: fear calm quit debug shutup trunc notrunc status eof signal hN[tcsoeifkxvyz]M); none of the 2 commands was run\n",
    });
    expect((await runIo('io', ['ctl', 'c', 'eof', '0', '1'], env)).stderr).toMatch(/^io: unknown command '1' .*; none of the 2 commands was run\n$/);
    expect((await runIo('io', ['ctl', 'c', 'status'], env)).stdout).toMatch(/^io c: pid \d+, fast,/);
    expect((await runIo('io', ['ctl', 'c', 'h1v'], env)).stdout).toMatch(/^hub 1: fast,/);
    // a refusal by the server (a hub not started) is said, and the commands beside it are answered
    expect(await runIo('io', ['ctl', 'c', 'h9v', 'calm'], env)).toEqual({ status: 1, stdout: 'ok\n', stderr: 'io: h9v: hub 9 not started\n' });
  });
});

describe('io read and io write', () => {
  it('eof 0 after io write: the session reads every line first (more than the ring), then end of file', { timeout: 30_000 }, async () => {
    const { env } = world();
    await start(env, 'cnt', 'n=0; while read l; do n=$((n+1)); done; echo $n');
    const lines = Array.from({ length: 150_000 }, (_, i) => `${i + 1}\n`).join('');
    expect(lines.length).toBeGreaterThan(512 * 1024); // and more than the pipe: some wait in a held writer
    expect(await runIo('io', ['write', 'cnt', '0'], env, lines, 25_000)).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(await runIo('io', ['ctl', 'cnt', 'eof', '0'], env)).toEqual({ status: 0, stdout: 'ok\n', stderr: '' });
    expect((await runIo('io', ['read', 'cnt', '1'], env, undefined, 25_000)).stdout).toBe('150000\n');
  });

  it('round trip through io -c cat: hub 0 in, hub 1 out; each write closes only its input', async () => {
    const { env } = world();
    await start(env, 'rt');
    const reader = spawnIo(scope, 'io', ['read', 'rt', '1'], env);
    const out = collect(reader.stdout!);
    const w = await runIo('io', ['write', 'rt', '0'], env, 'hello\n');
    expect(w).toEqual({ status: 0, stdout: '', stderr: '' });
    await waitFor(() => out.text === 'hello\n', { what: "'hello' on hub 1" });
    // the first writer's end of input did not end the hub: cat still hears a second one
    await runIo('io', ['write', 'rt', '0'], env, 'again\n');
    await waitFor(() => out.text === 'hello\nagain\n', { what: "'again' on hub 1" });
    // end of the session: the reader gets the rest, then exits 0
    await runIo('io', ['kill', 'rt'], env);
    expect(await exitOf(reader)).toBe(0);
  });

  it('a reader that comes after the output sees the backlog, and exits 0 at end of stream', async () => {
    const { env } = world();
    // the session prints, then waits for its input to end (so the server outlives our start)
    await start(env, 'bk', 'echo done; read x; echo bye');
    await waitFor(async () => /hub 1: .*held 5\//.test((await runIo('io', ['ctl', 'bk', 'status'], env)).stdout), { what: "'done' held in hub 1" });
    const reader = spawnIo(scope, 'io', ['read', 'bk', '1'], env);
    const out = collect(reader.stdout!);
    await waitFor(() => out.text === 'done\n', { what: 'the backlog' });
    expect((await runIo('io', ['ctl', 'bk', 'eof', '0'], env)).stdout).toBe('ok\n');
    expect(await exitOf(reader)).toBe(0);
    expect(out.text).toBe('done\nbye\n');
  });

  it.each<[string, Program, string[]]>([
    ['ioshell pp', 'ioshell', ['pp']],
    ['io write pp 0', 'io', ['write', 'pp', '0']],
  ])('%s on a pipe: input faster than a paranoid session takes all arrives, with nothing said on stderr', { timeout: 40_000 }, async (_label, program, args) => {
    const { env } = world();
    const r = await runIo('io', ['-p', '-c', 'sleep 1; exec cat', 'pp'], env);
    expect(r.status).toBe(0);
    const reader = spawnIo(scope, 'io', ['read', 'pp', '1'], env);
    let got = 0;
    reader.stdout!.on('data', (b: Buffer) => (got += b.length));
    await waitFor(async () => /hub 1: .*outputs 1/.test((await runIo('io', ['ctl', 'pp', 'status'], env)).stdout), { what: 'the reader' });
    // 4 MiB of lines: far past what the pipe to cat, hub 0 and the socket hold while cat
    // sleeps, so the writer's input waits for its connection to drain many times over
    const line = `${'x'.repeat(99)}\n`;
    const input = line.repeat(Math.ceil((4 << 20) / line.length));
    const w = await runIo(program, args, env, input, 25_000);
    expect(w.stderr).toBe('');
    expect(w.status).toBe(0);
    // it left only once every byte was in hub 0
    await waitFor(() => got === input.length, { what: `all ${input.length} bytes on hub 1 (got ${got})`, timeoutMs: 10_000 });
  });

  it('io read --new skips the backlog', async () => {
    const { env } = world();
    await start(env, 'nw');
    await runIo('io', ['write', 'nw', '0'], env, 'old\n');
    await waitFor(async () => /hub 1: .*held 4\//.test((await runIo('io', ['ctl', 'nw', 'status'], env)).stdout), { what: "'old' held in hub 1" });
    const reader = spawnIo(scope, 'io', ['read', '--new', 'nw', '1'], env);
    const out = collect(reader.stdout!);
    await waitFor(async () => /hub 1: .*outputs 1/.test((await runIo('io', ['ctl', 'nw', 'status'], env)).stdout), { what: 'the reader' });
    await runIo('io', ['write', 'nw', '0'], env, 'new\n');
    await waitFor(() => out.text === 'new\n', { what: "only 'new'" });
  });
});
