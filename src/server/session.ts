// session.ts — a session process wired to a trihub N: hub N → stdin,
// stdout → hub N+1, stderr → hub N+2.
//
// The process reads its input hub as one more output (starting at the newest
// byte: old keystrokes are not replayed into a new shell). That output holds
// its writers in fast mode too (core/hub.ts): a paste or an `io write` bigger
// than the process takes at once waits for it, as a pipe's writer would,
// rather than lose what it has not read; other readers of the hub are still
// skipped ahead. Its output is fed through Feeders, so paranoid pacing pauses
// the pty or pipes.
// When it exits, its output hubs end once what it wrote is in: readers drain,
// then eof.
//
// Not here: spawning (sys/proc.ts, sys/pty.ts), the window-size policy (conn.ts).

import type { HubTable } from '../core/hubs.js';
import { ModeTracker } from '../core/modes.js';
import type { Endpoint } from './endpoints.js';
import type { Command, SessionProcess } from '../sys/proc.js';
import { spawnPipes } from '../sys/proc.js';
import { spawnPty } from '../sys/pty.js';
import { Feeder } from './feed.js';
import { Pump } from './pump.js';

export const DEFAULT_COLS = 80;
export const DEFAULT_ROWS = 24;
/** How long a redraw nudge keeps the window one column wider (shpool waits 50 ms too). */
export const NUDGE_MS = 50;
export interface SessionSpec {
  trihub: number;
  command: Command;
  usePty: boolean;
  cols?: number;
  rows?: number;
}

export class Session {
  readonly trihub: number;
  readonly proc: SessionProcess;
  readonly cmd: string;
  readonly startedAt = Date.now();
  cols: number;
  rows: number;
  /** Set once the process has exited and its output is in the hubs. */
  exit: { code: number | null; signal: string | null } | null = null;
  /** The terminal modes its output has set (pty sessions only). */
  readonly modes: ModeTracker | null = null;
  private nudgeTimer: NodeJS.Timeout | null = null;
  /** Its endpoints in the server's registry, dropped when it exits. */
  endpoints: Endpoint[] = [];
  private readonly input: Pump;
  /** eof N: the offset in hub N up to which the process gets its input, then end of file. */
  private inputEndAt: number | null = null;
  private readonly inputAt: () => number;
  /** The process's stdin pipe is full: the input pump waits for its 'drain'. */
  private isStdinFull = false;

  constructor(hubs: HubTable, spec: SessionSpec, onExit: (s: Session) => void) {
    this.trihub = spec.trihub;
    this.cols = spec.cols ?? DEFAULT_COLS;
    this.rows = spec.rows ?? DEFAULT_ROWS;
    this.cmd = spec.command.cmd ?? '(shell)';
    const size = { cols: this.cols, rows: this.rows };
    this.proc = spec.usePty ? spawnPty(spec.command, size) : spawnPipes(spec.command);
    const proc = this.proc;

    const inHub = hubs.open(spec.trihub);
    const out = inHub.addOutput(`session ${proc.pid}`, 'out', 'new', { holds: true });
    this.inputAt = () => inHub.positionOf(out) ?? Infinity;
    this.input = new Pump(inHub, out, {
      queuedBytes: () => (this.isStdinFull ? Infinity : 0),
      data: (bytes) => {
        if (!proc.write(bytes)) this.isStdinFull = true;
        this.checkInputEnd();
      },
      gap: () => {}, // none: an output that holds is never skipped ahead
      eof: () => proc.closeStdin(),
    });
    proc.onDrain(() => {
      this.isStdinFull = false;
      this.input.onSinkDrain();
    });

    const outHub = hubs.open(spec.trihub + 1);
    const errHub = hubs.open(spec.trihub + 2);
    outHub.reopen();
    errHub.reopen();
    const outIn = outHub.addInput(`session ${proc.pid}`);
    const errIn = errHub.addInput(`session ${proc.pid}`);
    const outFeed = new Feeder(outHub, proc);
    const errFeed = new Feeder(errHub, proc);
    if (proc.hasPty) {
      // Behind the hub: the tracker is one more output, so it never holds up the pty's readers.
      const modes = new ModeTracker(outHub.bytesIn);
      modes.rows = this.rows;
      this.modes = modes;
      const tracker = new Pump(outHub, outHub.addOutput('modes', 'out', 'new', { hidden: true }), { queuedBytes: () => 0, data: (b) => modes.feed(b), gap: (n) => modes.skip(n), eof: () => {} });
      proc.onExit(() => tracker.close());
    }
    proc.onStdout((b) => outFeed.push(b));
    proc.onStderr((b) => errFeed.push(b));
    proc.onExit((code, signal) => {
      this.exit = { code, signal };
      this.input.close();
      outFeed.end();
      errFeed.end();
      outHub.removeInput(outIn);
      errHub.removeInput(errIn);
      onExit(this);
    });
  }

  get pid(): number {
    return this.proc.pid;
  }

  /**
   * eof N: end of file on the process's stdin once it has been given every
   * byte up to offset `at` of hub N (what was written before the eof, held
   * writers' bytes included), in order, as closing a pipe's writing end does.
   */
  endInputAt(at: number): void {
    this.inputEndAt = at;
    this.checkInputEnd();
  }

  private checkInputEnd(): void {
    if (this.inputEndAt === null || this.inputAt() < this.inputEndAt) return;
    this.inputEndAt = null;
    this.proc.closeStdin();
  }

  get hasPty(): boolean {
    return this.proc.hasPty;
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
    if (this.modes) this.modes.rows = rows;
    this.proc.resize(cols, rows);
  }

  /**
   * Make a full-screen program redraw for a client that just attached. The
   * kernel sends no SIGWINCH for an unchanged size, so the size changes by one
   * column and back.
   */
  nudge(): void {
    if (!this.proc.hasPty || this.exit || this.nudgeTimer) return;
    this.proc.resize(this.cols + 1, this.rows);
    this.nudgeTimer = setTimeout(() => {
      this.nudgeTimer = null;
      if (!this.exit) this.proc.resize(this.cols, this.rows);
    }, NUDGE_MS);
  }
}
