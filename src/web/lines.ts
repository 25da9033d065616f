// lines.ts — the page's line editing, for a session without a pty.
//
// A session on pipes (`io -c cat chat`) has no terminal to echo what is typed
// or to turn Enter into a newline: ioshell leaves that to the user's cooked
// terminal, and the page does it here, as a cooked terminal would. Keys are
// echoed and gathered; Enter sends the line with '\n'; Backspace, Ctrl-U
// (the whole line) and Ctrl-C (drop it) edit it; Ctrl-D sends what was typed
// without a newline. Other control keys and escape sequences (arrows) are
// not sent: a cooked terminal would not pass them either. Backspace takes a
// character as the eye sees it (a grapheme: é made of e and an accent, an
// emoji with its modifiers) off the line and off the screen.
//
// Pure: no DOM, no socket. Not here: the pty case (every key goes as it is).

/** Code points two columns wide (East Asian Wide and emoji, as Unicode 11's widths, which the page uses). */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
  [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
  [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
  [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
  [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55], [0x2e80, 0x303e],
  [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3],
  [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f200, 0x1f320], [0x1f32d, 0x1f335],
  [0x1f337, 0x1f37c], [0x1f37e, 0x1f393], [0x1f3a0, 0x1f3ca], [0x1f3cf, 0x1f3d3], [0x1f3e0, 0x1f3f0],
  [0x1f3f4, 0x1f3f4], [0x1f3f8, 0x1f43e], [0x1f440, 0x1f440], [0x1f442, 0x1f4fc], [0x1f4ff, 0x1f53d],
  [0x1f54b, 0x1f54e], [0x1f550, 0x1f567], [0x1f57a, 0x1f57a], [0x1f595, 0x1f596], [0x1f5a4, 0x1f5a4],
  [0x1f5fb, 0x1f64f], [0x1f680, 0x1f6c5], [0x1f6cc, 0x1f6cc], [0x1f6d0, 0x1f6d2], [0x1f6d5, 0x1f6d7],
  [0x1f6eb, 0x1f6ec], [0x1f6f4, 0x1f6fc], [0x1f7e0, 0x1f7eb], [0x1f90c, 0x1f93a], [0x1f93c, 0x1f945],
  [0x1f947, 0x1f9ff], [0x1fa70, 0x1faff], [0x20000, 0x3fffd],
];

/** Code points that take no column: combining marks, joiners and variation selectors. */
function isZeroWidth(cp: number): boolean {
  return (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

/** Columns a character as seen (a grapheme) takes: its code points' widths added up, as xterm.js draws them (👍🏽 4, 🇫🇷 2). */
export function graphemeColumns(g: string): number {
  let w = 0;
  for (const ch of g) {
    const cp = ch.codePointAt(0)!;
    if (!isZeroWidth(cp)) w += columnsOf(cp);
  }
  return w;
}

/** Columns a code point takes in the terminal: 2 for East Asian wide and emoji, else 1. */
export function columnsOf(cp: number): number {
  for (const [lo, hi] of WIDE) {
    if (cp < lo) return 1;
    if (cp <= hi) return 2;
  }
  return 1;
}

/** What a batch of keys did: the echo for the terminal, the bytes for the session. */
export interface LineStep {
  echo: string;
  send: string;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export class LineEditor {
  private line = '';

  /** Keys as xterm.js hands them (a key, a sequence, or a paste). */
  feed(keys: string): LineStep {
    // an escape sequence (an arrow, a function key) comes alone: nothing to echo or send
    if (keys.length > 1 && keys.startsWith('\x1b')) return { echo: '', send: '' };
    let echo = '';
    let send = '';
    for (const ch of keys) {
      if (ch === '\r' || ch === '\n') {
        send += `${this.line}\n`;
        this.line = '';
        echo += '\r\n';
      } else if (ch === '\x7f' || ch === '\b') {
        echo += this.erase(1);
      } else if (ch === '\x15') {
        echo += this.erase(Infinity);
      } else if (ch === '\x03') {
        this.line = '';
        echo += '^C\r\n';
      } else if (ch === '\x04') {
        send += this.line;
        this.line = '';
      } else if (ch >= ' ' || ch === '\t') {
        // a tab is echoed as a space: the line's columns stay countable
        this.line += ch;
        echo += ch === '\t' ? ' ' : ch;
      }
    }
    return { echo, send };
  }

  /** Something is typed and not yet sent. */
  get isTyping(): boolean {
    return this.line !== '';
  }

  /** What takes the line being typed off the screen (it stays in the editor): output is to go there. */
  hide(): string {
    let echo = '';
    for (const g of graphemes.segment(this.line)) {
      const w = graphemeColumns(g.segment);
      echo += '\b'.repeat(w) + ' '.repeat(w) + '\b'.repeat(w);
    }
    return echo;
  }

  /** What puts the line being typed back on the screen, where the cursor is. */
  show(): string {
    return this.line.replace(/\t/g, ' ');
  }

  /** The last n characters (graphemes) off the line, and off the screen. */
  private erase(n: number): string {
    const chars = [...graphemes.segment(this.line)].map((g) => g.segment);
    let echo = '';
    for (let i = 0; i < n && chars.length > 0; i++) {
      const w = graphemeColumns(chars.pop()!);
      echo += '\b'.repeat(w) + ' '.repeat(w) + '\b'.repeat(w);
    }
    this.line = chars.join('');
    return echo;
  }
}
