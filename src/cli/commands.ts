// commands.ts — io's command line in full: its flags, starting a server when
// the name is free (attaching when it is taken), and the small tools around
// it (ls, read, write, ctl, kill).
//
// io [-a | -i] [server flags] [NAME] [zap] [slow|fast] [here]
// With no server at $IO_DIR/NAME (a stale socket is removed first) io starts
// one in the background and returns; -a then attaches; -i runs it here with a
// console. With a live server, io attaches. With no name: iorc.$pid.
//
// Not here: the terminal on a session (attach.ts), which the plain
// `io NAME` reaches without this file (io.ts).

import { Command, InvalidArgumentError, Option } from 'commander';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { attach, greet, type AttachOptions } from '../client/connect.js';
import { natsAuth, parseNatsTarget, parseWsTarget } from '../core/address.js';
import type { NatsTarget } from '../client/nats.js';
import { DETACH_KEY } from '../core/keys.js';
import type { Client } from '../client/client.js';
import { listSessions } from '../client/list.js';
import { CtlError, UsageError, IoError } from '../core/errors.js';
import { parseCtl } from '../core/ctl.js';
import { GapNotices } from '../client/gaps.js';
import { checkIoDir, resolveIoDir, socketPath } from '../sys/iodir.js';
import { writeDirect } from '../sys/direct.js';
import { dialSocket, probeSocket, removeStale } from '../sys/socket.js';
import { attachShell, checkWords, sessionPath } from './attach.js';
import { readyLine, startInBackground } from './daemon.js';
import { VERSION, exitAfterStdout, watchStdout } from './main.js';
import { NATS_URLS_ENV, addServerFlags, checkServerFlags, nameAfterLogFlag, usageOutput, type ServerFlags } from './options.js';

type IoFlags = ServerFlags & { a?: boolean; i?: boolean; token?: string; insecure?: boolean; ca?: string };

/** How to reach a target: the token and TLS choice given on the command line. */
function attachOpts(): AttachOptions {
  const f = program.opts<IoFlags>();
  return { ...(f.token ? { token: f.token } : {}), ...(f.insecure ? { insecure: true } : {}), ...(f.ca ? { ca: f.ca } : {}) };
}

const program = usageOutput(new Command('io'))
  .description('persistent multiplexed i/o sessions: start a session, or attach to it')
  .version(VERSION, '-V, --version')
  .argument('[name]', 'session name (default iorc.$pid)')
  .argument('[words...]', 'client words: zap (clear the backlog first), slow | fast (pace), here (a shell on this machine)')
  .option('-a', 'attach after starting the server')
  .option('-i', 'run the server here: its log on this terminal, typed lines to the ctl')
  .option('--token <token>', 'token for a ws:// or wss:// server (else $IO_TOKEN, else the local token file)')
  .option('--insecure', 'wss://: accept a certificate no CA vouches for (self-signed)')
  .option('--ca <file>', 'wss://: also trust this CA certificate (PEM), as a self-signed server\'s own');
addServerFlags(program);
program.addHelpText('after', `
Examples:
  io -a demo                 start a shell session named demo and attach (Ctrl-\\ detaches)
  io demo                    attach to it again, from anywhere
  io -c cat chat             a chat room: everyone who runs 'io chat' sees every line
  io -c 'tail -f /var/log/syslog' logs ; io read logs 1
  io demo zap fast           attach with the backlog cleared, at full pace
  io -i -v rc.3              a server with a control console here (fear, h1v, shutup)
  io ls                      the sessions; then io ctl demo status, io kill demo`);

program
  .command('ls')
  .description('list sessions: name, pid, hubs, clients, age')
  .action(() => ls());
program
  .command('read')
  .description('copy hub N to stdout (raw bytes; exits 0 at end of stream); or from NATS: io read nats://HOST:PORT/NAME/N')
  .argument('<name>', 'session name, ws:// URL, or nats://HOST:PORT/NAME/N')
  .argument('[hub]', 'hub number', hubArg)
  .option('--new', 'skip the backlog: only bytes written from now on')
  .option('--nats-creds <file>', 'NATS credentials file (for nats:// targets)')
  .action((name: string, hub: number | undefined, _o: unknown, cmd: Command) => {
    // io's own --nats-creds (for a server) has the same name: commander gives it the flag wherever it stands
    const o = cmd.optsWithGlobals<{ new?: boolean; natsCreds?: string }>();
    const nats = parseNatsTarget(name);
    if (nats) return readNats({ servers: nats.servers, name: nats.name, creds: o.natsCreds ?? null }, nats.hub);
    if (hub === undefined) throw new UsageError('io: read: which hub? (io read NAME N)');
    return readHub(name, hub, o.new ?? false);
  });
