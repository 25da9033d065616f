// iodir.ts — a private IO_DIR per test, and the processes started in it.
//
// tmpIoDir() makes a 0700 temp dir (short, under /tmp: socket paths are
// limited to 107 bytes) and on cleanup kills every process whose environment
// names it, then removes it. That is the leak check: a test that leaves a
// server or a session behind does not leave it running.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scope } from './scope.js';

/** Pids of live processes with IO_DIR=dir in their environment. */
export function processesIn(dir: string): number[] {
  const needle = `IO_DIR=${dir}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (`${readFileSync(`/proc/${entry}/environ`, 'latin1')}\0`.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

export function tmpIoDir(scope: Scope): string {
  const dir = mkdtempSync(join(tmpdir(), 'iot-'));
  scope.defer(async () => {
    for (const pid of processesIn(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** An environment for child processes that live in this IO_DIR. */
export function envIn(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, IO_DIR: dir, ...extra };
}
