// client.ts — the client library: one framed connection to a server.
//
// attach(target) connects (client/connect.ts), greets, and returns a Client
// with the server's hello. Through it: subscribe to hubs, write into them,
// end an input, resize a trihub, send ctl commands and await their replies,
// start sessions (remote N) and host trihubs (local N). The server answers
// requests in order, so replies are matched first-in first-out.
//
// Not here: terminals (shell/), printing, exit codes (cli/).

import type { Duplex } from 'node:stream';
import { IoError } from '../core/errors.js';
import { decodeGap, decodeResize, encodeFrame, encodeFrameJoined, encodeResize, Frame, FLAG_JSON, FLAG_NEW, MAX_FRAME_BYTES, type DecodedFrame, type FrameDecoder, type FrameType } from '../core/frame.js';
import { writeDirect } from '../sys/direct.js';
import type { Hello } from '../sys/handshake.js';
import { readBytes } from '../sys/reads.js';

export interface ClientEvents {
  /** Bytes of hub N as they arrive (a data frame may come in pieces: it is a byte stream). */
  data?: (hub: number, bytes: Buffer) => void;
  /**
   * Instead of data: every piece of hub N that came in one read, at once, so
   * they can be written with one system call (writev) rather than one each.
   */
  dataPieces?: (hub: number, pieces: Buffer[]) => void;
  gap?: (hub: number, lostBytes: number) => void;
  eof?: (hub: number) => void;
  /** To a host process: the window size of its trihub changed. */
  resize?: (trihub: number, cols: number, rows: number) => void;
  /** One line from the server: a refusal, or why it is closing this connection. */
  error?: (hub: number, message: string) => void;
  /** The connection is gone; reason is the server's last word, if any. */
  close?: (reason: string | null) => void;
}

export class Client {
  readonly hello: Hello;
  readonly name: string;
  private readonly socket: Duplex;
  private readonly decoder: FrameDecoder;
  private readonly waiting: { resolve: (reply: string) => void; reject: (err: Error) => void }[] = [];
  private handlers: ClientEvents = {};
  private lastWord: string | null = null;
  private isClosed = false;

  constructor(socket: Duplex, name: string, hello: Hello, decoder: FrameDecoder, early: DecodedFrame[]) {
    this.socket = socket;
    this.name = name;
    this.hello = hello;
    this.decoder = decoder;
    readBytes(socket, (b) => this.onSocketData(b));
    socket.on('close', () => this.onSocketClose());
    // The server finished its side: it has gone. A WebSocket stream says so only
    // with 'end' (its writable side stays open), so close ours too.
    socket.on('end', () => socket.destroy());
    socket.on('error', () => {});
    socket.resume();
    setImmediate(() => early.forEach((f) => this.onFrame(f)));
  }

