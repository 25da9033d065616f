// terminal.ts — the user's terminal: raw or cooked, its size, and restoring it.
//
// Whatever way ioshell leaves (detach, the server quitting, a signal, an
// error), the terminal goes back to how it was: cooked, cursor shown, the
// alternate screen and the modes a full-screen program set switched off.
// restore() is idempotent and also runs on process 'exit'.

import { ModeTracker, WHOLE_SCREEN_REGION } from '../core/modes.js';
import { rawOutput } from '../sys/proc.js';

export type TtyIn = NodeJS.ReadableStream & { isTTY?: boolean | undefined; setRawMode?: ((on: boolean) => unknown) | undefined };
export type TtyOut = NodeJS.WritableStream & { isTTY?: boolean | undefined; columns?: number | undefined; rows?: number | undefined };

/**
 * What a full-screen program may have switched on, switched off again. The
 * alternate screen only when the session's output left it on: leaving it
 * also restores the cursor saved on entry, which on the normal screen would
 * move the cursor back over what is there.
 */
const LEAVE_ALT_SCREEN = '\x1b[?1049l';
const RESET_MODES = [
  '\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l', // mouse reporting
  '\x1b[?2004l', // bracketed paste
  '\x1b[?1l\x1b>', // application cursor keys, keypad
  '\x1b[?25h', // cursor shown
  '\x1b[4l', // insert mode (IRM) off: replace
  '\x1b[0m', // attributes
].join('');

export class Terminal {
  readonly input: TtyIn;
  readonly output: TtyOut;
  private isRaw = false;
  private hasScreenModes = false;
  /** The modes the session's output has switched on this terminal (only the alternate screen is asked). */
  private modes = new ModeTracker();
  private readonly onExit = (): void => this.restore();

  constructor(input: TtyIn, output: TtyOut) {
    this.input = input;
    this.output = output;
    process.on('exit', this.onExit);
  }

  get isTTY(): boolean {
    return this.input.isTTY === true && typeof this.input.setRawMode === 'function';
  }

  /** Raw: every key goes through, nothing is echoed or interpreted here. */
  setRaw(on: boolean): void {
    if (!this.isTTY || this.isRaw === on) return;
    this.input.setRawMode!(on);
    // A pty session's bytes are a terminal's already: pass them through, as dtach does.
    const fd = (this.input as { fd?: unknown }).fd;
    if (on && typeof fd === 'number') rawOutput(fd);
    this.isRaw = on;
    if (on) this.hasScreenModes = true;
  }

  size(): { cols: number; rows: number } | null {
    const { columns, rows } = this.output;
    return this.output.isTTY && columns && rows ? { cols: columns, rows } : null;
  }

  onResize(fn: () => void): () => void {
    if (!this.output.isTTY) return () => {};
    this.output.on('resize', fn);
    return () => this.output.off('resize', fn);
  }

  /** The program hid the cursor (top, vim at times): the io: prompt shows it while it is open. */
  get isCursorHidden(): boolean {
    return !this.modes.isOn(25);
  }

  /**
   * A full-screen program has the screen: the alternate screen is on (vim,
   * less, watch), or, as top does without it, the cursor is hidden. A shell
   * at its prompt is neither (application cursor keys are no sign: zsh's
   * line editor turns them on).
   */
  get isFullScreen(): boolean {
    return this.modes.isAltScreen || this.isCursorHidden;
  }

  /** Bytes of the session written to this terminal (a gap: some were lost on the way). */
  saw(pieces: readonly Buffer[]): void {
    if (this.output.isTTY) for (const p of pieces) this.modes.feed(p);
  }

  lost(bytes: number): void {
    this.modes.skip(bytes);
  }

  /**
   * Another trihub's output comes next (attach N): what this one switched on
   * goes off, as at a detach, and the next one's backlog draws from there, as
   * at an attach.
   */
  leaveModes(): void {
    if (!this.hasScreenModes || !this.output.isTTY) return;
    this.output.write(this.resetting());
    this.modes = new ModeTracker();
  }

  /** Back to how we found it. */
  restore(): void {
    if (this.isRaw) this.setRaw(false);
    if (this.hasScreenModes && this.output.isTTY) {
      this.output.write(this.resetting());
      this.hasScreenModes = false;
    }
    process.off('exit', this.onExit);
  }

  /** What undoes the modes the session's output switched; a scroll region it set would keep a shell in part of the screen. */
  private resetting(): string {
    return (this.modes.isAltScreen ? LEAVE_ALT_SCREEN : '') + RESET_MODES + (this.modes.hasRegion ? WHOLE_SCREEN_REGION : '');
  }
}
