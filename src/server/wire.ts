// wire.ts — what a client connection's transport must do, whatever it is.
//
// A Unix socket (unix.ts) or a WebSocket (websocket.ts) is wrapped in a Wire,
// so the framed and raw connections (conn.ts, raw.ts) are written once.
// queuedBytes() is the bound the pumps respect; pauseInput()/resumeInput()
// stop and restart reading from the peer (paranoid input waits this way).

export type Role = 'watch' | 'write' | 'control';

export interface Wire {
  /** Who is on the other end, for the log. */
  readonly peer: string;
  /** Send bytes (a frame's parts, or raw bytes). */
  send(parts: Buffer[]): void;
  /** Bytes handed to send() and not yet out. */
  queuedBytes(): number;
  onDrain(fn: () => void): void;
  onData(fn: (bytes: Buffer) => void): void;
  /** The peer finished sending (half-close) or went away. */
  onEnd(fn: () => void): void;
  onClose(fn: () => void): void;
  pauseInput(): void;
  resumeInput(): void;
  /** Flush what is queued, then close; a peer whose queue does not move for stallMs (default END_STALL_MS) is dropped. */
  end(stallMs?: number): void;
  /** Close now, dropping what is queued. */
  destroy(): void;
}
