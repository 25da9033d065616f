// term.ts — one of our programs on a real pty (node-pty), as a terminal runs it.
//
// The test types with write() and reads everything the program printed, as
// raw bytes and as text with escape sequences stripped (enough to assert
// what was printed, not where on the screen: tmux.ts does screens). The pty
// is killed on cleanup; waiting is bounded (until.ts).

import * as pty from 'node-pty';
import { binPath, type Program } from './bin.js';
import type { Scope } from './scope.js';
import { waitFor } from './until.js';

/** Escape sequences out, so text assertions see what a person reads. */
export function plain(bytes: string): string {
  return bytes
    .replace(/\x1b\[[0-9;?<>=]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b[()][0-9A-Za-z]/g, '')
    .replace(/\x1b[=>78cDEHM]/g, '')
    .replace(/\r/g, '');
}

export class Term {
  readonly proc: pty.IPty;
  private raw = '';
  private exit: { code: number; signal: number | undefined } | null = null;

  constructor(scope: Scope, program: Program, args: string[], env: NodeJS.ProcessEnv, size = { cols: 100, rows: 30 }) {
    this.proc = pty.spawn(process.execPath, [binPath(program), ...args], {
      name: 'xterm-256color',
      cols: size.cols,
      rows: size.rows,
      cwd: process.cwd(),
      env: env as Record<string, string>,
      encoding: null,
    });
    // node-pty's typings say string; with encoding: null it is a Buffer.
    this.proc.onData((d) => (this.raw += (d as unknown as Buffer).toString('latin1')));
    this.proc.onExit(({ exitCode, signal }) => (this.exit = { code: exitCode, signal }));
    scope.defer(() => {
      if (!this.exit) this.proc.kill('SIGKILL');
    });
  }

  /** Everything printed so far, escape sequences included. */
  get output(): string {
    return this.raw;
  }

  /** Everything printed so far, as text. */
  get text(): string {
    return plain(this.raw);
  }

  write(data: string): void {
    this.proc.write(data);
  }

  /** Wait until the text printed after `from` (an earlier text.length) matches. */
  async waitText(pattern: RegExp | string, opts: { from?: number; timeoutMs?: number } = {}): Promise<string> {
    const test = (s: string): boolean => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
    try {
      return await waitFor(() => {
        const s = this.text.slice(opts.from ?? 0);
        return test(s) ? s : null;
      }, { timeoutMs: opts.timeoutMs ?? 8000, what: String(pattern) });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- the terminal printed ---\n${this.text.slice(opts.from ?? 0)}\n---`);
    }
  }

  /** Wait for the program to end; its exit code. */
  async exited(timeoutMs = 8000): Promise<number> {
    const e = await waitFor(() => this.exit, { timeoutMs, what: 'the program to exit' });
    return e.code;
  }
}
