// websocket.ts — the WebSocket listener (--listen HOST:PORT): the same
// protocol as the Unix socket, raw streams at /NAME/read/N and /NAME/write/N,
// and the web page at /NAME/.
//
// Every WebSocket client presents a token (Authorization: Bearer, or ?token=),
// loopback included: other local users can reach loopback. No valid token:
// HTTP 401 and nothing else, after a delay that grows with each refusal from
// that address; a watch token on a write path: 403. A browser's Origin must
// match the Host it asked. The page itself holds no data and needs no token:
// it reads the token from its URL fragment, which never reaches the server.
//
// Not here: what a connection does once accepted (conn.ts, raw.ts).

import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { dirname, join } from 'node:path';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { isLoopback } from '../core/address.js';
import { IoError } from '../core/errors.js';
import { TCP_KEEPALIVE_MS } from '../core/limits.js';
import { roleAllows, type TokenRole } from '../core/tokens.js';
import { readFlagFile } from '../sys/files.js';
import type { Server } from './server.js';
import { acceptStream, startRaw, streamWire } from './unix.js';

/** The first refusal from an address waits this long; each further one doubles it, up to the max. */
const REFUSAL_DELAY_MS = 200;
const REFUSAL_DELAY_MAX_MS = 5000;
/** The largest WebSocket message accepted (a frame plus its header). */
const WS_MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;
/** The paths after /NAME/ that take a WebSocket: ws, or a raw stream (read or write, and its hub). */
const SOCKET_PATH = /^(?:ws|(read|write)\/(\d{1,5}))$/;

export interface ListenOptions {
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
}

/** The page and what it loads: name in the URL → file and type. */
function assets(): Map<string, { file: string; type: string }> {
  const xterm = dirname(require.resolve('@xterm/xterm/package.json'));
  const fit = dirname(require.resolve('@xterm/addon-fit/package.json'));
  const unicode11 = dirname(require.resolve('@xterm/addon-unicode11/package.json'));
  return new Map([
    ['', { file: join(__dirname, '../web/index.html'), type: 'text/html; charset=utf-8' }],
    ['page.js', { file: join(__dirname, '../web/page.js'), type: 'text/javascript' }],
    ['xterm.mjs', { file: join(xterm, 'lib/xterm.mjs'), type: 'text/javascript' }],
    ['xterm.css', { file: join(xterm, 'css/xterm.css'), type: 'text/css' }],
    ['addon-fit.mjs', { file: join(fit, 'lib/addon-fit.mjs'), type: 'text/javascript' }],
    ['addon-unicode11.mjs', { file: join(unicode11, 'lib/addon-unicode11.mjs'), type: 'text/javascript' }],
    ['lines.js', { file: join(__dirname, '../web/lines.js'), type: 'text/javascript' }],
  ]);
}

