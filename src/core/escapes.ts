// escapes.ts — where one escape sequence in terminal output ends, and its parts.
//
// ECMA-48 in 7 bits: CSI (ESC [ then parameters, intermediates, a final
// byte), OSC (ESC ] text, ended by BEL or ST = ESC \), the other strings
// DCS, APC, PM and SOS (ESC P, _, ^, X, ended by ST), and the short ESC
// sequences (ESC, intermediates, a final byte: ESC 7, ESC ( B, ESC =).
// 8-bit C1 introducers (0x9b for CSI …) are not read: in UTF-8 output those
// bytes are continuation bytes of characters, not controls.
//
// Pure and stateless: a sequence cut short by the end of a chunk is the
// caller's to hold (modes.ts, queries.ts). Not here: what a sequence means.

export const ESC = 0x1b;
export const BEL = 0x07;

export type Escape =
  /** CSI: prefix is a private marker (< = > ?) or ''; params the rest of 0x30–0x3f; inter 0x20–0x2f. */
  | { kind: 'csi'; end: number; prefix: string; params: string; inter: string; final: string }
  /** A string: its text between the introducer and BEL/ST. */
  | { kind: 'osc' | 'dcs' | 'apc' | 'pm'; end: number; text: string }
  /** ESC, intermediates, a final byte. */
  | { kind: 'esc'; end: number; inter: string; final: string }
  /** Broken off by a byte that cannot be in it (a control, another ESC): it ends before that byte. */
  | { kind: 'bad'; end: number };

/** The sequence goes on past the end of the buffer. */
export const MORE = 'more';
/** The sequence is not over within maxBytes. */
export const LONG = 'long';

const STRINGS: Readonly<Record<number, 'osc' | 'dcs' | 'apc' | 'pm'>> = { 0x5d: 'osc', 0x50: 'dcs', 0x5f: 'apc', 0x5e: 'pm', 0x58: 'pm' };

/** Read the sequence at buf[i] (an ESC); end is one past its last byte. */
export function readEscape(buf: Buffer, i: number, maxBytes: number): Escape | typeof MORE | typeof LONG {
  const limit = Math.min(buf.length, i + maxBytes);
  if (i + 1 >= limit) return tooLong(buf, limit);
  const next = buf[i + 1]!;
  if (next === 0x5b) return readCsi(buf, i + 2, limit);
  const string = STRINGS[next];
  if (string !== undefined) return readString(buf, i + 2, limit, string);
  let j = i + 1;
  while (j < limit && buf[j]! >= 0x20 && buf[j]! <= 0x2f) j++;
  if (j >= limit) return tooLong(buf, limit);
  const c = buf[j]!;
  if (c < 0x30 || c > 0x7e) return { kind: 'bad', end: j };
  return { kind: 'esc', end: j + 1, inter: buf.toString('latin1', i + 1, j), final: String.fromCharCode(c) };
}

function readCsi(buf: Buffer, from: number, limit: number): Escape | typeof MORE | typeof LONG {
  let j = from;
  while (j < limit && buf[j]! >= 0x30 && buf[j]! <= 0x3f) j++;
  const paramsEnd = j;
  while (j < limit && buf[j]! >= 0x20 && buf[j]! <= 0x2f) j++;
  if (j >= limit) return tooLong(buf, limit);
  const c = buf[j]!;
  if (c < 0x40 || c > 0x7e) return { kind: 'bad', end: j };
  const first = buf[from]!;
  const hasPrefix = paramsEnd > from && first >= 0x3c;
  return {
    kind: 'csi',
    end: j + 1,
    prefix: hasPrefix ? String.fromCharCode(first) : '',
    params: buf.toString('latin1', hasPrefix ? from + 1 : from, paramsEnd),
    inter: buf.toString('latin1', paramsEnd, j),
    final: String.fromCharCode(c),
  };
}

function readString(buf: Buffer, from: number, limit: number, kind: 'osc' | 'dcs' | 'apc' | 'pm'): Escape | typeof MORE | typeof LONG {
  for (let j = from; j < limit; j++) {
    const c = buf[j]!;
    if (c === BEL && kind === 'osc') return { kind, end: j + 1, text: buf.toString('latin1', from, j) };
    if (c !== ESC) continue;
    if (j + 1 >= limit) return tooLong(buf, limit);
    if (buf[j + 1] === 0x5c) return { kind, end: j + 2, text: buf.toString('latin1', from, j) };
    return { kind: 'bad', end: j };
  }
  return tooLong(buf, limit);
}

/** Out of bytes at limit: the buffer ended (more may come) or maxBytes did. */
function tooLong(buf: Buffer, limit: number): typeof MORE | typeof LONG {
  return limit >= buf.length ? MORE : LONG;
}
