#!/usr/bin/env node
// iosrv.ts — the server program: iosrv [flags] NAME.
//
// Usually started by io; run it by hand to keep a server in the foreground
// (with -i, a control console on this terminal).

import { Command } from 'commander';
import { VERSION, runMain } from './main.js';
import { addServerFlags, nameAfterLogFlag, paceArg, usageOutput, type ServerFlags } from './options.js';
import { UsageError } from '../core/errors.js';
import { serve } from './serve.js';

const program = usageOutput(new Command('iosrv'))
  .description('the io server: owns hubs and sessions, listens on $IO_DIR/NAME')
  .version(VERSION, '-V, --version')
  .argument('[name]', 'session name: the socket $IO_DIR/NAME')
  .option('-s', 'do not listen on the socket (only the -i console)')
  .option('-i', 'control console on this terminal: typed lines go to the ctl, the log to stderr')
  .option('-t <ms>', 'default pace of every hub, in ms', paceArg)
  .option('--ready-fd <fd>', 'write "ready" or the error to this fd once listening (used by io)', Number);
addServerFlags(program);
program.addHelpText('after', `
Examples:
  iosrv demo                 a shell on a pty, in the foreground
  iosrv -c 'tail -f log' w   watchers of a log: io read w 1
  iosrv -i -v -d rc.3        no session, a console for ctl commands (fear, h1v, quit)`);

runMain(async () => {
  program.parse();
  const flags = program.opts<ServerFlags & { i?: boolean; readyFd?: number }>();
  const name = nameAfterLogFlag(program.args[0], flags);
  if (name === undefined) throw new UsageError('io: iosrv: a session name is needed (iosrv [flags] NAME)');
  if (flags.s && !flags.i) throw new UsageError('io: iosrv: -s without -i: nothing could reach the server (no socket, no console)');
  await serve(name, flags, { console: flags.i ?? false, noListen: flags.s ?? false, ...(flags.readyFd === undefined ? {} : { readyFd: flags.readyFd }) });
});