export class WsListener {
  private readonly server: Server;
  private readonly http: http.Server;
  // no subprotocol is chosen: a client that asks for one is told by its handshake that this is none of its
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD_BYTES, handleProtocols: () => false });
  private readonly refusals = new Map<string, number>();
  private readonly files = assets();
  readonly isTls: boolean;

  constructor(server: Server, opts: ListenOptions) {
    this.server = server;
    this.isTls = opts.tlsCert !== undefined;
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => this.onRequest(req, res);
    if (opts.tlsCert !== undefined) {
      if (opts.tlsKey === undefined) throw new IoError('IO_ERR_USAGE', 'io: --tls-cert needs --tls-key');
      const cert = readFlagFile('--tls-cert', opts.tlsCert);
      const key = readFlagFile('--tls-key', opts.tlsKey);
      try {
        this.http = https.createServer({ cert, key }, onRequest);
      } catch (err) {
        // OpenSSL's words: `error:0480006C:PEM routines::no start line`, `…::key values mismatch`
        const why = ((err as Error).message.split('::').at(-1) ?? '').trim();
        throw new IoError('IO_ERR_USAGE', `io: --tls-cert ${opts.tlsCert} --tls-key ${opts.tlsKey}: not a certificate and its key (${why})`);
      }
    } else this.http = http.createServer(onRequest);
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    // A request Node cannot parse: no 'clientError' listener, so Node answers it itself (400, or 431 for
    // headers too large) and destroys the socket, which a half-open peer cannot then keep.
  }

  /** Listen; resolves with the bound address (port 0 picks one). */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.http.once('error', (err: NodeJS.ErrnoException) => reject(new IoError('IO_ERR_USAGE', `io: --listen ${host}:${port}: ${err.code ?? err.message}`)));
      this.http.listen(port, host, () => {
        const a = this.http.address();
        const bound = typeof a === 'object' && a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : `${host}:${port}`;
        if (!isLoopback(host) && !this.isTls) {
          const warning = `io: warning: listening on ${bound} without TLS: tokens and keystrokes cross the network in clear (use --tls-cert/--tls-key)`;
          this.server.log.event(warning.replace(/^io: /, ''));
          process.stderr.write(`${warning}\n`);
        }
        resolve(bound);
      });
    });
  }

  /** Take no new connection; those here go on (quit tells them why, then closes them). */
  stopListening(): void {
    this.http.close();
  }

  /** Close what is left at once. */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.http.close();
    this.http.closeAllConnections();
  }

  /** A path's first segment names this server's session, as typed or percent-encoded (a name may hold + or @). */
  private isOurName(segment: string): boolean {
    try {
      return decodeURIComponent(segment) === this.server.name;
    } catch {
      return false; // a stray % is no name
    }
  }

  private peerOf(req: http.IncomingMessage): string {
    return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/([^/]+)(?:\/(.*))?$/.exec(url.pathname);
    const isOurs = m !== null && this.isOurName(m[1]!);
    if (isOurs && m[2] === undefined) {
      res.writeHead(301, { location: `/${m[1]}/${url.search}` }).end();
      return;
    }
    // the WebSocket paths, asked plainly (no upgrade); and the page's files
    const isSocketPath = isOurs && SOCKET_PATH.test(m[2]!);
    const asset = isOurs && !isSocketPath ? this.files.get(m[2]!) : undefined;
    if (!isSocketPath && (!asset || !existsSync(asset.file))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('io: not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end(`io: ${req.method ?? '?'}: not allowed here (GET)\n`);
      return;
    }
    if (isSocketPath) return this.answerProbe(req, res, url);
    res.writeHead(200, { 'content-type': asset!.type, 'content-length': statSync(asset!.file).size, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(asset!.file).pipe(res);
  }

  private refuse(req: http.IncomingMessage, socket: Duplex, status: 401 | 403 | 404, why: string): void {
    const text = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status];
    setTimeout(() => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }, this.refusalDelay(req, status, why)).unref();
  }

  /** A refusal is logged; a 401 waits longer with each one from that address (guessing tokens is slow). */
  private refusalDelay(req: http.IncomingMessage, status: number, why: string): number {
    const addr = req.socket.remoteAddress ?? '?';
    const count = (this.refusals.get(addr) ?? 0) + 1;
    this.refusals.set(addr, count);
    this.server.log.event(`ws ${this.peerOf(req)}: refused ${req.url?.split('?')[0] ?? ''}: ${why} (${status})`);
    return status === 401 ? Math.min(REFUSAL_DELAY_MS * 2 ** (count - 1), REFUSAL_DELAY_MAX_MS) : 0;
  }

  /**
   * A plain GET of the WebSocket path: how the page learns why its socket was
   * refused (a browser does not tell it). 401 without a valid token, as the
   * upgrade would be (and as slow); else 426, this path wants a WebSocket.
   */
  private answerProbe(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const role = this.server.doors.tokens?.roleOf(this.tokenOf(req, url)) ?? null;
    if (role) {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('io: this path takes a WebSocket\n');
      return;
    }
    setTimeout(() => res.writeHead(401, { 'content-type': 'text/plain' }).end('io: no valid token\n'), this.refusalDelay(req, 401, 'no valid token')).unref();
  }

  private tokenOf(req: http.IncomingMessage, url: URL): string | null {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
    return url.searchParams.get('token');
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/([^/]+)\/(.*)$/.exec(url.pathname);
    const path = m && this.isOurName(m[1]!) ? SOCKET_PATH.exec(m[2]!) : null;
    if (!path) return this.refuse(req, socket, 404, 'no such path');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let host: string | null = null;
      try {
        host = new URL(origin).host;
      } catch {
        // not a URL: refused below
      }
      if (host !== req.headers.host) return this.refuse(req, socket, 403, `origin ${origin.slice(0, 80)} is not this server`);
    }
    const role = this.server.doors.tokens?.roleOf(this.tokenOf(req, url)) ?? null;
    if (!role) return this.refuse(req, socket, 401, 'no valid token');
    const raw = path[1] as 'read' | 'write' | undefined;
    if (raw === 'write' && !roleAllows(role, 'write')) return this.refuse(req, socket, 403, `${role} token on a write path`);
    this.refusals.delete(req.socket.remoteAddress ?? '?');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, req, role, raw === undefined ? null : { kind: raw, hub: Number(path[2]) }));
  }

  private onSocket(ws: WebSocket, req: http.IncomingMessage, role: TokenRole, raw: { kind: 'read' | 'write'; hub: number } | null): void {
    const peer = `ws ${this.peerOf(req)} ${role}`;
    // a network that drops without a word leaves a connection no write ever fails on: the kernel probes it
    req.socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
    const stream = createWebSocketStream(ws);
    // ws's stream neither destroys itself nor says 'close' once both its sides are done (autoDestroy
    // off), and once the WebSocket has closed its writable side never finishes: without this, such a
    // connection is counted open for ever, and quit waits for it
    const done = (): void => {
      if (stream.readableEnded && (stream.writableFinished || ws.readyState === ws.CLOSED)) stream.destroy();
    };
    stream.on('end', done);
    stream.on('finish', done);
    if (!this.server.doors.admit(stream)) return;
    if (raw === null) return acceptStream(this.server, stream, peer, role);
    const id = this.server.newClientId();
    this.server.log.debug(`conn ${id} (${peer}): raw ${raw.kind} ${raw.hub}`);
    startRaw(this.server, streamWire(stream, peer), id, raw, Buffer.alloc(0));
  }
}
