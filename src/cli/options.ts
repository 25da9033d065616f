// options.ts — flags shared by io and iosrv, and the combinations refused.
//
// Every limit is a named option with its default here; every refusal is a
// UsageError naming the flag and the reason (exit 2).

import { InvalidArgumentError, type Command } from 'commander';
import { writeStdoutSync } from './main.js';
import { UsageError } from '../core/errors.js';
import { DEFAULT_BUFFER_BYTES } from '../core/hub.js';
import { DEFAULT_MAX_HUBS } from '../core/hubs.js';
import { MAX_FRAME_BYTES } from '../core/frame.js';
import { PACE_MAX_MS } from '../core/ctl.js';
import { formatSize, parseSize } from '../core/size.js';
import { natsAuth, parseListen } from '../core/address.js';
import { DEFAULT_MAX_CLIENTS, DEFAULT_STALL_TIMEOUT_MS, MAX_BUFFER_BYTES, MIN_BUFFER_BYTES, MIN_FRAME_BYTES } from '../core/limits.js';

/** The --nats URLs with their credentials, as io hands them to the server it starts (see natsWithSecrets). */
export const NATS_URLS_ENV = 'IO_NATS_URLS';

/**
 * What says a process runs inside another multiplexer's window. A session
 * outlives the terminal it was started from, and is attached to from others:
 * tmux inside it would think itself nested in a tmux it is not in.
 */
const MULTIPLEXER_ENV = ['TMUX', 'TMUX_PANE', 'STY', 'WINDOW'];

/**
 * The --nats URLs to use, and the environment for the sessions: io passes
 * URLs with a user and password in $IO_NATS_URLS and the same URLs without
 * them on the command line; they are taken when they name the same servers,
 * and never passed on to a session. Nor is the multiplexer the server was
 * started from (MULTIPLEXER_ENV).
 */
export function natsWithSecrets(nats: string[] | undefined, env: NodeJS.ProcessEnv): { nats: string[] | undefined; env: NodeJS.ProcessEnv } {
  const { [NATS_URLS_ENV]: secret, ...kept } = env;
  const rest = Object.fromEntries(Object.entries(kept).filter(([k]) => !MULTIPLEXER_ENV.includes(k)));
  const full = secret?.split(',');
  return { nats: nats && full && natsAuth(full).servers.join(',') === nats.join(',') ? full : nats, env: rest };
}

export interface ServerFlags {
  d?: boolean;
  s?: boolean;
  p?: boolean;
  v?: boolean;
  t?: number;
  l?: string | boolean;
  c?: string;
  pty?: boolean;
  pipes?: boolean;
  buffer: number;
  hubs: number;
  maxFrame: number;
  share?: boolean;
  listen?: { host: string; port: number };
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  maxClients: number;
  stallTimeout: number;
  nats?: string[];
  natsHubs?: number[];
  natsWrite?: boolean;
  natsCreds?: string;
  natsReplicas: number;
}

/** A size from min to max bytes (core/size.ts), for a flag. */
function sizeArg(min: number, max: number) {
  return (text: string): number => {
    const n = parseSize(text);
    if (typeof n === 'string') throw new InvalidArgumentError(n);
    if (n < min || n > max) throw new InvalidArgumentError(`'${text}' is out of range (${formatSize(min)} to ${formatSize(max)})`);
    return n;
  };
}

function intArg(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) throw new InvalidArgumentError(`'${text}' is not a whole number from ${min} to ${max}`);
    return n;
  };
}

/** The server's flags, for iosrv and for io (which passes them on). */
export function addServerFlags(cmd: Command): Command {
  return cmd
    .option('-d', 'no default session: hubs start on first use; lives until quit')
    .option('-p', 'paranoid pacing: writers wait for the slowest reader, nothing is lost')
    .option('-v', 'verbose logging (connects, ctl commands, gaps)')
    .option('-l [logfile]', 'log to a file (default $IO_DIR/NAME.log)')
    .option('-c <cmd>', 'run cmd (as /bin/sh -c cmd, on pipes) instead of a shell')
    .option('--pty', 'run the session on a pty (default for the shell)')
    .option('--pipes', 'run the session on pipes (default for -c)')
    .option('--buffer <size>', 'bytes per hub, e.g. 512k, 4m (1k to 1g)', sizeArg(MIN_BUFFER_BYTES, MAX_BUFFER_BYTES), DEFAULT_BUFFER_BYTES)
    .option('--hubs <n>', 'number of hubs', intArg(3, 65535), DEFAULT_MAX_HUBS)
    .option('--max-frame <size>', 'largest frame accepted from a client (1k to 1g)', sizeArg(MIN_FRAME_BYTES, MAX_BUFFER_BYTES), MAX_FRAME_BYTES)
    .option('--share', 'open the socket to your group (a chat room)')
    .option('--max-clients <n>', 'connections served at once; more are refused', intArg(1, 1_000_000), DEFAULT_MAX_CLIENTS)
    .option('--stall-timeout <s>', 'drop a reader that holds every writer this many seconds: paranoid, or a host shell that reads nothing (0: never)', intArg(0, 86_400), DEFAULT_STALL_TIMEOUT_MS / 1000)
    .option('--listen <host:port>', 'also serve over WebSocket, and the web page at /NAME/', listenArg)
    .option('--token-file <file>', 'more WebSocket tokens, one "ROLE TOKEN" a line (watch, write, control)')
    .option('--tls-cert <file>', 'serve wss:// with this certificate (PEM)')
    .option('--tls-key <file>', 'the certificate\'s private key (PEM)')
    .option('--nats <urls>', 'mirror hubs into NATS JetStream (nats://host:port[,…])', (t: string) => t.split(',').map((u) => (u.includes('://') ? u : `nats://${u}`)))
    .option('--nats-hubs <list>', 'hubs to mirror (default 1,2: the session\'s output)', hubListArg)
    .option('--nats-write', 'also feed io.NAME.in.N from NATS into hub N')
    .option('--nats-creds <file>', 'NATS credentials file')
    .option('--nats-replicas <n>', 'replicas of the JetStream stream (a cluster: 3)', intArg(1, 5), 1);
}

