// frame.ts — the framed protocol's frames: encode, and decode incrementally.
//
// A frame is an 8-byte header and a payload:
//   type u8 | flags u8 | hub u16 BE | length u32 BE | payload (length bytes)
// docs/protocol.md is the reference. The decoder takes chunks split anywhere,
// never allocates more than one frame's payload, and refuses a length over its
// cap with a ProtocolError; after an error it stays failed.
//
// Not here: what a frame means to the server or client (server/conn.ts, client/client.ts).

import { ProtocolError } from './errors.js';

export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 8;
/** The default cap on one frame's payload, both ways. */
export const MAX_FRAME_BYTES = 1024 * 1024;

export const Frame = {
  /** server→client: JSON about the server, sent once after the greeting. */
  hello: 1,
  /** both ways: bytes of hub N (client→server: write into hub N). */
  data: 2,
  /** client→server: start reading hub N (flags: FLAG_NEW = skip the backlog). */
  subscribe: 3,
  /** client→server: stop reading hub N. */
  unsubscribe: 4,
  /** server→client: hub N ended. client→server: close this client's input on hub N. */
  eof: 5,
  /** server→client: this client lost bytes of hub N (payload: u64 count). */
  gap: 6,
  /** client→server: a ctl command (payload text; hub field: request id; FLAG_JSON). */
  ctl: 7,
  /** server→client: the reply to ctl request `hub` (payload text or JSON). */
  reply: 8,
  /** client→server: window size of trihub N; server→host process: its new size (payload cols u16, rows u16). */
  resize: 9,
  /** server→client: one error line; the server may close after it. */
  error: 10,
  /** client→server: start a session on trihub N (payload JSON {cmd?}; its size is the client's last resize of N). */
  spawn: 11,
  /** client→server: this client is a host process wired to trihub N (payload JSON {pid}). */
  host: 12,
  /** client→server: this many bytes of hub N have been drawn (payload u32), for FLAG_ACKS subscribers. */
  ack: 13,
} as const;
export type FrameType = (typeof Frame)[keyof typeof Frame];

export const FLAG_JSON = 1;
export const FLAG_NEW = 2;
/** On subscribe: this client acknowledges what it has shown (a browser); bound what it has not. */
export const FLAG_ACKS = 4;

export interface DecodedFrame {
  type: FrameType;
  flags: number;
  hub: number;
  payload: Buffer;
}

const TYPES = new Set<number>(Object.values(Frame));

/** Header and payload, as two buffers for writev (the payload is not copied). */
export function encodeFrame(type: FrameType, hub: number, payload?: Uint8Array, flags = 0): Buffer[] {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt8(type, 0);
  header.writeUInt8(flags, 1);
  header.writeUInt16BE(hub, 2);
  header.writeUInt32BE(payload ? payload.length : 0, 4);
  if (!payload || payload.length === 0) return [header];
  return [header, Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length)];
}

/** One buffer: header and payload together (for small frames and WebSocket messages). */
export function encodeFrameJoined(type: FrameType, hub: number, payload?: Uint8Array, flags = 0): Buffer {
  const parts = encodeFrame(type, hub, payload, flags);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

export function encodeGap(hub: number, lostBytes: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeBigUInt64BE(BigInt(lostBytes));
  return encodeFrameJoined(Frame.gap, hub, payload);
}

export function decodeGap(payload: Buffer): number {
  return payload.length === 8 ? Number(payload.readBigUInt64BE(0)) : 0;
}

export function encodeResize(trihub: number, cols: number, rows: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt16BE(cols, 0);
  payload.writeUInt16BE(rows, 2);
  return encodeFrameJoined(Frame.resize, trihub, payload);
}

/** The most columns or rows a window may have (tmux's limit too): a pty of 65535x65535 is 4 billion cells to draw. */
export const MAX_WINDOW_SIDE = 10_000;

export function decodeResize(payload: Buffer): { cols: number; rows: number } | null {
  if (payload.length !== 4) return null;
  const cols = payload.readUInt16BE(0);
  const rows = payload.readUInt16BE(2);
  return cols > 0 && rows > 0 && cols <= MAX_WINDOW_SIDE && rows <= MAX_WINDOW_SIDE ? { cols, rows } : null;
}

export class FrameDecoder {
  private readonly maxPayloadBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failed: ProtocolError | null = null;
  private readonly isStreamingData: boolean;
  // With streamData, a data frame's payload is handed on as its pieces
  // arrive, never joined. These say which frame is under way and how much of
  // it is still to come.
  private dataLeft = 0;
  private dataHub = 0;
  private dataFlags = 0;

  /**
   * streamData: a data frame may come out as several frames, one per piece
   * that has arrived, each with the frame's hub and flags. For a reader, to
   * whom data is a byte stream: nothing waits for the rest of a frame, and no
   * frame is joined into a copy. Not for a server: there a client's write
   * goes into its hub whole, so two writers' frames never interleave.
   */
  constructor(opts: { maxPayloadBytes?: number; streamData?: boolean } = {}) {
    this.maxPayloadBytes = opts.maxPayloadBytes ?? MAX_FRAME_BYTES;
    this.isStreamingData = opts.streamData ?? false;
  }

  /** Feed a chunk; get every frame it completes (see streamData), or the error that broke the stream. */
  push(chunk: Buffer): DecodedFrame[] | ProtocolError {
    if (this.failed) return this.failed;
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const frames: DecodedFrame[] = [];
    for (;;) {
      if (this.dataLeft > 0) {
        if (this.pendingBytes === 0) break;
        const payload = this.consume(Math.min(this.dataLeft, this.pending[0]!.length));
        this.dataLeft -= payload.length;
        frames.push({ type: Frame.data, flags: this.dataFlags, hub: this.dataHub, payload });
        continue;
      }
      if (this.pendingBytes < HEADER_BYTES) break;
      const header = this.peek(HEADER_BYTES);
      const type = header.readUInt8(0);
      const flags = header.readUInt8(1);
      const hub = header.readUInt16BE(2);
      const length = header.readUInt32BE(4);
      if (!TYPES.has(type)) return this.fail(`unknown frame type ${type}`);
      if (length > this.maxPayloadBytes) return this.fail(`frame of ${length} bytes over limit ${this.maxPayloadBytes}`);
      if (type === Frame.data && length > 0 && this.isStreamingData) {
        this.consume(HEADER_BYTES);
        this.dataLeft = length;
        this.dataHub = hub;
        this.dataFlags = flags;
        continue;
      }
      if (this.pendingBytes < HEADER_BYTES + length) break;
      const whole = this.consume(HEADER_BYTES + length);
      frames.push({ type: type as FrameType, flags, hub, payload: whole.subarray(HEADER_BYTES) });
    }
    return frames;
  }

  private fail(why: string): ProtocolError {
    this.failed = new ProtocolError('IO_ERR_FRAME', `io: bad frame: ${why}`);
    this.pending = [];
    this.pendingBytes = 0;
    return this.failed;
  }

  /** The first n pending bytes, joining chunks only when the header spans them. */
  private peek(n: number): Buffer {
    const first = this.pending[0]!;
    if (first.length >= n) return first;
    const joined = Buffer.concat(this.pending);
    this.pending = [joined];
    return joined;
  }

  private consume(n: number): Buffer {
    const first = this.pending[0]!;
    if (first.length >= n) {
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      this.pendingBytes -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    while (copied < n) {
      const head = this.pending[0]!;
      const take = Math.min(head.length, n - copied);
      head.copy(out, copied, 0, take);
      copied += take;
      if (take === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(take);
    }
    this.pendingBytes -= n;
    return out;
  }
}