  /** Set the event handlers (replacing earlier ones). */
  on(events: ClientEvents): this {
    this.handlers = events;
    return this;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Start reading hubs; several go in one write, so the server takes them in together. */
  subscribe(hubs: number | readonly number[], opts: { fromNew?: boolean } = {}): void {
    const frames = (typeof hubs === 'number' ? [hubs] : hubs).map((hub) => encodeFrameJoined(Frame.subscribe, hub, undefined, opts.fromNew ? FLAG_NEW : 0));
    if (!this.isClosed) writeDirect(this.socket, frames);
  }

  unsubscribe(hub: number): void {
    this.send(Frame.unsubscribe, hub);
  }

  /** Write bytes into hub N; false when the socket is full (wait for onDrain). */
  write(hub: number, bytes: Uint8Array): boolean {
    if (this.isClosed) return false;
    // no frame over the server's --max-frame: a longer write goes as several frames
    const max = Math.max(1, this.hello.maxFrameBytes ?? MAX_FRAME_BYTES);
    const parts: Buffer[] = [];
    let off = 0;
    do {
      parts.push(...encodeFrame(Frame.data, hub, bytes.subarray(off, off + max)));
      off += max;
    } while (off < bytes.length);
    return writeDirect(this.socket, parts);
  }

  /** Bytes written and not yet taken by the socket. */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  /** fn on every drain of the connection after a write that returned false: set it once. */
  onDrain(fn: () => void): void {
    this.socket.on('drain', fn);
  }

  /**
   * Resolves once the server has taken in every byte written before it: a ctl
   * round trip, which the server answers only after the frames ahead of it
   * (in paranoid mode, once the hub has had room for them).
   */
  async flushed(): Promise<void> {
    await this.ctl('status');
  }

  /**
   * A frame that asks for nothing (an ack of no bytes). A client that has
   * stopped reading learns of a server that went away only by writing to it:
   * this write then fails, and the connection closes.
   */
  ping(): void {
    this.send(Frame.ack, 0, Buffer.alloc(4));
  }

  /** Close this client's input on hub N (the hub goes on). */
  endInput(hub: number): void {
    this.send(Frame.eof, hub);
  }

  resize(trihub: number, cols: number, rows: number): void {
    if (!this.isClosed) writeDirect(this.socket, [encodeResize(trihub, cols, rows)]);
  }

  /** A ctl command; resolves with the reply ('ok', an error line, text or JSON). */
  ctl(command: string, opts: { json?: boolean } = {}): Promise<string> {
    return this.request(Frame.ctl, 0, Buffer.from(command), opts.json ? FLAG_JSON : 0);
  }

  /** Start a session on the server's trihub N (remote N); resolves with 'ok' or the error line. */
  spawn(trihub: number, cmd?: string): Promise<string> {
    return this.request(Frame.spawn, trihub, Buffer.from(JSON.stringify(cmd === undefined ? {} : { cmd })));
  }

  /** Declare this connection the host process of trihub N (local N). */
  host(trihub: number, pid: number): Promise<string> {
    return this.request(Frame.host, trihub, Buffer.from(JSON.stringify({ pid })));
  }

  /** Stop reading from the server (the caller's output is full); resume() goes on. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Leave: flush what is queued and close. */
  close(): void {
    if (!this.isClosed) this.socket.end();
  }

  /** Hubs this server has (a hub number is two bytes on the wire, and a server has fewer): else leave, refused. */
  checkHubs(...hubs: number[]): void {
    const out = hubs.find((h) => h >= this.hello.maxHubs);
    if (out === undefined) return;
    this.close();
    throw new IoError('IO_ERR_HUB', `io: hub ${out}: out of range (0-${this.hello.maxHubs - 1})`);
  }

  private request(type: FrameType, hub: number, payload: Buffer, flags = 0): Promise<string> {
    if (this.isClosed) return Promise.reject(new IoError('IO_ERR_CLOSED', `io: ${this.name}: connection closed`));
    return new Promise((resolve, reject) => {
      // made before the wait is queued: a frame that cannot be made (a hub past two bytes) must not leave
      // a waiter that every later reply would be handed to
      const frame = encodeFrameJoined(type, hub, payload, flags);
      this.waiting.push({ resolve, reject });
      writeDirect(this.socket, [frame]);
    });
  }

  private send(type: FrameType, hub: number, payload?: Buffer, flags = 0): void {
    if (!this.isClosed) writeDirect(this.socket, [encodeFrameJoined(type, hub, payload, flags)]);
  }

  private onSocketData(bytes: Buffer): void {
    const frames = this.decoder.push(bytes);
    if (frames instanceof Error) {
      this.lastWord = frames.message;
      this.socket.destroy();
      return;
    }
    const pieces = this.handlers.dataPieces;
    if (!pieces) {
      for (const f of frames) this.onFrame(f);
      return;
    }
    // A read often holds the end of one data frame and the start of the next,
    // or several small ones: the pieces of one hub go on together.
    for (let from = 0; from < frames.length; ) {
      const f = frames[from]!;
      let to = from + 1;
      if (f.type === Frame.data) {
        while (to < frames.length && frames[to]!.type === Frame.data && frames[to]!.hub === f.hub) to++;
        pieces(f.hub, frames.slice(from, to).map((x) => x.payload));
      } else this.onFrame(f);
      from = to;
    }
  }

  private onFrame(f: DecodedFrame): void {
    const h = this.handlers;
    switch (f.type) {
      case Frame.data:
        return h.dataPieces ? h.dataPieces(f.hub, [f.payload]) : h.data?.(f.hub, f.payload);
      case Frame.gap:
        return h.gap?.(f.hub, decodeGap(f.payload));
      case Frame.eof:
        return h.eof?.(f.hub);
      case Frame.resize: {
        const size = decodeResize(f.payload);
        return size ? h.resize?.(f.hub, size.cols, size.rows) : undefined;
      }
      case Frame.reply:
        return this.waiting.shift()?.resolve(f.payload.toString('utf8'));
      case Frame.error: {
        const text = f.payload.toString('utf8');
        this.lastWord = text;
        return h.error?.(f.hub, text);
      }
      default:
        return undefined;
    }
  }

  private onSocketClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const err = new IoError('IO_ERR_CLOSED', this.lastWord ?? `io: ${this.name}: connection closed`);
    for (const w of this.waiting.splice(0)) w.reject(err);
    this.handlers.close?.(this.lastWord);
  }
}
