// handshake.ts — the framed protocol's first exchange, from the client side.
//
// The client sends `IO <version>\n`; the server answers `IO <its version>\n`
// and, when they match, a hello frame (JSON about the server). Two sides that
// do not speak the same version say so in one line and part. Used by the
// client library and by the server's own check for a live socket.
//
// Not here: anything after the hello frame (client/client.ts).

import type { Duplex } from 'node:stream';
import { IoError } from '../core/errors.js';
import { Frame, FrameDecoder, PROTOCOL_VERSION, type DecodedFrame } from '../core/frame.js';
import { readBytes } from './reads.js';

export interface Hello {
  version: number;
  name: string;
  pid: number;
  maxHubs: number;
  bufferBytes: number;
  /** The largest frame payload the server takes (--max-frame); absent from older servers. */
  maxFrameBytes?: number;
  pacing: string;
  role: string;
  /** cols and rows: the pty's size; null on pipes. */
  sessions: { trihub: number; pid: number; pty: boolean; cmd: string; cols: number | null; rows: number | null }[];
  /** Sessions that have exited, whose hubs may still hold what they wrote; absent from older servers. */
  ended?: EndedSession[];
  /** Shells of clients' machines wired to trihubs (local N, here); absent from older servers. */
  hosts?: { trihub: number; pid: number }[];
}

export interface EndedSession {
  trihub: number;
  pid: number;
  pty: boolean;
  cmd: string;
  code: number | null;
  signal: string | null;
}

export const HANDSHAKE_TIMEOUT_MS = 5000;

function versionError(name: string, theirs: number): IoError {
  const fix = theirs > PROTOCOL_VERSION ? 'upgrade io' : 'restart the server with this io';
  return new IoError('IO_ERR_VERSION', `io: server ${name} speaks protocol ${theirs}, this client ${PROTOCOL_VERSION}: ${fix}`);
}

/**
 * Greet the server on a connected socket; resolve with its hello and the
 * decoder holding any frames that came after it.
 */
export function handshake(socket: Duplex, name: string, timeoutMs = HANDSHAKE_TIMEOUT_MS): Promise<{ hello: Hello; decoder: FrameDecoder; frames: DecodedFrame[] }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let lineDone = false;
    const decoder = new FrameDecoder({ streamData: true });
    let stopReading = (): void => {};
    const timer = setTimeout(() => fail(new IoError('IO_ERR_NO_SERVER', `io: ${name}: no answer from the server in ${timeoutMs} ms`)), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      stopReading();
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const fail = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onError = (err: NodeJS.ErrnoException): void => fail(new IoError('IO_ERR_NO_SERVER', `io: ${name}: ${err.code ?? err.message}`));
    const onClose = (): void => {
      const text = buf.toString('utf8').trim();
      fail(new IoError('IO_ERR_NO_SERVER', text.startsWith('io:') ? text : `io: ${name}: the server closed the connection`));
    };
    const onData = (chunk: Buffer): void => {
      let frames: DecodedFrame[];
      if (!lineDone) {
        buf = Buffer.concat([buf, chunk]);
        const nl = buf.indexOf(0x0a);
        if (nl < 0) return;
        const line = buf.subarray(0, nl).toString('utf8');
        const m = /^IO (\d+)$/.exec(line);
        if (!m) {
          if (line.startsWith('io:')) return fail(new IoError('IO_ERR_NO_SERVER', line));
          return fail(new IoError('IO_ERR_GREETING', `io: ${name}: not an io server (it said '${line.slice(0, 40)}')`));
        }
        if (Number(m[1]) !== PROTOCOL_VERSION) return fail(versionError(name, Number(m[1])));
        lineDone = true;
        chunk = buf.subarray(nl + 1);
      }
      const got = decoder.push(chunk);
      if (got instanceof Error) return fail(got);
      frames = got;
      const first = frames[0];
      if (!first) return;
      if (first.type !== Frame.hello) return fail(new IoError('IO_ERR_GREETING', `io: ${name}: expected hello, got frame type ${first.type}`));
      cleanup();
      socket.pause(); // the caller's reader resumes it: nothing is read with no listener
      resolve({ hello: JSON.parse(first.payload.toString('utf8')) as Hello, decoder, frames: frames.slice(1) });
    };
    stopReading = readBytes(socket, onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.write(`IO ${PROTOCOL_VERSION}\n`);
  });
}
