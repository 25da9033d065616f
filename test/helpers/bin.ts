// bin.ts — the built programs, run as a user runs them.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Scope } from './scope.js';

export type Program = 'io' | 'iosrv' | 'ioshell';

export function binPath(program: Program): string {
  return fileURLToPath(new URL(`../../dist/cli/${program}.js`, import.meta.url));
}

/** Start a program; it is killed on cleanup if still running. */
export function spawnIo(scope: Scope, program: Program, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [binPath(program), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  scope.defer(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** Run a program to its end; its output and status. */
export function runIo(program: Program, args: string[], env: NodeJS.ProcessEnv, input?: string | Buffer, timeoutMs = 15_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath(program), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${program} ${args.join(' ')}: no exit in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
