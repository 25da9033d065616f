// direct.ts — write to a socket's or terminal's fd at once, when its stream
// holds nothing.
//
// Node's Writable costs a write request, its state machine and a tick per
// write, and cork/uncork an array for writev: on a keystroke or a pty read
// that is most of what io does. When the stream has nothing queued, writing
// the fd ourselves keeps the order; whatever does not go at once (EAGAIN, a
// short write, an error) goes to the stream, which then deals with it as it
// always does (waits for room, reports the error, closes).
//
// Reaches into one private of Node's net.Socket: `_handle.fd` (a stream with
// no fd, such as a WebSocket stream, is written the ordinary way).

import { writeSync, writevSync } from 'node:fs';
import type { Writable } from 'node:stream';

interface Handled {
  _handle?: { fd?: number } | null;
  connecting?: boolean;
}

/** The fd to write now, or -1: the stream has none, or holds bytes that must go first. */
function fdOf(s: Writable & Handled): number {
  const fd = s._handle?.fd;
  if (typeof fd !== 'number' || fd < 0 || s.connecting) return -1;
  if (s.writableLength !== 0 || s.writableCorked !== 0 || s.destroyed || s.writableEnded) return -1;
  return fd;
}

/** Write parts to the stream, in order: straight to its fd while it can; false when the stream is past its mark. */
export function writeDirect(out: NodeJS.WritableStream, parts: readonly Buffer[]): boolean {
  const stream = out as Writable & Handled;
  const fd = fdOf(stream);
  let done = 0;
  if (fd >= 0) {
    try {
      done = parts.length === 1 ? writeSync(fd, parts[0]!) : writevSync(fd, parts as Buffer[]);
    } catch {
      done = 0; // EAGAIN, EPIPE…: the stream writes it, and says so if it fails
    }
  }
  const rest: Buffer[] = [];
  for (const p of parts) {
    if (done >= p.length) done -= p.length;
    else {
      rest.push(done === 0 ? p : p.subarray(done));
      done = 0;
    }
  }
  if (rest.length === 0) return true;
  if (rest.length === 1) return stream.write(rest[0]!);
  stream.cork();
  for (const p of rest) stream.write(p);
  stream.uncork();
  return stream.writableLength < stream.writableHighWaterMark;
}
