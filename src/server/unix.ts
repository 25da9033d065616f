// unix.ts — the Unix-socket transport: a Wire per socket, and the first line.
//
// Each accepted socket is read until its first line says what it is
// (core/greeting.ts): raw read/write/ctl, or the framed protocol. A first line
// that is neither gets one error line and a close; nobody else notices. A
// peer that says nothing for FIRST_LINE_TIMEOUT_MS is closed.

import type net from 'node:net';
import { ProtocolError } from '../core/errors.js';
import { PROTOCOL_VERSION } from '../core/frame.js';
import { sniffGreeting } from '../core/greeting.js';
import { Conn } from './conn.js';
import { RawConn } from './raw.js';
import type { Server } from './server.js';
import type { Wire } from './wire.js';

/** How long a new connection may take to send its first line (a person typing into socat). */
export const FIRST_LINE_TIMEOUT_MS = 60_000;
/** How long end() waits for queued bytes to flush before dropping a peer that does not read. */
const END_FLUSH_MS = 2000;

export function unixWire(socket: net.Socket, peer: string): Wire {
  socket.on('error', () => socket.destroy());
  return {
    peer,
    send(parts) {
      if (socket.destroyed) return;
      if (parts.length === 1) {
        socket.write(parts[0]!);
        return;
      }
      socket.cork();
      for (const p of parts) socket.write(p);
      socket.uncork();
    },
    queuedBytes: () => socket.writableLength,
    onDrain: (fn) => void socket.on('drain', fn),
    onData: (fn) => void socket.on('data', fn),
    onEnd: (fn) => void socket.on('end', fn),
    onClose: (fn) => void socket.on('close', fn),
    pauseInput: () => socket.pause(),
    resumeInput: () => socket.resume(),
    end() {
      if (socket.destroyed) return;
      socket.end();
      setTimeout(() => socket.destroy(), END_FLUSH_MS).unref();
    },
    destroy: () => socket.destroy(),
  };
}

export function acceptUnix(server: Server, socket: net.Socket): void {
  const id = server.newClientId();
  const wire = unixWire(socket, 'unix');
  let buf: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => {
    server.log.event(`conn ${id}: no first line in ${FIRST_LINE_TIMEOUT_MS} ms; closed`);
    socket.destroy();
  }, FIRST_LINE_TIMEOUT_MS);
  const onFirst = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const g = sniffGreeting(buf);
    if (g instanceof ProtocolError) {
      done();
      server.log.event(`conn ${id}: ${g.message.replace(/^io: /, '')}; closed`);
      socket.end(`${g.message}\n`);
      return;
    }
    if (g.kind === 'more') return;
    done();
    server.log.debug(`conn ${id}: ${g.kind === 'framed' ? `framed protocol ${g.version}` : g.kind === 'ctl' ? 'raw ctl' : `raw ${g.kind} ${g.hub}`}`);
    if (g.kind === 'framed') {
      socket.write(`IO ${PROTOCOL_VERSION}\n`);
      if (g.version !== PROTOCOL_VERSION) {
        server.log.event(`conn ${id}: client speaks protocol ${g.version}, this server ${PROTOCOL_VERSION}; closed`);
        socket.end();
        return;
      }
      const conn = new Conn(server, wire, id, 'control');
      server.clients.add(conn);
      if (g.rest.length > 0) conn.onWireData(g.rest);
      return;
    }
    const raw = new RawConn(server, wire, id);
    server.clients.add(raw);
    if (g.kind === 'ctl') raw.startCtl(g.rest);
    else if (g.kind === 'read') raw.startRead(g.hub);
    else raw.startWrite(g.hub, g.rest);
  };
  const done = (): void => {
    clearTimeout(timer);
    socket.off('data', onFirst);
  };
  socket.on('data', onFirst);
  socket.on('close', () => clearTimeout(timer));
  socket.on('error', () => {});
}
