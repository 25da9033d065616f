// pty.ts — the only file that imports node-pty: a SessionProcess on a pty.
//
// node-pty's onData hands strings unless encoding is null; with null it hands
// Buffers (its typings say string: the cast below is that quirk). stdout and
// stderr share the pty, so onStderr never fires. pause()/resume() stop and
// start reading the master, so the kernel holds the program (paranoid).
//
// Not here: hubs, sizes policy (server/session.ts).

import { constants } from 'node:os';
import * as pty from 'node-pty';
import { IoError } from '../core/errors.js';
import { defaultShell, foregroundGroup, signalGroup, type Command, type SessionProcess } from './proc.js';

export function spawnPty(command: Command, size: { cols: number; rows: number }): SessionProcess {
  const file = command.cmd === null ? defaultShell(command.env) : '/bin/sh';
  const args = command.cmd === null ? [] : ['-c', command.cmd];
  let term: pty.IPty;
  try {
    term = pty.spawn(file, args, {
      name: command.env['TERM'] || 'xterm-256color',
      cols: size.cols,
      rows: size.rows,
      cwd: command.cwd ?? process.cwd(),
      env: command.env as Record<string, string>,
      encoding: null,
    });
  } catch (err) {
    throw new IoError('IO_ERR_SPAWN', `io: ${file}: cannot start on a pty: ${(err as Error).message}`);
  }
  const pid = term.pid;
  let exited = false;
  let cols = size.cols;
  let rows = size.rows;
  return {
    pid,
    hasPty: true,
    onStdout: (fn) => {
      term.onData((data) => fn(data as unknown as Buffer));
    },
    onStderr: () => {},
    onExit: (fn) => {
      term.onExit(({ exitCode, signal }) => {
        exited = true;
        // node-pty gives the signal as a number; name it as child_process does
        const name = signal ? Object.entries(constants.signals).find(([, n]) => n === signal)?.[0] ?? String(signal) : null;
        fn(exitCode, name);
      });
    },
    write: (bytes) => {
      if (!exited) term.write(bytes);
      return true;
    },
    onDrain: () => {},
    closeStdin: () => {
      if (!exited) term.write('\x04');
    },
    pause: () => term.pause(),
    resume: () => term.resume(),
    resize: (c, r) => {
      if (exited || (c === cols && r === rows)) return;
      cols = c;
      rows = r;
      term.resize(c, r);
    },
    signal: (sig) => {
      if (!exited) signalGroup(foregroundGroup(pid), sig);
    },
  };
}