program
  .command('write')
  .description('copy stdin into hub N (end of input closes this input only)')
  .argument('<name>')
  .argument('<hub>', 'hub number', hubArg)
  .action((name: string, hub: number) => writeHub(name, hub));
program
  .command('ctl')
  .description('send control commands (fear, calm, status, h1v, …) and print the replies')
  .argument('<name>')
  .argument('<cmd...>')
  .option('--json', 'status and hNv as JSON')
  .action((name: string, cmd: string[], o: { json?: boolean }) => ctl(name, cmd, o.json ?? false));
program
  .command('kill')
  .description('quit a server: its sessions are hung up, its socket removed')
  .argument('<name>')
  .action((name: string) => kill(name));
// io help [command], as git and npm have it: a subcommand like the others, so start flags before it are refused too
program
  .command('help')
  .description('show help for io or for one of its commands')
  .argument('[command]')
  .action((topic: string | undefined) => {
    if (topic === undefined) return program.outputHelp();
    const shown = program.createHelp().visibleCommands(program).filter((c) => c.name() !== 'help');
    const sub = shown.find((c) => c.name() === topic);
    if (!sub) throw new UsageError(`io: help: no command '${topic}' (try: ${shown.map((c) => c.name()).join(' ')})`);
    sub.outputHelp();
  });
program
  .command('host', { hidden: true })
  .description('serve trihub N of NAME from a shell on this machine (local N, here)')
  .argument('<name>')
  .argument('<trihub>', 'trihub number', hubArg)
  .addOption(new Option('--ready-fd <fd>').argParser(Number))
  .action((name: string, trihub: number, o: { readyFd?: number }) => host(name, trihub, o.readyFd));

// a subcommand's usage errors name it: `io: read: hub: '-1' is not a hub number`
for (const sub of program.commands) usageOutput(sub, sub.name());

// io's own flags start or attach to a session; a subcommand (io ls, io read …) takes only its own, and
// the ones for reaching a server (--token, --insecure, --ca, --nats-creds): `io -c cmd ls` must not look like a start
program.hook('preSubcommand', (_io, sub) => {
  const given = startFlagsGiven(['token', 'insecure', 'ca', 'natsCreds']);
  if (given) throw new UsageError(`io: ${sub.name()}: ${given} would not apply (flags for starting a session)`);
});

/** io's own flags given on the command line, but those allowed, as typed (`-c --listen`); '' when none. */
function startFlagsGiven(allowed: string[]): string {
  return program.options
    .filter((o) => program.getOptionValueSource(o.attributeName()) === 'cli' && !allowed.includes(o.attributeName()))
    .map((o) => o.long ?? o.short)
    .join(' ');
}

program.action((name: string | undefined, words: string[]) => {
  const f = program.opts<IoFlags>();
  return main(nameAfterLogFlag(name, f), words, f);
});

function hubArg(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new InvalidArgumentError(`'${text}' is not a hub number`);
  return Number(text);
}

function done(status: number): never {
  process.exit(status);
}

