// modes.ts — the terminal modes a pty session's output has switched, and where.
//
// A full-screen program switches modes once (alternate screen, mouse
// reporting, bracketed paste, application cursor keys) and then draws for
// hours. Once those few bytes have left the ring, a client replaying the
// backlog would get the drawing in the wrong mode. ModeTracker reads the
// output stream, remembers each mode's state and the offset of its last
// change, and builds the preamble a new client needs before the backlog: the
// modes whose switch is no longer held. Modes switched inside the backlog are
// left to the backlog itself, so after the replay every mode is as now.
//
// One more thing a replay gets wrong: the scroll region (DECSTBM, CSI t;b r).
// A program that leaves (vim at 30 rows) sets it to the whole screen by
// number, 1;30; replayed on a terminal of 40 rows that is a region of 30, and
// the shell after it scrolls in the top 30 rows. So the last region set is
// kept, with the rows at the time, and a region that was the whole screen is
// set again, as the whole screen at any size, after the backlog.
//
// Pure: bytes in, bytes out. The server feeds it from behind the hub, and a
// client what it writes to its terminal (shell/terminal.ts).

import { ESC, LONG, MORE, readEscape } from './escapes.js';

/** An escape sequence longer than this is not one we track; skip it. */
const MAX_SEQUENCE_BYTES = 64;

/** Private modes (CSI ? n h/l) worth restoring, with their power-on state. */
const TRACKED: ReadonlyMap<number, boolean> = new Map([
  [1, false], // application cursor keys
  [7, true], // autowrap
  [25, true], // cursor visible
  [47, false], // alternate screen (old)
  [1047, false], // alternate screen
  [1049, false], // alternate screen, cursor saved
  [1000, false], // mouse: clicks
  [1002, false], // mouse: drags
  [1003, false], // mouse: all motion
  [1004, false], // focus events
  [1005, false], // mouse: utf-8 coordinates
  [1006, false], // mouse: SGR coordinates
  [1015, false], // mouse: urxvt coordinates
  [2004, false], // bracketed paste
]);
/** The keypad: ESC = application, ESC > normal. Tracked as pseudo-mode 66 (DECNKM). */
const KEYPAD = 66;

export const ALT_SCREEN_MODES = [47, 1047, 1049] as const;

interface ModeState {
  on: boolean;
  changedAt: number;
}

/** After a backlog whose last scroll region was the whole screen by number: the whole screen, the cursor kept. */
export const WHOLE_SCREEN_REGION = '\x1b7\x1b[r\x1b8';

export class ModeTracker {
  private readonly modes = new Map<number, ModeState>();
  private offset: number;
  private carry: Buffer | null = null;
  /** The terminal's rows now (the pty's): what "the whole screen" means for a region set now. */
  rows = 24;
  /** The last scroll region set by number, and whether it was the whole screen then; null: none, or reset by CSI r. */
  private region: { at: number; isWhole: boolean } | null = null;

  /** offset: the stream offset of the first byte that will be fed. */
  constructor(offset = 0) {
    this.offset = offset;
  }

  /** Read the next bytes of the stream. */
  feed(bytes: Buffer): void {
    let buf = bytes;
    let base = this.offset;
    if (this.carry) {
      base -= this.carry.length;
      buf = Buffer.concat([this.carry, bytes]);
      this.carry = null;
    }
    this.offset += bytes.length;
    let i = buf.indexOf(ESC);
    while (i >= 0) {
      const end = this.parse(buf, i, base + i);
      if (end < 0) {
        if (buf.length - i <= MAX_SEQUENCE_BYTES) this.carry = Buffer.from(buf.subarray(i));
        return;
      }
      i = buf.indexOf(ESC, end);
    }
  }

  /** Bytes were lost before reaching us (a gap): a sequence split across it is void. */
  skip(lostBytes: number): void {
    this.offset += lostBytes;
    this.carry = null;
  }

  isOn(mode: number): boolean {
    return this.modes.get(mode)?.on ?? TRACKED.get(mode) ?? false;
  }

