// prompt.ts — the io: prompt of raw mode: a one-line editor fed with keys.
//
// Keys in; out, what to echo on the terminal, and, once the prompt is done,
// how it ended: a line (Enter), a key to send to the session itself
// (Ctrl-] Ctrl-] or Ctrl-] Ctrl-\), or cancelled (Esc, Ctrl-C); then the keys
// that came after it, but for a cancel: an arrow key or Alt-x is Esc and the
// rest of its sequence, which must not reach the session. Backspace edits;
// other control keys are ignored.
//
// Not here: what the line means (words.ts), the terminal, the session (shell/).

import { DETACH_KEY, PROMPT_KEY } from './keys.js';

export type PromptEnd = { kind: 'line'; line: string } | { kind: 'key'; key: number } | { kind: 'cancel' };

export interface PromptStep {
  /** What to write to the terminal for these keys. */
  echo: string;
  /** Set once the prompt is done; `rest` is what was typed after it (none after a cancel). */
  end?: PromptEnd;
  rest?: Buffer;
}

/** What the terminal shows as the prompt opens. */
export const PROMPT_OPEN = '\r\nio: \x1b[K';

export class PromptLine {
  private text = '';

  /** What has been typed so far (to draw the prompt again). */
  get typed(): string {
    return this.text;
  }

  feed(chunk: Buffer): PromptStep {
    let echo = '';
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      const rest = chunk.subarray(i + 1);
      if (b === 0x0d || b === 0x0a) return { echo: `${echo}\r\n`, end: { kind: 'line', line: this.text }, rest };
      // Ctrl-] Ctrl-] (or Ctrl-] Ctrl-\) sends that key itself: vim's tag jump, Emacs's C-]
      if (b === PROMPT_KEY || b === DETACH_KEY) return { echo: `${echo}\r\x1b[K`, end: { kind: 'key', key: b }, rest };
      if (b === 0x03 || b === 0x1b) return { echo: `${echo} (cancelled)\r\n`, end: { kind: 'cancel' } };
      if (b === 0x7f || b === 0x08) {
        if (this.text) {
          this.text = this.text.slice(0, -1);
          echo += '\b \b';
        }
      } else if (b >= 0x20) {
        const ch = String.fromCharCode(b);
        this.text += ch;
        echo += ch;
      }
    }
    return { echo };
  }
}
