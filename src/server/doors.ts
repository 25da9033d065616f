// doors.ts — how clients reach a server, and who is let in.
//
// Doors owns the Unix socket at $IO_DIR/NAME (a stale one is removed, a live
// one refused), the WebSocket listener with its tokens (--listen), and the
// admission of each new connection: refused with one line past --max-clients
// or when file descriptors run short. It counts connections until they close,
// and at quit closes the doors (new connections only), removes the socket and
// the token file, and lets quit wait for the connections still flushing to
// their readers, Unix socket or WebSocket, before it closes what is left.
//
// Not here: what a connection does once in (unix.ts, conn.ts, raw.ts), the
// WebSocket protocol and the page (websocket.ts).

import { unlinkSync } from 'node:fs';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { socketPath } from '../sys/iodir.js';
import { listenUnix } from '../sys/socket.js';
import { fdUse } from '../sys/fds.js';
import { acceptStream } from './unix.js';
import type { Server } from './server.js';
import type { Tokens } from './tokens.js';
import type { ListenOptions, WsListener } from './websocket.js';

/** File descriptors kept free for the server's own use (sessions, the log, a ctl in an emergency). */
const FD_RESERVE = 16;
/** How long a refused connection has to read its one line and leave, before it is closed from here. */
export const REFUSED_LINGER_MS = 2000;

export class Doors {
  /** The Unix socket's path while it is there. */
  socketFile: string | null = null;
  /** Tokens for WebSocket clients (with --listen). */
  tokens: Tokens | null = null;
  /** Where the WebSocket listener is, ws://HOST:PORT/NAME as bound (wss:// with TLS), with --listen. */
  wsUrl: string | null = null;
  private readonly server: Server;
  private listener: net.Server | null = null;
  /** Every accepted connection (Unix socket, WebSocket) until it closes: quit waits for them to flush. */
  private readonly sockets = new Set<Duplex>();
  private ws: WsListener | null = null;
  /** Connections open now, greeted or not, Unix socket or WebSocket: what --max-clients counts. */
  private openConnections = 0;

  constructor(server: Server) {
    this.server = server;
  }

  /** Listen on $IO_DIR/NAME, and on the WebSocket address with --listen. */
  async open(): Promise<void> {
    const { opts, log, name } = this.server;
    // Loaded only with --listen (before the socket answers, so nothing waits on it later):
    // ws, http and https: with the NATS client, 10 MB of an idle server's 65 MB RSS.
    const Listener = opts.listen ? (require('./websocket.js') as typeof import('./websocket.js')).WsListener : null;
    const path = socketPath(opts.ioDir, name);
    const { server, removedStale } = await listenUnix(path, name, (s) => this.accept(s), { share: opts.share });
    // accept() failing (EMFILE: out of file descriptors) is an 'error' on the listener: the
    // clients already here are served on; the new one was refused by the kernel's side.
    server.on('error', (err: NodeJS.ErrnoException) => log.event(`cannot accept a client: ${err.code ?? err.message}; serving the ${this.server.clients.size} already here`));
    this.listener = server;
    this.socketFile = path;
    if (removedStale) log.event(`removed a stale socket at ${path}`);
    if (opts.listen && Listener) await this.openWs(opts.listen, Listener);
  }

  private async openWs(l: ListenOptions, Listener: typeof WsListener): Promise<void> {
    const { opts, name } = this.server;
    try {
      // node:crypto, for the tokens, is loaded here too: an idle server without --listen has no use for it.
      const { Tokens } = require('./tokens.js') as typeof import('./tokens.js');
      this.tokens = new Tokens(socketPath(opts.ioDir, name), opts.tokenFile);
      this.ws = new Listener(this.server, l);
      this.wsUrl = `${this.ws.isTls ? 'wss' : 'ws'}://${await this.ws.listen(l.host, l.port)}/${name}`;
      this.tokens.publish(this.wsUrl);
    } catch (err) {
      this.close();
      this.finish();
      throw err;
    }
    this.server.log.event(`listening on ${this.wsUrl}/ (token in ${opts.ioDir}/${name}.token)`);
  }

  /** A new Unix-socket connection: refused with one line past --max-clients. */
  private accept(socket: net.Socket): void {
    if (this.admit(socket)) acceptStream(this.server, socket, 'unix', 'control');
  }

  /**
   * A new connection (Unix socket or WebSocket), counted until it closes; or
   * refused with one line and a log line, past --max-clients or near the fd limit.
   */
  admit(stream: Duplex): boolean {
    const { opts, log, name } = this.server;
    // quit waits for it until it closes, let in or refused (its one line goes out)
    this.sockets.add(stream);
    stream.once('close', () => this.sockets.delete(stream));
    const refuse = (line: string, why: string): false => {
      log.event(why);
      stream.on('error', () => {});
      stream.end(`${line}\n`);
      // What it sends is drained, so its own end closes it; one that never ends is closed once it
      // has had time to read the line: else it held an fd, and quit waited on it, for good.
      stream.resume();
      setTimeout(() => stream.destroy(), REFUSED_LINGER_MS).unref();
      return false;
    };
    if (this.openConnections >= opts.maxClients) {
      return refuse(`io: ${name}: too many clients (limit ${opts.maxClients})`, `refused a client: ${this.openConnections} connected, limit ${opts.maxClients} (--max-clients)`);
    }
    const fds = fdUse();
    if (fds && fds.limit - fds.used < FD_RESERVE) {
      return refuse(`io: ${name}: out of file descriptors`, `cannot accept a client: ${fds.used} of ${fds.limit} file descriptors in use (ulimit -n); serving the ${this.server.clients.size} already here`);
    }
    this.openConnections++;
    stream.once('close', () => this.openConnections--);
    return true;
  }

  /** Let nobody else in: stop listening, remove the socket and the token file. Who is here stays. */
  close(): void {
    this.listener?.close();
    this.ws?.stopListening();
    this.tokens?.remove();
    if (!this.socketFile) return;
    try {
      unlinkSync(this.socketFile);
    } catch {
      // already gone
    }
    this.socketFile = null;
  }

  /** Drop the sockets that never sent a first line: there is nothing of theirs to flush. */
  dropUngreeted(): void {
    for (const s of this.sockets) if (!s.writableEnded) s.destroy();
  }

  /** Every accepted connection has closed. */
  get isEmpty(): boolean {
    return this.sockets.size === 0;
  }

  /** Close what is left at once (the WebSockets that did not finish closing). */
  finish(): void {
    this.ws?.close();
  }
}
