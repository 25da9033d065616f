// attach.ts — io's terminal on a live session: the client words (zap, slow,
// fast, here) and the shell; and the short way there.
//
// `io NAME [words]` with NAME's server live is most uses of io, and its time
// is mostly Node starting: that case loads only what an attach needs (no flag
// parser, no other subcommand) and dials the server once. Anything else — a
// flag, a subcommand, a name with no live server — is commands.ts's.

import type { Client } from '../client/client.js';
import type { Shell } from '../shell/shell.js';
import { greet } from '../client/connect.js';
import { IoError, UsageError } from '../core/errors.js';
import { SLOW_PACE_MS, START_WORDS, type StartWord } from '../core/words.js';
import { checkName, ensureIoDir, isName, resolveIoDir, socketPath } from '../sys/iodir.js';
import { dialSocket } from '../sys/socket.js';

/** `io NAME [words]`: no flag, no subcommand, a plain session name (no URL). */
export function isPlainAttach(args: string[]): boolean {
  const [name] = args;
  return name !== undefined && isName(name) && args.every((a) => !a.startsWith('-'));
}

/** The client words of `io NAME [words]`, refused as a usage error when unknown or at odds. */
export function checkWords(words: string[]): StartWord[] {
  for (const w of words) {
    if (!(START_WORDS as readonly string[]).includes(w)) throw new UsageError(`io: unknown word '${w}' (try: ${START_WORDS.join(' ')})`);
  }
  if (words.includes('slow') && words.includes('fast')) throw new UsageError('io: slow and fast cannot be used together');
  return words as StartWord[];
}

/** IO_DIR (made, and checked safe) and NAME's socket in it. */
export function sessionPath(name: string, share: boolean): { ioDir: string; path: string } {
  checkName(name);
  const ioDir = resolveIoDir();
  ensureIoDir(ioDir, { share });
  return { ioDir, path: socketPath(ioDir, name) };
}

/** `io NAME [words]` with NAME's server live: attach, and exit when the shell ends. false: no live server here. */
export async function attachLive(name: string, args: string[]): Promise<boolean> {
  const words = checkWords(args);
  const { path } = sessionPath(name, false);
  const dial = await dialSocket(path, name);
  if (dial.state !== 'live') return false;
  await attachShell(greet(dial.socket, name), name, words);
  return true;
}

/** Host processes inherit the token through the environment, never the command line. */
function hostStarter(name: string, token: string | undefined): (n: number) => Promise<void> {
  return async (n) => (require('./daemon.js') as typeof import('./daemon.js')).startHost(name, n, token);
}

/** The shell on trihub 0 (or, with `here`, on a new host trihub) of a client being greeted; exits with the shell. */
export async function attachShell(greeted: Promise<Client>, name: string, words: StartWord[], token?: string): Promise<never> {
  // required while the server answers the greeting
  const { Shell } = require('../shell/shell.js') as typeof import('../shell/shell.js');
  const client = await greeted;
  let trihub = 0;
  if (words.includes('here')) {
    trihub = await freeTrihub(client);
    await hostStarter(name, token)(trihub);
  }
  for (const w of words) {
    const hubs = [trihub, trihub + 1, trihub + 2];
    const cmds = w === 'zap' ? hubs.map((h) => `h${h}c`) : w === 'slow' || w === 'fast' ? hubs.map((h) => `h${h}t${w === 'slow' ? SLOW_PACE_MS : 0}`) : [];
    for (const c of cmds) {
      const reply = await client.ctl(c);
      if (reply === 'ok' || reply.includes('not started')) continue;
      // refused (a watch or write token): said once for the word, and the attach goes on without it
      process.stderr.write(`${reply.replace(/^io: ctl: /, `io: ${w}: `)}\n`);
      break;
    }
  }
  const shell = new Shell(client, { input: process.stdin, output: process.stdout, errors: process.stderr }, {
    trihub,
    startHost: hostStarter(name, token),
    ...(process.env['IO_SESSION'] ? { inside: process.env['IO_SESSION'] } : {}),
  });
  return runShell(shell, name);
}

/** A shell on this process's terminal, to its end: signals detach it; exits with its status. */
export async function runShell(shell: Shell, name: string): Promise<never> {
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) process.on(sig, () => shell.finish(`io: ${name}: ${sig}; detached`, 1));
  // Ctrl-C, or Ctrl-\ as in raw mode, on a cooked terminal: this client leaves, the session goes on
  // (raw mode passes Ctrl-C through, and takes Ctrl-\ itself).
  for (const sig of ['SIGINT', 'SIGQUIT'] as const) process.on(sig, () => shell.finish(`io: detached from ${name}`, 0));
  const end = await shell.start();
  if (end.message) process.stderr.write(`${end.isAfterSession ? '\n' : ''}${end.message}\n`);
  process.exit(end.status);
}

/** The lowest trihub with nothing on it. */
async function freeTrihub(client: Client): Promise<number> {
  const reply = await client.ctl('status', { json: true });
  if (reply.startsWith('io:')) throw new IoError('IO_ERR_AUTH', reply.replace(/^io: ctl: /, 'io: here: '));
  const s = JSON.parse(reply) as { sessions: { trihub: number }[]; hosts: { trihub: number }[] };
  const used = new Set([...s.sessions, ...s.hosts].map((x) => x.trihub));
  let n = 0;
  while (used.has(n)) n += 3;
  if (n + 2 >= client.hello.maxHubs) throw new IoError('IO_ERR_HUB', `io: ${client.name}: no free trihub (all ${client.hello.maxHubs} hubs in use)`);
  return n;
}
