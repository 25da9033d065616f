// reads.ts — a client socket read into one buffer of ours, reused, and one way
// to take a stream's bytes however it is read.
//
// Node's 'data' event costs a fresh Buffer and a trip through the Readable
// machinery for every read: on a pty's output that is about 16 000 reads for
// 64 MiB, each a few µs. net's documented `onread` option reads into one
// buffer instead and calls us straight from the read. The bytes a reader gets
// are then *borrowed*: a view of that buffer, which the next read overwrites.
// A reader must use them at once (decode them, write them) or copy them.
// pause() and resume() still stop and start the reads.
//
// Not here: what the bytes mean (core/frame.ts, client/client.ts).

import net from 'node:net';
import type { Duplex } from 'node:stream';

/** Each read of a reusing socket takes at most this much (as Node's own reads do). */
export const READ_BUFFER_BYTES = 64 * 1024;

/** A stream's bytes; borrowed: a view of a buffer the next read reuses (use it now, or copy it). */
export type OnBytes = (bytes: Buffer, borrowed: boolean) => void;

interface Reusing {
  reader: OnBytes | null;
  /** Copies of what came while no reader was set, for the next one (the socket is paused meanwhile). */
  held: Buffer[];
}

const reusing = new WeakMap<Duplex, Reusing>();

/** Connect to a Unix socket whose reads land in one reused buffer; take its bytes with readBytes(). */
export function connectReusing(path: string): net.Socket {
  const state: Reusing = { reader: null, held: [] };
  const socket: net.Socket = net.connect({
    path,
    onread: {
      buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
      callback: (n: number, buf: Uint8Array) => {
        const bytes = Buffer.from(buf.buffer, buf.byteOffset, n);
        if (state.reader) state.reader(bytes, true);
        else {
          state.held.push(Buffer.from(bytes));
          socket.pause();
        }
        return true;
      },
    },
  });
  reusing.set(socket, state);
  return socket;
}

/**
 * Hand a stream's bytes to fn, in place of any reader set before; what a
 * reusing socket read with no reader set goes to fn first, at once. Returns
 * a function that stops this reader.
 */
export function readBytes(stream: Duplex, fn: OnBytes): () => void {
  const state = reusing.get(stream);
  if (!state) {
    const onData = (b: Buffer): void => fn(b, false);
    stream.on('data', onData);
    return () => void stream.off('data', onData);
  }
  state.reader = fn;
  for (const b of state.held.splice(0)) fn(b, false);
  return () => {
    if (state.reader === fn) state.reader = null;
  };
}
