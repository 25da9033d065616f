// proc.ts — a session process: the seam between the server and an OS process.
//
// SessionProcess is what the server sees of a process, with a pty or on
// pipes. spawnPipes() runs `/bin/sh -c CMD` in its own process group with
// three pipes: pausing stdout/stderr stops reading them, so the kernel holds
// the writer (paranoid pacing). pty.ts gives the same interface over node-pty.
//
// Not here: hubs (server/session.ts wires them).

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { IoError } from '../core/errors.js';

export interface SessionProcess {
  readonly pid: number;
  readonly hasPty: boolean;
  onStdout(fn: (bytes: Buffer) => void): void;
  onStderr(fn: (bytes: Buffer) => void): void;
  /** Fires once, after the last output byte has been delivered. */
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  /** false: wait for onDrain before writing more. */
  write(bytes: Buffer): boolean;
  onDrain(fn: () => void): void;
  closeStdin(): void;
  pause(): void;
  resume(): void;
  resize(cols: number, rows: number): void;
  /** Signal the process group in the foreground (the job, for a shell). */
  signal(sig: NodeJS.Signals): void;
}

export interface Command {
  /** A shell command line, run as /bin/sh -c; null for the login shell. */
  cmd: string | null;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/** The user's shell: $SHELL, else /bin/sh. */
export function defaultShell(env: NodeJS.ProcessEnv): string {
  return env['SHELL'] || '/bin/sh';
}

/** The process group a signal should reach: the terminal's foreground group, else the process's own. */
export function foregroundGroup(pid: number): number {
  try {
    // /proc/PID/stat: "pid (comm) state ppid pgrp session tty_nr tpgid ..."; comm may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tpgid = Number(fields[5]);
    if (tpgid > 0) return tpgid;
  } catch {
    // not Linux, or the process is gone: fall back to its own group
  }
  return pid;
}

export function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

export function spawnPipes(command: Command): SessionProcess {
  const argv = command.cmd === null ? ['-i'] : ['-c', '--', command.cmd];
  const file = command.cmd === null ? defaultShell(command.env) : '/bin/sh';
  const child = spawn(file, argv, { env: command.env, cwd: command.cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new IoError('IO_ERR_SPAWN', `io: ${file}: cannot start`);
  const pid = child.pid;
  let exited = false;
  child.stdin.on('error', () => {}); // EPIPE when the process does not read: its business
  return {
    pid,
    hasPty: false,
    onStdout: (fn) => child.stdout.on('data', fn),
    onStderr: (fn) => child.stderr.on('data', fn),
    onExit: (fn) =>
      child.on('close', (code, signal) => {
        exited = true;
        fn(code, signal);
      }),
    write: (bytes) => (child.stdin.writable ? child.stdin.write(bytes) : true),
    // A stdin that broke (EPIPE: the process closed it) drains nothing more: its writer goes on, into nothing.
    onDrain: (fn) => {
      child.stdin.on('drain', fn);
      child.stdin.once('close', fn);
    },
    closeStdin: () => child.stdin.end(),
    pause: () => {
      child.stdout.pause();
      child.stderr.pause();
    },
    resume: () => {
      child.stdout.resume();
      child.stderr.resume();
    },
    resize: () => {},
    signal: (sig) => {
      if (!exited) signalGroup(pid, sig);
    },
  };
}

/**
 * Output processing off on the terminal at fd (stty -opost), after raw mode.
 * libuv's raw mode leaves OPOST on and forces ONLCR, so the kernel turns each
 * \n of a pty session's output (already \r\n) into \r\r\n and writes each
 * line to the pty in pieces. dtach and tmux switch OPOST off. setRawMode(false)
 * restores the termios saved before raw mode, OPOST included; synchronous, so
 * it cannot land after that.
 */
export function rawOutput(fd: number): void {
  spawnSync('stty', ['-opost'], { stdio: [fd, 'ignore', 'ignore'] });
}
