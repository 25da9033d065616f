// sizes.ts — whose window size a trihub's pty follows.
//
// The size follows the client that attached or typed last (as screen and
// tmux do with their latest client, and dtach on attach): whoever has just
// come, or is at the keyboard, sees the program drawn for their terminal. A
// watch-only client (it cannot type) takes the size only when nobody else has
// set it. A host process (local N) is sent the size; a session's pty is
// resized here.

import type { Conn } from './conn.js';
import type { Client, Server } from './server.js';
import { Session } from './session.js';

export class WindowSizes {
  private readonly server: Server;
  private readonly sizers = new Map<number, Conn>();

  constructor(server: Server) {
    this.server = server;
  }

  /** conn said its size for trihub N; isFirst: as it attaches (its first size, or its subscribe to N+1 after one). */
  resizedBy(conn: Conn, trihub: number, isFirst: boolean): void {
    const sizer = this.sizers.get(trihub);
    if (!sizer || (isFirst && conn.role !== 'watch')) this.sizers.set(trihub, conn);
    if (this.sizers.get(trihub) === conn) this.apply(conn, trihub);
  }

  /** conn typed into hub N: if N is a trihub with a pty, its size is now conn's. */
  typedBy(conn: Conn, hub: number): void {
    const { sessions, hosts } = this.server;
    if (!(sessions.has(hub) || hosts.has(hub)) || this.sizers.get(hub) === conn) return;
    this.sizers.set(hub, conn);
    this.apply(conn, hub);
  }

  /** A client left: it sets no size any more. */
  forget(client: Client): void {
    for (const [trihub, sizer] of this.sizers) if ((sizer as Client) === client) this.sizers.delete(trihub);
  }

  private apply(conn: Conn, trihub: number): void {
    const size = conn.sizes.get(trihub);
    const target = this.server.sessions.get(trihub) ?? this.server.hosts.get(trihub);
    if (!size || !target || (size.cols === target.cols && size.rows === target.rows)) return;
    this.server.log.debug(`${conn.label}: trihub ${trihub} size ${size.cols}x${size.rows}`);
    if (target instanceof Session) target.resize(size.cols, size.rows);
    else {
      target.cols = size.cols;
      target.rows = size.rows;
      target.conn.sendResize(trihub, size.cols, size.rows);
    }
  }
}
