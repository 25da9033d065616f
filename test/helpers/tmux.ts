// tmux.ts — a private tmux server as the user's terminals: one window per
// "terminal", keys in with send-keys, the screen out with capture-pane.
//
// Each Tmux has its own socket (-L io-test-<pid>-<n>, -f /dev/null: no user
// config), a status line switched off (so a 100x30 window is a 100x30 pane),
// and shells started as `env IO_DIR=… bash --norc --noprofile` with PS1='$ '.
// kill() (deferred on the scope) ends the tmux server and so every pane, and
// removes its socket file.
// Waiting is bounded (until.ts), never a bare sleep.

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath } from './bin.js';
import type { Scope } from './scope.js';
import { waitFor } from './until.js';

/** The prompt of every session shell (SHELL=iosh): tells a session from the terminal's own bash ('$ '). */
export const SESSION_PROMPT = '% ';

/**
 * A user's world for ioDir: `io`, `iosrv`, `ioshell` on PATH (wrappers that
 * exec the built programs), SHELL a /bin/sh whose prompt is '% ', PS1 '$ '
 * for everything else. The bin dir is removed on cleanup.
 */
export function userEnv(scope: Scope, ioDir: string): Record<string, string> {
  const bin = mkdtempSync(join(tmpdir(), 'iob-'));
  scope.defer(() => rmSync(bin, { recursive: true, force: true }));
  for (const p of ['io', 'iosrv', 'ioshell'] as const) {
    writeFileSync(join(bin, p), `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(binPath(p))} "$@"\n`);
    chmodSync(join(bin, p), 0o755);
  }
  writeFileSync(join(bin, 'iosh'), `#!/bin/sh\nPS1='${SESSION_PROMPT}' exec /bin/sh "$@"\n`);
  chmodSync(join(bin, 'iosh'), 0o755);
  return { IO_DIR: ioDir, PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, SHELL: join(bin, 'iosh'), PS1: '$ ' };
}

let counter = 0;

export interface TmuxOptions {
  cols?: number;
  rows?: number;
  /** The environment of every shell in it (userEnv()). */
  env: Record<string, string>;
}

export class Tmux {
  readonly socket: string;
  private readonly shell: string;
  private windows = 0;
  private isKilled = false;
  /** The server's socket file: tmux leaves it behind on kill-server. */
  private path: string | null = null;

  private constructor(socket: string, shell: string) {
    this.socket = socket;
    this.shell = shell;
  }

