// overlay.ts — the io: prompt over a session's screen.
//
// While the prompt is open the session's output, and its gap notices, are
// held back, so that a full-screen program does not draw over the prompt;
// they are shown, in order, when it closes. Past a bound they are shown all
// the same and the prompt is drawn again below them, still open. A reply the
// prompt printed over a full-screen program is held the same way (paused),
// until the next key says it has been read.
//
// Not here: the line editor (core/prompt.ts), what a line means and asking a
// program to redraw (shell.ts).

import { PROMPT_OPEN, PromptLine, type PromptStep } from '../core/prompt.js';

/** What came from the session while the prompt was open: bytes of a hub, or a gap notice. */
export type Held = { hub: number; pieces: Buffer[] } | { hub: number; lost: number };

export class PromptOverlay {
  private prompt: PromptLine | null = null;
  private held: Held[] = [];
  private heldBytes = 0;
  /** Showing what was held: show() hands it back to hold(), which must let it through, not hold it again. */
  private isReleasing = false;
  /** Holding with no prompt open: a line was run, its reply is on the screen to be read (until resume). */
  private isPaused = false;
  private readonly write: (text: string) => void;
  private readonly show: (item: Held) => void;
  private readonly maxHeldBytes: number;

  /** write: to the terminal; show: output as it would have gone had no prompt been open. */
  constructor(write: (text: string) => void, show: (item: Held) => void, maxHeldBytes: number) {
    this.write = write;
    this.show = show;
    this.maxHeldBytes = maxHeldBytes;
  }

  get isOpen(): boolean {
    return this.prompt !== null;
  }

  open(): void {
    this.prompt = new PromptLine();
    this.write(PROMPT_OPEN);
  }

  /** Session output: held while the prompt is open (true), else for the caller to show (false). */
  hold(item: Held): boolean {
    if ((!this.prompt && !this.isPaused) || this.isReleasing) return false;
    this.held.push(item);
    if ('pieces' in item) for (const p of item.pieces) this.heldBytes += p.length;
    if (this.heldBytes > this.maxHeldBytes) {
      this.release();
      if (this.prompt) this.write(`${PROMPT_OPEN}${this.prompt.typed}`);
      else this.isPaused = false;
    }
    return true;
  }

  /** The reply has been read: what was held is shown. */
  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.release();
  }

  /** Keys at the prompt: echoed; once it is done, it closes and what was held is shown. */
  feed(chunk: Buffer): PromptStep {
    const step = this.prompt!.feed(chunk);
    this.write(step.echo);
    // a line run goes on holding (paused): its reply is to come under the prompt, before what was held
    if (step.end?.kind === 'line') {
      this.prompt = null;
      this.isPaused = true;
    } else if (step.end) this.close();
    return step;
  }

  /** Close now (the shell is ending): what was held is shown. */
  close(): void {
    this.prompt = null;
    this.isPaused = false;
    this.release();
  }

  private release(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    this.isReleasing = true;
    try {
      for (const item of held) this.show(item);
    } finally {
      this.isReleasing = false;
    }
  }
}
