// reads.ts — reads into slabs: every read lands in the next free part of a
// buffer of ours, so it costs no Buffer of its own and no copy.
//
// Node's 'data' event costs a fresh Buffer (its own memory, sized to the
// read) and a trip through the Readable machinery for every read: on a pty's
// output that is about 16 000 reads for 64 MiB, each a few µs. net's
// documented `onread` option instead reads into memory we give it and calls
// us straight from the read. slabReads gives it successive parts of a slab;
// each read's bytes are a view that is never written again, so whoever gets
// them may keep them, as with 'data'. A new slab starts when the room left is
// under a read's worth; a kept view keeps its slab alive (at most
// SLAB_BYTES). pause() and resume() still stop and start the reads (see
// readOnlyWhileResumed).
//
// Used for the pty's master (sys/pty.ts) and a client's Unix socket.
// Not here: what the bytes mean (core/frame.ts, client/client.ts).

import net from 'node:net';
import type { Duplex } from 'node:stream';

/** One slab: a new one is allocated when the last is used up. */
export const SLAB_BYTES = 64 * 1024;
/** A read is offered at least this much room (a pty read is mostly 4 KiB or less; more from a socket comes in several reads). */
export const MIN_READ_BYTES = 16 * 1024;

/** net's onread options: read into successive parts of slabs; each read's bytes to onBytes, theirs to keep. */
export function slabReads(onBytes: (bytes: Buffer) => void): net.OnReadOpts {
  let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  let used = 0;
  return {
    buffer: () => {
      if (SLAB_BYTES - used < MIN_READ_BYTES) {
        slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
        used = 0;
      }
      return slab.subarray(used);
    },
    callback: (n, into) => {
      used += n;
      onBytes(Buffer.from(into.buffer, into.byteOffset, n));
      return true;
    },
  };
}

/**
 * Readable's resume() calls read(0) a tick later, and on an onread socket
 * read() starts the reads, even when pause() came in between. With onread
 * nothing is buffered, so those bytes would go out while paused. After this,
 * read() starts nothing while the stream is paused (and has nothing to give).
 * For a stream that has never been read (the pty's master); a connected
 * socket has been, and Readable then skips that read(0).
 */
export function readOnlyWhileResumed<S extends { read(n?: number): unknown; isPaused(): boolean }>(stream: S): S {
  const read = stream.read;
  stream.read = function (this: S, n?: number) {
    return this.isPaused() ? null : read.call(this, n);
  };
  return stream;
}

interface Slabbed {
  reader: ((bytes: Buffer) => void) | null;
  /** What came while no reader was set, for the next one (the socket is paused meanwhile). */
  held: Buffer[];
}

const slabbed = new WeakMap<Duplex, Slabbed>();

/** Connect to a Unix socket read into slabs; take its bytes with readBytes() ('data' never fires). */
export function connectSlabbed(path: string): net.Socket {
  const state: Slabbed = { reader: null, held: [] };
  const socket: net.Socket = net.connect({
    path,
    onread: slabReads((bytes) => {
      if (state.reader) return state.reader(bytes);
      state.held.push(bytes);
      socket.pause();
    }),
  });
  slabbed.set(socket, state);
  return socket;
}

/**
 * Hand a stream's bytes to fn, in place of any reader set before: a socket
 * from connectSlabbed, or any stream by its 'data'. What a slabbed socket read
 * with no reader set goes to fn first, at once. Returns a function that stops
 * this reader.
 */
export function readBytes(stream: Duplex, fn: (bytes: Buffer) => void): () => void {
  const state = slabbed.get(stream);
  if (!state) {
    stream.on('data', fn);
    return () => void stream.off('data', fn);
  }
  state.reader = fn;
  for (const b of state.held.splice(0)) fn(b);
  return () => {
    if (state.reader === fn) state.reader = null;
  };
}