  /** A tmux server with one window, `t0`, running bash with env. */
  static start(scope: Scope, opts: TmuxOptions): Tmux {
    const assigns = Object.entries(opts.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
    const shell = `env ${assigns.join(' ')} bash --norc --noprofile`;
    const t = new Tmux(`io-test-${process.pid}-${counter++}`, shell);
    scope.defer(() => t.kill());
    t.tmux('new-session', '-d', '-s', 'io', '-n', 't0', '-x', String(opts.cols ?? 100), '-y', String(opts.rows ?? 30), shell);
    t.path = t.tmux('display', '-p', '#{socket_path}').trim();
    t.tmux('set', '-g', 'status', 'off');
    t.tmux('set', '-g', 'history-limit', '5000');
    return t;
  }

  /** Run a tmux command on this server; its stdout. */
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A new window (a new terminal) with a fresh bash; its target name. */
  newWindow(opts: { cols?: number; rows?: number } = {}): string {
    const name = `t${++this.windows}`;
    this.tmux('new-window', '-d', '-t', 'io', '-n', name, this.shell);
    if (opts.cols !== undefined && opts.rows !== undefined) this.resize(name, opts.cols, opts.rows);
    return name;
  }

  /** Type text literally, then Enter. */
  type(target: string, text: string): void {
    this.tmux('send-keys', '-t', `io:${target}`, '-l', text);
    this.tmux('send-keys', '-t', `io:${target}`, 'Enter');
  }

  /** Type text literally, no Enter. */
  typeRaw(target: string, text: string): void {
    this.tmux('send-keys', '-t', `io:${target}`, '-l', text);
  }

  /** Send keys by tmux name (Enter, Escape, C-c …). */
  keys(target: string, ...keys: string[]): void {
    this.tmux('send-keys', '-t', `io:${target}`, ...keys);
  }

  /** Send raw bytes, e.g. 0x1d for Ctrl-], 0x1c for Ctrl-\. */
  bytes(target: string, ...bytes: number[]): void {
    this.tmux('send-keys', '-t', `io:${target}`, '-H', ...bytes.map((b) => b.toString(16).padStart(2, '0')));
  }

  /** Ctrl-] then one io: command and Enter. */
  prompt(target: string, command: string): void {
    this.bytes(target, 0x1d);
    this.typeRaw(target, command);
    this.keys(target, 'Enter');
  }

  /** Ctrl-\: detach at once. */
  detach(target: string): void {
    this.bytes(target, 0x1c);
  }

  /** What the pane shows now (the visible screen; trailing blanks and blank rows trimmed). */
  screen(target: string): string {
    return trimLines(this.tmux('capture-pane', '-p', '-t', `io:${target}`));
  }

  /** The pane's scrollback and visible screen, wrapped lines joined. */
  history(target: string): string {
    return trimLines(this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', `io:${target}`));
  }

  /** A tmux format about the pane, e.g. '#{alternate_on}'. */
  display(target: string, format: string): string {
    return this.tmux('display', '-p', '-t', `io:${target}`, format).trim();
  }

  isAlternate(target: string): boolean {
    return this.display(target, '#{alternate_on}') === '1';
  }

  /** The window's size as the programs in it see it. */
  resize(target: string, cols: number, rows: number): void {
    this.tmux('resize-window', '-t', `io:${target}`, '-x', String(cols), '-y', String(rows));
  }

  /** Wait until the screen (or with history: the scrollback too) matches. */
  async waitScreen(target: string, pattern: RegExp | string, opts: { timeoutMs?: number; history?: boolean } = {}): Promise<string> {
    const test = (s: string): boolean => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
    let last = '';
    try {
      return await waitFor(() => {
        last = opts.history ? this.history(target) : this.screen(target);
        return test(last) ? last : null;
      }, { timeoutMs: opts.timeoutMs ?? 8000, what: `${String(pattern)} on ${target}` });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- ${target} shows ---\n${last}\n---`);
    }
  }

  /** The pane's terminal settings, as `stty -a` prints them. */
  ttyModes(target: string): string {
    const tty = this.display(target, '#{pane_tty}');
    return execFileSync('stty', ['-a', '-F', tty], { encoding: 'utf8' });
  }

  /**
   * Wait until an io client holds the pane in raw mode: node in the
   * foreground and -isig (bash's readline clears icanon and echo too, but
   * never isig).
   */
  async waitRaw(target: string, timeoutMs = 8000): Promise<void> {
    await waitFor(() => this.display(target, '#{pane_current_command}') === 'node' && / -isig /.test(` ${this.ttyModes(target).replace(/\s+/g, ' ')} `), {
      timeoutMs,
      what: `an io client in raw mode on ${target}`,
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n--- ${target} (${this.display(target, '#{pane_current_command}')}) shows ---\n${this.screen(target)}\n---`);
    });
  }

  /** Ctrl-] COMMAND Enter; the first line printed after the echoed `io: COMMAND`. */
  async ask(target: string, command: string, timeoutMs = 8000): Promise<string> {
    const echo = `io: ${command}`;
    const count = (lines: string[]): number => lines.filter((l) => l.trimEnd() === echo).length;
    const before = count(this.history(target).split('\n'));
    this.prompt(target, command);
    let lines: string[] = [];
    try {
      return await waitFor(() => {
        lines = this.history(target).split('\n');
        if (count(lines) <= before) return null;
        const i = lines.findLastIndex((l) => l.trimEnd() === echo);
        const reply = lines[i + 1]?.trimEnd();
        return reply ? reply : null;
      }, { timeoutMs, what: `a reply to '${command}' on ${target}` });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- ${target} shows ---\n${lines.slice(-15).join('\n')}\n---`);
    }
  }

  /** Wait until the pane's foreground command is name (bash: back at the prompt). */
  async waitCommand(target: string, name: string, timeoutMs = 8000): Promise<void> {
    await waitFor(() => this.display(target, '#{pane_current_command}') === name, { timeoutMs, what: `${name} in the foreground of ${target}` });
  }

  /** Run a command line in a window and wait for its marker line: a shell command's output, as a user sees it. */
  async run(target: string, command: string, timeoutMs = 8000): Promise<string> {
    const marker = `__done_${Math.random().toString(36).slice(2, 8)}`;
    this.type(target, `${command}; echo ${marker}`);
    const screen = await this.waitScreen(target, new RegExp(`^${marker}$`, 'm'), { timeoutMs, history: true });
    const lines = screen.split('\n');
    const end = lines.findIndex((l) => l === marker);
    const start = lines.findLastIndex((l, i) => i < end && l.includes(`; echo ${marker}`));
    return lines.slice(start + 1, end).join('\n');
  }

  kill(): void {
    if (this.isKilled) return;
    this.isKilled = true;
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    if (this.path) rmSync(this.path, { force: true });
  }
}

function trimLines(text: string): string {
  return text.split('\n').map((l) => l.trimEnd()).join('\n').replace(/\s+$/, '');
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
