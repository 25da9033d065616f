// serve.ts — run a server in this process: iosrv, `io -i`, and io's background start.
//
// Signals: TERM and INT are quit; HUP is ignored (the server outlives its
// terminal). With a console (-i), lines typed here go to the ctl and replies
// print here; the log goes to stderr unless -l names a file; end of input quits.
// On a terminal a log line takes the prompt's place and the prompt (with what
// was typed so far) is drawn again below it.
// With readyFd (io starting us in the background), one line on that fd says
// `ready` or the error, so the starter can report it and return.

import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { Log, fileSink, streamSink } from '../server/log.js';
import { startServer } from '../server/server.js';
import { resolveIoDir } from '../sys/iodir.js';
import { checkServerFlags, natsWithSecrets, type ServerFlags } from './options.js';
import { readyLine } from './daemon.js';

export interface ServeMode {
  console: boolean;
  noListen: boolean;
  readyFd?: number;
}

export async function serve(name: string, flags: ServerFlags, mode: ServeMode): Promise<void> {
  checkServerFlags(flags);
  // Started by io, stdout and stderr are the log file: a full disk there must not end the server.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const ioDir = resolveIoDir();
  const logFile = flags.l === true ? join(ioDir, `${name}.log`) : typeof flags.l === 'string' ? flags.l : null;
  // the console's prompt, while one is on the screen
  let shown: { prompt(preserveCursor?: boolean): void } | null = null;
  const stderr = streamSink(process.stderr);
  // once quitting, the log's last lines stand alone: no prompt is drawn under them
  let isQuitting = (): boolean => false;
  const consoleSink = {
    write: (line: string): void => {
      if (shown) process.stdout.write('\r\x1b[K');
      stderr.write(line);
      if (isQuitting()) shown = null;
      shown?.prompt(true);
    },
  };
  const sink = logFile ? fileSink(logFile) : mode.console ? consoleSink : mode.readyFd === undefined ? stderr : null;
  const log = new Log(sink, flags.v ?? false);
  const ready = readyLine(mode.readyFd);
  const secrets = natsWithSecrets(flags.nats, process.env);
  let server;
  try {
    server = await startServer({
      name,
      ioDir,
      cmd: flags.c ?? null,
      noSession: flags.d ?? false,
      noListen: mode.noListen,
      usePty: flags.pty ? true : flags.pipes ? false : undefined,
      pacing: flags.p ? 'paranoid' : 'fast',
      paceMs: flags.t ?? 0,
      bufferBytes: flags.buffer,
      maxHubs: flags.hubs,
      maxFrameBytes: flags.maxFrame,
      share: flags.share ?? false,
      listen: flags.listen ? { ...flags.listen, ...(flags.tlsCert ? { tlsCert: flags.tlsCert } : {}), ...(flags.tlsKey ? { tlsKey: flags.tlsKey } : {}) } : null,
      tokenFile: flags.tokenFile ?? null,
      maxClients: flags.maxClients,
      stallTimeoutMs: flags.stallTimeout * 1000,
      nats: secrets.nats ? { servers: secrets.nats, hubs: flags.natsHubs ?? [1, 2], write: flags.natsWrite ?? false, creds: flags.natsCreds ?? null, replicas: flags.natsReplicas } : null,
      env: secrets.env,
      log,
    });
  } catch (err) {
    ready((err as Error).message);
    throw err;
  }
  const started = server;
  isQuitting = () => started.isQuitting;
  const { wsUrl } = server.doors;
  ready(wsUrl ? `ready ${wsUrl}` : 'ready');
  if (mode.readyFd !== undefined) closeSync(mode.readyFd);
  process.on('SIGHUP', () => {});
  process.on('SIGTERM', () => void server.quit('SIGTERM'));
  process.on('SIGINT', () => void server.quit('SIGINT'));
  if (mode.console) {
    // readline only for the console: a server in the background never loads it.
    const { createInterface } = require('node:readline') as typeof import('node:readline');
    // a prompt (and redrawing it under log lines) only for a person at a terminal, not into a file
    const isTTY = process.stdin.isTTY === true && process.stdout.isTTY === true;
    const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'io: ', terminal: isTTY });
    const prompt = (): void => {
      if (!isTTY) return;
      rl.prompt();
      shown = rl;
    };
    rl.on('line', (line) => {
      shown = null;
      if (line.trim() !== '') process.stdout.write(`${server.ctl(line, false, 'console')}\n`);
      // After quit (which the ctl starts on the next turn, once it has replied)
      // the log's last lines follow, not a prompt nobody can answer.
      setImmediate(() => {
        if (!server.isQuitting) prompt();
      });
    });
    // Ctrl-C abandons the line typed so far, as at a shell's prompt (readline would close the console,
    // and the server with it); end of input (Ctrl-D) or quit quits
    rl.on('SIGINT', () => {
      process.stdout.write('^C\n');
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      prompt();
    });
    rl.on('close', () => {
      shown = null;
      void server.quit('console closed');
    });
    prompt();
    void server.done.then(() => rl.close());
  }
  await server.done;
  process.exit(0);
}
