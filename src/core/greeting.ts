// greeting.ts — what a connection's first line makes of it.
//
//   read N\n     raw stream: the bytes of hub N, and nothing else (socat, nc)
//   write N\n    raw stream: every byte after the line goes into hub N
//   ctl\n        raw control: one command a line, one reply line each
//   IO V\n       the framed protocol, version V (docs/protocol.md)
//
// sniffGreeting() looks at what has arrived so far: it needs more, or it
// names the kind and hands back the bytes after the line. Anything else is a
// ProtocolError whose message is the one line the peer is sent.

import { ProtocolError } from './errors.js';

/** The longest first line accepted before the connection is refused. */
export const FIRST_LINE_MAX_BYTES = 256;

export type Greeting =
  | { kind: 'read' | 'write'; hub: number; rest: Buffer }
  | { kind: 'ctl'; rest: Buffer }
  | { kind: 'framed'; version: number; rest: Buffer }
  | { kind: 'more' };

function bad(why: string): ProtocolError {
  return new ProtocolError('IO_ERR_GREETING', `io: bad first line: ${why} (try: read N, write N, ctl, or IO ${'<version>'})`);
}

export function sniffGreeting(bytes: Buffer, maxLineBytes = FIRST_LINE_MAX_BYTES): Greeting | ProtocolError {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) {
    if (bytes.length > maxLineBytes) return bad(`no newline in the first ${maxLineBytes} bytes`);
    return { kind: 'more' };
  }
  if (nl > maxLineBytes) return bad(`line of ${nl} bytes over limit ${maxLineBytes}`);
  const line = bytes.subarray(0, nl).toString('latin1').replace(/\r$/, '');
  const rest = bytes.subarray(nl + 1);
  const m = /^(read|write) (\d{1,5})$/.exec(line);
  if (m) return { kind: m[1] as 'read' | 'write', hub: Number(m[2]), rest };
  if (line === 'ctl') return { kind: 'ctl', rest };
  const f = /^IO (\d{1,5})$/.exec(line);
  if (f) return { kind: 'framed', version: Number(f[1]), rest };
  const printable = line.replace(/[^\x20-\x7e]/g, '?');
  return bad(`'${printable.length > 40 ? `${printable.slice(0, 40)}…` : printable}'`);
}