async function main(nameArg: string | undefined, words: string[], f: IoFlags): Promise<void> {
  if (f.a && f.i) throw new UsageError('io: -a and -i cannot be used together (-i keeps the server here; attach from another terminal)');
  const natsTarget = nameArg ? /^nats:\/\/([^/]+)\/([^/]+)\/?$/.exec(nameArg) : null;
  if (natsTarget) {
    if (words.length > 0) throw new UsageError(`io: ${nameArg}: no client words through NATS (${words.join(' ')})`);
    const given = startFlagsGiven(['natsCreds']);
    if (given) throw new UsageError(`io: ${nameArg}: a NATS stream is attached to, not started: ${given} would not apply`);
    return attachNats({ servers: natsTarget[1]!.split(',').map((h) => `nats://${h}`), name: natsTarget[2]!, creds: f.natsCreds ?? null });
  }
  checkServerFlags(f);
  const startWords = checkWords(words);
  if (nameArg && parseWsTarget(nameArg)) {
    if (f.i || f.a || f.c !== undefined || f.d) throw new UsageError(`io: ${nameArg}: a remote server is attached to, not started; drop -a -i -c -d`);
    return attachShell(attach(nameArg, attachOpts()), nameArg, startWords, f.token);
  }
  // A socket path (another user's shared session, /tmp/io-1000/chat) is attached to, never started;
  // with a flag that starts a server, it is a session name, and a bad one.
  if (nameArg?.includes('/') && !(f.i || f.a || f.c !== undefined || f.d)) {
    const given = startFlagsGiven(['token', 'insecure', 'ca']);
    if (given) throw new UsageError(`io: ${nameArg}: a socket path is attached to, not started: ${given} would not apply`);
    return attachShell(attach(nameArg, attachOpts()), nameArg, startWords, f.token);
  }
  const name = nameArg ?? `iorc.${process.pid}`;
  const { ioDir, path } = sessionPath(name, f.share ?? false);
  if (f.i) {
    const probe = await probeSocket(path, name);
    if (probe.state === 'live') throw new IoError('IO_ERR_RUNNING', `io: ${name} is already running${probe.hello ? ` (pid ${probe.hello.pid})` : ''}; -i starts a new server`);
    if (probe.state === 'stale') process.stderr.write(`io: ${name}: removed a stale socket (its server had died)\n`);
    return (require('./serve.js') as typeof import('./serve.js')).serve(name, f, { console: true, noListen: false });
  }
  // a server's flags do not change a running server: said, so -c CMD is not thought to have run
  const sayNotApplied = (): void => {
    const ignored = startFlagsGiven(['a', 'token', 'insecure', 'ca']);
    if (ignored) process.stderr.write(`io: ${name} is already running; ${ignored} not applied, attaching\n`);
  };
  const dial = await dialSocket(path, name);
  if (dial.state === 'live') {
    sayNotApplied();
    return attachShell(greet(dial.socket, name), name, startWords, f.token);
  }
  if (dial.state === 'stale') process.stderr.write(`io: ${name}: removed a stale socket (its server had died)\n`);
  // A server in the background has no terminal: -v alone means the default log.
  if (f.v && f.l === undefined) f.l = true;
  const logFile = f.l === true ? join(ioDir, `${name}.log`) : typeof f.l === 'string' ? f.l : null;
  let ws = '';
  let isRaced = false;
  try {
    ws = await startInBackground(name, serverArgs(f), logFile, natsSecrets(f));
  } catch (err) {
    // Another io started this name a moment before us: attach to that one, as to any live name.
    if (!(err instanceof IoError && err.code === 'IO_ERR_RUNNING')) throw err;
    isRaced = true;
    sayNotApplied();
  }
  // a wildcard address is no place a browser can go (Chrome refuses 0.0.0.0): the page is shown on loopback
  if (ws) process.stderr.write(`io: ${name} listens on ${ws} (page: ${ws.replace(/^ws/, 'http').replace(/\/\/(0\.0\.0\.0|\[::\]):/, (_m, h: string) => `//${h === '0.0.0.0' ? '127.0.0.1' : '[::1]'}:`)}/#token=${readFileSync(join(ioDir, `${name}.token`), 'utf8').trim()})\n`);
  if (f.a || isRaced) return attachShell(attach(name, attachOpts()), name, startWords, f.token);
  process.stderr.write(`io: ${name} started (attach: io ${name})\n`);
}

/** io's server flags, as iosrv takes them. */
function serverArgs(f: IoFlags): string[] {
  const args: string[] = [];
  if (f.d) args.push('-d');
  if (f.p) args.push('-p');
  if (f.v) args.push('-v');
  if (f.l !== undefined) args.push(typeof f.l === 'string' ? `-l${f.l}` : '-l');
  if (f.c !== undefined) args.push('-c', f.c);
  if (f.pty) args.push('--pty');
  if (f.pipes) args.push('--pipes');
  if (f.share) args.push('--share');
  if (f.listen) args.push('--listen', `${f.listen.host.includes(':') ? `[${f.listen.host}]` : f.listen.host}:${f.listen.port}`);
  if (f.tokenFile) args.push('--token-file', f.tokenFile);
  if (f.tlsCert) args.push('--tls-cert', f.tlsCert);
  if (f.tlsKey) args.push('--tls-key', f.tlsKey);
  args.push('--buffer', String(f.buffer), '--hubs', String(f.hubs), '--max-frame', String(f.maxFrame));
  args.push('--max-clients', String(f.maxClients), '--stall-timeout', String(f.stallTimeout));
  if (f.nats) args.push('--nats', natsAuth(f.nats).servers.join(','), '--nats-replicas', String(f.natsReplicas));
  if (f.natsHubs) args.push('--nats-hubs', f.natsHubs.join(','));
  if (f.natsWrite) args.push('--nats-write');
  if (f.natsCreds) args.push('--nats-creds', f.natsCreds);
  return args;
}

/** --nats URLs with a user and password go to the server through its environment, not its command line, which ps shows. */
function natsSecrets(f: IoFlags): NodeJS.ProcessEnv {
  return f.nats && natsAuth(f.nats).servers.join(',') !== f.nats.join(',') ? { [NATS_URLS_ENV]: f.nats.join(',') } : {};
}

async function ls(): Promise<void> {
  const ioDir = resolveIoDir();
  const list = await listSessions(ioDir);
  if (list.length === 0) {
    process.stdout.write(`no sessions in ${ioDir}\n`);
    return;
  }
  process.stdout.write('NAME\tPID\tHUBS\tCLIENTS\tAGE\n');
  for (const s of list) {
    if (s.state === 'stale') process.stdout.write(`${s.name}\t-\t-\t-\tstale socket, removed\n`);
    else if (s.state === 'silent') process.stdout.write(`${s.name}\t?\t?\t?\t${s.why ?? 'not answering'}\n`);
    else process.stdout.write(`${s.name}\t${s.pid}\t${s.hubs}\t${s.clients}\t${age(Date.now() - (s.startedAt ?? Date.now()))}\n`);
  }
}

function age(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

async function readHub(name: string, hub: number, fromNew: boolean): Promise<void> {
  const client = await attach(name, attachOpts());
  client.checkHubs(hub);
  const gaps = new GapNotices((lost) => void process.stderr.write(`io: lost ${lost} bytes\n`));
  client.on({
    dataPieces: (_h, pieces) => {
      if (!writeDirect(process.stdout, pieces)) {
        client.pause();
        process.stdout.once('drain', () => client.resume());
      }
    },
    gap: (_h, lost) => gaps.lost(lost),
    eof: () => {
      gaps.flush();
      client.close();
      exitAfterStdout(0);
    },
    error: (_h, message) => {
      if (!message.includes('server quit')) {
        gaps.flush();
        process.stderr.write(`${message}\n`);
        done(1);
      }
    },
    close: (reason) => {
      gaps.flush();
      // an error frame was said already; without one, the server (or the way to it) went away
      if (!reason) process.stderr.write(`io: ${name}: connection lost\n`);
      exitAfterStdout(reason ? 0 : 1);
    },
  });
  client.subscribe(hub, { fromNew });
}

async function readNats(target: NatsTarget, hub: number): Promise<void> {
  const { natsConnect, followHub, sayConnection } = require('../client/nats.js') as typeof import('../client/nats.js');
  const nc = await natsConnect(target);
  sayConnection(nc, (line) => void process.stderr.write(`${line}\n`));
  const gaps = new GapNotices((lost) => void process.stderr.write(`io: lost ${lost} bytes\n`));
  await followHub(nc, target.name, hub, {
    data: (bytes) => void process.stdout.write(bytes),
    gap: (lost) => gaps.lost(lost),
    eof: () => {},
  });
  gaps.flush();
  await nc.close();
  exitAfterStdout(0);
}

/** io nats://HOST:PORT/NAME: a terminal on trihub 0 through NATS; keys go to io.NAME.in.0 (served with --nats-write). */
async function attachNats(target: NatsTarget): Promise<void> {
  const { natsConnect, followHub, natsWrite, sayConnection } = require('../client/nats.js') as typeof import('../client/nats.js');
  const nc = await natsConnect(target);
  sayConnection(nc, (line) => void process.stderr.write(`\r\n${line}\r\n`));
  const gaps = new GapNotices((n) => void process.stderr.write(`\r\nio: lost ${n} bytes\r\n`));
  const stdin = process.stdin;
  let isLeaving = false;
  const leave = (status: number, message: string | null): void => {
    if (isLeaving) return;
    isLeaving = true;
    if (stdin.isTTY) stdin.setRawMode(false);
    gaps.flush();
    if (message) process.stderr.write(`${message}\n`);
    // what was typed last is still in the client's buffer: close() alone would drop it
    void nc
      .flush()
      .catch(() => {})
      .then(() => nc.close())
      .finally(() => done(status));
  };
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on('data', (b: Buffer) => {
    const cut = b.indexOf(DETACH_KEY);
    if (cut >= 0) {
      if (cut > 0) natsWrite(nc, target.name, 0, b.subarray(0, cut));
      return leave(0, `io: detached from ${target.name}`);
    }
    natsWrite(nc, target.name, 0, b);
  });
  // input that ends (a pipe) ends this client, as on the Unix socket: the session goes on
  stdin.on('end', () => leave(0, null));
  process.on('SIGTERM', () => leave(1, `io: ${target.name}: SIGTERM; detached`));
  const out = followHub(nc, target.name, 1, { data: (b) => void process.stdout.write(b), gap: (n) => gaps.lost(n), eof: () => {} });
  void followHub(nc, target.name, 2, { data: (b) => void process.stderr.write(b), gap: () => {}, eof: () => {} }).catch(() => {});
  await out;
  leave(0, null);
}

async function writeHub(name: string, hub: number): Promise<void> {
  const client = await attach(name, attachOpts());
  client.checkHubs(hub);
  client.on({
    error: (_h, message) => {
      process.stderr.write(`${message}\n`);
      done(1);
    },
    close: (reason) => {
      process.stderr.write(`${reason ?? `io: ${name}: connection lost`}\n`);
      done(reason?.includes('server quit') ? 0 : 1);
    },
  });
  client.onDrain(() => process.stdin.resume());
  process.stdin.on('data', (bytes: Buffer) => {
    if (!client.write(hub, bytes)) process.stdin.pause();
  });
  process.stdin.on('end', () => {
    client.endInput(hub);
    void client.flushed().then(() => {
      client.close();
      done(0);
    });
  });
}

async function ctl(name: string, words: string[], json: boolean): Promise<void> {
  const client = await attach(name, attachOpts());
  const commands = splitCommands(words);
  // all or nothing, as far as the grammar goes: `io ctl NAME fear extra` must not leave the server paranoid
  const bad = commands.map((c) => parseCtl(c, client.hello.maxHubs)).find((r) => r instanceof CtlError);
  if (bad) {
    client.close();
    process.stderr.write(`${bad.message}${commands.length > 1 ? `; none of the ${commands.length} commands was run` : ''}\n`);
    return exitAfterStdout(1);
  }
  let status = 0;
  for (const c of commands) {
    const reply = await client.ctl(c, { json });
    // a refusal is an error: on stderr, where a script looks for one, and exit 1
    if (reply.startsWith('io:')) {
      process.stderr.write(`${reply}\n`);
      status = 1;
    } else process.stdout.write(`${reply}\n`);
  }
  client.close();
  exitAfterStdout(status);
}

/** Each word is a command, but `signal N SIG` and `eof N` take their arguments along. */
export function splitCommands(words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const takes = w === 'signal' ? 2 : w === 'eof' ? 1 : 0;
    out.push([w, ...words.slice(i + 1, i + 1 + takes)].join(' '));
    i += takes;
  }
  return out;
}

async function kill(name: string): Promise<void> {
  checkIoDir(resolveIoDir());
  const path = socketPath(resolveIoDir(), name);
  const probe = await probeSocket(path, name);
  if (probe.state === 'stale') removeStale(path);
  if (probe.state !== 'live') throw new IoError('IO_ERR_NO_SERVER', `io: ${name}: no such session${probe.state === 'stale' ? ' (a stale socket; removed)' : ''}`);
  const client = await attach(name);
  const closed = new Promise<void>((resolve) => client.on({ close: () => resolve() }));
  await client.ctl('quit');
  await closed;
  process.stderr.write(`io: ${name}: quit\n`);
}

async function host(name: string, trihub: number, readyFd: number | undefined): Promise<void> {
  const ready = readyLine(readyFd);
  let client: Client;
  try {
    client = await attach(name, attachOpts());
    client.checkHubs(trihub, trihub + 1, trihub + 2);
  } catch (err) {
    ready((err as Error).message);
    throw err;
  }
  process.on('SIGHUP', () => {});
  const { runHost } = require('../shell/local.js') as typeof import('../shell/local.js');
  const status = await runHost(client, trihub, null, (err) => ready(err ?? 'ready'));
  done(status);
}

/** Parse the command line and run what it says. */
export async function run(): Promise<void> {
  watchStdout();
  await program.parseAsync();
}