  /** A scroll region was set by number since the last reset (CSI r): it may not be the whole screen now. */
  get hasRegion(): boolean {
    return this.region !== null;
  }

  get isAltScreen(): boolean {
    return ALT_SCREEN_MODES.some((m) => this.isOn(m));
  }

  /**
   * What a client that replayed the stream from offset `from` to now must be
   * sent after it: the whole screen as the scroll region, when the last region
   * the replay set was the whole screen by number (for the rows of its time).
   */
  afterBacklog(from: number): Buffer {
    const r = this.region;
    return Buffer.from(r && r.isWhole && r.at >= from ? WHOLE_SCREEN_REGION : '', 'latin1');
  }

  /**
   * What a client that replays the stream from offset `from` must be sent
   * first: every mode not at its power-on state whose last switch is before
   * `from` (so the replay will not make it).
   */
  preamble(from: number): Buffer {
    let out = '';
    for (const [mode, state] of this.modes) {
      if (state.changedAt >= from) continue;
      const initial = mode === KEYPAD ? false : (TRACKED.get(mode) ?? false);
      if (state.on === initial) continue;
      out += mode === KEYPAD ? (state.on ? '\x1b=' : '\x1b>') : `\x1b[?${mode}${state.on ? 'h' : 'l'}`;
    }
    return Buffer.from(out, 'latin1');
  }

  /** Read the sequence at buf[i] (ESC); return where scanning goes on, or -1 when it is cut short. */
  private parse(buf: Buffer, i: number, at: number): number {
    // Most of a terminal's escapes are colours and moves, and this runs on
    // every byte a pty session writes (and in every attached client): only
    // ESC = / ESC > and CSI ? are read; anything else is passed over at once.
    const next = buf[i + 1];
    if (next === undefined) return -1;
    if (next === 0x3d || next === 0x3e) {
      this.set(KEYPAD, next === 0x3d, at);
      return i + 2;
    }
    if (next === 0x63) {
      // RIS (ESC c, what `reset` sends): every mode as at power-on, the whole screen scrolls
      for (const mode of this.modes.keys()) this.set(mode, mode === KEYPAD ? false : (TRACKED.get(mode) ?? false), at);
      this.region = null;
      return i + 2;
    }
    if (next !== 0x5b) return i + 1;
    const third = buf[i + 2];
    if (third === undefined) return -1; // ESC [ at the end of a chunk: it may be ours
    if (third !== 0x3f) return this.parseRegion(buf, i, at);
    const e = readEscape(buf, i, MAX_SEQUENCE_BYTES);
    if (e === MORE) return -1;
    if (e === LONG) return i + 1;
    if (e.kind === 'csi' && e.prefix === '?' && e.inter === '' && (e.final === 'h' || e.final === 'l')) {
      for (const p of e.params.split(';')) {
        const mode = Number(p);
        if (TRACKED.has(mode)) this.set(mode, e.final === 'h', at);
      }
    }
    return e.end;
  }

  /** CSI digits and ';' then 'r': a scroll region; any other CSI is passed over at its parameters. */
  private parseRegion(buf: Buffer, i: number, at: number): number {
    // on every colour and move a program writes: one pass over the digits, nothing made
    let j = i + 2;
    let c = buf[j];
    while (c !== undefined && ((c >= 0x30 && c <= 0x39) || c === 0x3b)) c = buf[++j];
    if (c === undefined) return j - i < MAX_SEQUENCE_BYTES ? -1 : j;
    if (c !== 0x72) return j;
    const [top = '', bottom = '', ...more] = buf.toString('latin1', i + 2, j).split(';');
    if (more.length > 0) return j + 1;
    // CSI r (or CSI ;r) resets the region to the whole screen at any size: nothing to mend after a replay
    if (top === '' && bottom === '') this.region = null;
    // a bottom of 0, or none, is the last row
    else this.region = { at, isWhole: Number(top || 1) <= 1 && (Number(bottom) === 0 || Number(bottom) >= this.rows) };
    return j + 1;
  }

  private set(mode: number, on: boolean, at: number): void {
    this.modes.set(mode, { on, changedAt: at });
  }
}