function hubListArg(text: string): number[] {
  if (!/^\d{1,5}(,\d{1,5})*$/.test(text)) throw new InvalidArgumentError(`'${text}' is not a list of hub numbers (1,2)`);
  return text.split(',').map(Number);
}

function listenArg(text: string): { host: string; port: number } {
  const l = parseListen(text);
  if (typeof l === 'string') throw new InvalidArgumentError(l);
  return l;
}

export const paceArg = intArg(0, PACE_MAX_MS);

/**
 * `-l [logfile]` takes an optional value, so in `io -l rc.2` the parser reads
 * rc.2 as the log file. The man page means the session rc.2 with the default
 * log: when no name was given, the value was the name.
 */
export function nameAfterLogFlag(name: string | undefined, f: ServerFlags): string | undefined {
  if (name === undefined && typeof f.l === 'string') {
    const taken = f.l;
    f.l = true;
    return taken;
  }
  return name;
}

/** Refuse flags that make no sense together. */
export function checkServerFlags(f: ServerFlags): void {
  if (f.pty && f.pipes) throw new UsageError('io: --pty and --pipes cannot be used together');
  if (f.d && f.c !== undefined) throw new UsageError('io: -d and -c cannot be used together (-d starts no session to run cmd)');
  if ((f.tlsCert === undefined) !== (f.tlsKey === undefined)) throw new UsageError('io: --tls-cert and --tls-key go together');
  if (f.tlsCert !== undefined && !f.listen) throw new UsageError('io: --tls-cert needs --listen HOST:PORT');
  if ((f.natsHubs || f.natsWrite || f.natsCreds) && !f.nats) throw new UsageError('io: --nats-hubs, --nats-write and --nats-creds need --nats URL');
  if (f.tokenFile !== undefined && !f.listen) throw new UsageError('io: --token-file needs --listen HOST:PORT');
  if (f.d && (f.pty || f.pipes)) throw new UsageError(`io: -d and ${f.pty ? '--pty' : '--pipes'} cannot be used together (-d starts no session)`);
}

/** commander's own errors become our one-line usage errors, exit 2; --help and --version exit 0. `sub`: the subcommand's name, said first. */
export function usageOutput(cmd: Command, sub?: string): Command {
  return cmd
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .configureOutput({
      writeOut: writeStdoutSync,
      writeErr: (text) => process.stderr.write(text.startsWith('error: ') ? `io: ${usageWords(text.slice(7), sub)}` : text),
    });
}

/**
 * commander's errors in our words, one sentence naming what was wrong:
 * `too many arguments for 'ls'. Expected 0 arguments but got 1.`,
 * `option '--buffer <size>' argument '0' is invalid. MSG`,
 * `command-argument value 'x' is invalid for argument 'hub'. MSG`,
 * `option '--buffer <size>' argument missing`, `unknown option '--bufer'`
 * with its `(Did you mean --buffer?)` line, `missing required argument
 * 'name'`; a subcommand's name first.
 */
export function usageWords(text: string, sub?: string): string {
  const at = sub ? `${sub}: ` : '';
  const count = /^too many arguments(?: for '([^']+)')?\. Expected (\d+) arguments? but got (\d+)\.\n?$/.exec(text);
  if (count) return `${count[1] ? `${count[1]}: ` : at}too many arguments (takes ${count[2] === '0' ? 'none' : `at most ${count[2]}`}, got ${count[3]})\n`;
  const option = /^option '(-[^ ',]+)(?:, (--[^ ']+))?[^']*' argument '.*?' is invalid\. (.*)\n?$/s.exec(text);
  if (option) return `${at}${option[2] ?? option[1]}: ${option[3]!.trim()}\n`;
  const missing = /^option '(-[^ ',]+)(?:, (--[^ ']+))?[^']*' argument missing\n?$/.exec(text);
  if (missing) return `${at}${missing[2] ?? missing[1]}: needs a value\n`;
  // commander's suggestion comes on a line of its own: one line, ours
  const unknown = /^(unknown (?:option|command) '[^']*')\n\(Did you mean ([^?]+)\?\)\n?$/.exec(text);
  if (unknown) return `${at}${unknown[1]} (did you mean ${unknown[2]}?)\n`;
  const argument = /^command-argument value '.*?' is invalid for argument '([^']+)'\. (.*)\n?$/s.exec(text);
  if (argument) return `${at}${argument[1]}: ${argument[2]!.trim()}\n`;
  return `${at}${text}`;
}
