// lines.ts — the page's line editing, for a session without a pty.
//
// A session on pipes (`io -c cat chat`) has no terminal to echo what is typed
// or to turn Enter into a newline: ioshell leaves that to the user's cooked
// terminal, and the page does it here, as a cooked terminal would. Keys are
// echoed and gathered; Enter sends the line with '\n'; Backspace, Ctrl-U
// (the whole line) and Ctrl-C (drop it) edit it; Ctrl-D sends what was typed
// without a newline. Other control keys and escape sequences (arrows) are
// not sent: a cooked terminal would not pass them either.
//
// Pure: no DOM, no socket. Not here: the pty case (every key goes as it is).

/** Columns a code point takes in the terminal: 2 for East Asian wide and emoji, else 1. */
export function columnsOf(cp: number): number {
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

/** What a batch of keys did: the echo for the terminal, the bytes for the session. */
export interface LineStep {
  echo: string;
  send: string;
}

export class LineEditor {
  private chars: string[] = [];

  /** Keys as xterm.js hands them (a key, a sequence, or a paste). */
  feed(keys: string): LineStep {
    // an escape sequence (an arrow, a function key) comes alone: nothing to echo or send
    if (keys.length > 1 && keys.startsWith('\x1b')) return { echo: '', send: '' };
    let echo = '';
    let send = '';
    for (const ch of keys) {
      if (ch === '\r' || ch === '\n') {
        send += `${this.chars.join('')}\n`;
        this.chars = [];
        echo += '\r\n';
      } else if (ch === '\x7f' || ch === '\b') {
        echo += this.erase(1);
      } else if (ch === '\x15') {
        echo += this.erase(this.chars.length);
      } else if (ch === '\x03') {
        this.chars = [];
        echo += '^C\r\n';
      } else if (ch === '\x04') {
        send += this.chars.join('');
        this.chars = [];
      } else if (ch >= ' ' && ch !== '\x7f') {
        this.chars.push(ch);
        echo += ch;
      }
    }
    return { echo, send };
  }

  /** The last n characters off the line, and off the screen. */
  private erase(n: number): string {
    let echo = '';
    for (let i = 0; i < n && this.chars.length > 0; i++) {
      const w = columnsOf(this.chars.pop()!.codePointAt(0)!);
      echo += '\b'.repeat(w) + ' '.repeat(w) + '\b'.repeat(w);
    }
    return echo;
  }
}
