#!/usr/bin/env node
// ioshell.ts — attach this terminal (or any stdin/stdout) to a session.
//
// ioshell NAME            trihub 0: stdin → hub 0, hub 1 → stdout, hub 2 → stderr
// ioshell NAME IN OUT ERR three hubs of your choosing (hNsM … wiring)

import { Command } from 'commander';
import { attach } from '../client/connect.js';
import { UsageError } from '../core/errors.js';
import { Shell } from '../shell/shell.js';
import { runShell } from './attach.js';
import { startHost } from './daemon.js';
import { VERSION, runMain } from './main.js';
import { usageOutput } from './options.js';

const program = usageOutput(new Command('ioshell'))
  .description('a terminal on a trihub: copies stdin to the input hub and the output hubs to stdout/stderr')
  .version(VERSION, '-V, --version')
  .argument('<name>', 'session name, or a socket path')
  .argument('[hubs...]', 'input, output and error hub (default 0 1 2)');
program.addHelpText('after', `
Client commands (a line by itself; after Ctrl-] on a pty session):
  attach N   remote N   local N   detach   clear   hist   hub CMD   intr   status   list
Keys on a pty session: Ctrl-\\ detaches at once, Ctrl-] opens the io: prompt.

Examples:
  ioshell demo               attach to trihub 0 of demo
  ioshell rc.3 3 4 5         attach to hubs 3, 4, 5 wired by hand (hub h3s3 …)`);

runMain(async () => {
  program.parse();
  const [name, ...rest] = program.args as [string, ...string[]];
  if (rest.length !== 0 && rest.length !== 3) throw new UsageError('io: ioshell: give all three hubs (in out err) or none');
  const nums = rest.map((h) => {
    if (!/^\d{1,5}$/.test(h)) throw new UsageError(`io: ioshell: '${h}' is not a hub number`);
    return Number(h);
  });
  const client = await attach(name);
  client.checkHubs(...nums);
  const [inHub, outHub, errHub] = nums;
  const hubs = inHub === undefined ? undefined : { in: inHub, out: outHub!, err: errHub! };
  const shell = new Shell(client, { input: process.stdin, output: process.stdout, errors: process.stderr }, {
    trihub: hubs ? hubs.in : 0,
    ...(hubs ? { hubs } : {}),
    startHost: (n) => startHost(name, n),
    ...(process.env['IO_SESSION'] ? { inside: process.env['IO_SESSION'] } : {}),
  });
  return runShell(shell, name);
});
