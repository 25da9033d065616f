// unix.ts — a byte-stream transport (a Unix socket, or a WebSocket as a
// stream): a Wire per stream, and what its first line makes of it.
//
// Each accepted stream is read until its first line says what it is
// (core/greeting.ts): raw read/write/ctl, or the framed protocol. A first line
// that is neither gets one error line and a close; nobody else notices. A
// peer that says nothing for FIRST_LINE_TIMEOUT_MS is closed.

import type { Duplex } from 'node:stream';
import { ProtocolError } from '../core/errors.js';
import { writeDirect } from '../sys/direct.js';
import { PROTOCOL_VERSION } from '../core/frame.js';
import { sniffGreeting } from '../core/greeting.js';
import { Conn } from './conn.js';
import { RawConn } from './raw.js';
import type { Server } from './server.js';
import type { Role, Wire } from './wire.js';

/** How long a new connection may take to send its first line (a person typing into socat). */
export const FIRST_LINE_TIMEOUT_MS = 60_000;
/** A closing connection whose queued bytes have not moved for this long is dropped (its peer stopped reading). */
const END_STALL_MS = 2000;

export function streamWire(stream: Duplex, peer: string): Wire {
  stream.on('error', () => stream.destroy());
  return {
    peer,
    send(parts) {
      if (!stream.destroyed && !stream.writableEnded) writeDirect(stream, parts);
    },
    queuedBytes: () => stream.writableLength,
    onDrain: (fn) => void stream.on('drain', fn),
    onData: (fn) => void stream.on('data', fn),
    onEnd: (fn) => void stream.on('end', fn),
    onClose: (fn) => void stream.on('close', fn),
    pauseInput: () => stream.pause(),
    resumeInput: () => stream.resume(),
    end(stallMs = END_STALL_MS) {
      if (stream.destroyed || stream.writableEnded) return;
      stream.end();
      // Nothing more is wanted from the peer, but its end must be read for the stream to close
      // (a stream paused for backpressure would otherwise stay open, and quit wait on it).
      stream.removeAllListeners('data');
      stream.resume();
      // What is queued still goes out, however slowly the peer reads (paranoid
      // loses nothing); a peer that reads nothing at all is dropped.
      let last = stream.writableLength;
      const timer = setInterval(() => {
        if (stream.writableLength === 0 || stream.destroyed) return clearInterval(timer);
        if (stream.writableLength === last) {
          clearInterval(timer);
          stream.destroy();
        }
        last = stream.writableLength;
      }, stallMs).unref();
      stream.once('close', () => clearInterval(timer));
    },
    destroy: () => stream.destroy(),
  };
}

/** A new stream: wait for its first line, then hand it to a Conn or a RawConn. */
export function acceptStream(server: Server, stream: Duplex, peer: string, role: Role): void {
  const id = server.newClientId();
  const wire = streamWire(stream, peer);
  let buf: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => {
    server.log.event(`conn ${id} (${peer}): no first line in ${FIRST_LINE_TIMEOUT_MS} ms; closed`);
    stream.destroy();
  }, FIRST_LINE_TIMEOUT_MS);
  // Gone before saying what it is: nothing to wait for.
  const onEarlyEnd = (): void => {
    done();
    stream.destroy();
  };
  const done = (): void => {
    clearTimeout(timer);
    stream.off('data', onFirst);
    stream.off('end', onEarlyEnd);
  };
  const refuse = (message: string): void => {
    server.log.event(`conn ${id} (${peer}): ${message.replace(/^io: /, '')}; closed`);
    stream.end(`${message}\n`);
  };
  const onFirst = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const g = sniffGreeting(buf);
    if (g instanceof ProtocolError) {
      done();
      // what the peer sent may be anything it typed: its bytes reach the log only with -v
      const nl = buf.indexOf(0x0a);
      server.log.event(`conn ${id} (${peer}): bad first line (${nl < 0 ? `${buf.length} bytes, no newline` : `${nl} bytes`}); closed`);
      server.log.debug(`conn ${id} (${peer}): ${g.message.replace(/^io: /, '')}`);
      stream.end(`${g.message}\n`);
      return;
    }
    if (g.kind === 'more') return;
    done();
    server.log.debug(`conn ${id} (${peer}): ${g.kind === 'framed' ? `framed protocol ${g.version}` : g.kind === 'ctl' ? 'raw ctl' : `raw ${g.kind} ${g.hub}`}`);
    if (g.kind === 'framed') {
      stream.write(`IO ${PROTOCOL_VERSION}\n`);
      if (g.version !== PROTOCOL_VERSION) {
        server.log.event(`conn ${id} (${peer}): client speaks protocol ${g.version}, this server ${PROTOCOL_VERSION}; closed`);
        stream.end();
        return;
      }
      const conn = new Conn(server, wire, id, role);
      server.clients.add(conn);
      if (g.rest.length > 0) conn.onWireData(g.rest);
      return;
    }
    if (g.kind === 'ctl' && role !== 'control') return refuse(`io: ctl: not allowed for a ${role} client`);
    if (g.kind === 'write' && role === 'watch') return refuse(`io: write ${g.hub}: read-only (watch) client`);
    startRaw(server, wire, id, g.kind === 'ctl' ? { kind: 'ctl' } : { kind: g.kind, hub: g.hub }, g.rest);
  };
  stream.on('data', onFirst);
  stream.on('end', onEarlyEnd);
  stream.on('close', () => clearTimeout(timer));
}

/** A raw stream, its kind known (from a first line, or a WebSocket path). */
export function startRaw(server: Server, wire: Wire, id: number, what: { kind: 'ctl' } | { kind: 'read' | 'write'; hub: number }, rest: Buffer): void {
  const raw = new RawConn(server, wire, id);
  server.clients.add(raw);
  if (what.kind === 'ctl') raw.startCtl(rest);
  else if (what.kind === 'read') raw.startRead(what.hub);
  else raw.startWrite(what.hub, rest);
}
