// sizes.ts — whose window size a trihub's pty follows.
//
// The size follows the client that was active last on the trihub — attached
// to it, typed into it, or resized its own window (tmux's window-size latest;
// dtach applies every client's resize): whoever has just come, or is at the
// keyboard, or has just made their window bigger, sees the program drawn for
// their terminal. When that client leaves the trihub, the size goes to the
// one active before it that still shows the trihub. A watch-only client
// (it cannot type) takes the size only when nobody else has one to give.
// A host process (local N) is sent the size; a session's pty is resized here.

import type { Conn } from './conn.js';
import type { Client, Server } from './server.js';
import { Session } from './session.js';

export class WindowSizes {
  private readonly server: Server;
  /** Per trihub, the clients that set its size, the latest last. */
  private readonly active = new Map<number, Conn[]>();

  constructor(server: Server) {
    this.server = server;
  }

  /** conn said its size for trihub N: as it attaches, or because its own window changed. */
  resizedBy(conn: Conn, trihub: number): void {
    this.activate(conn, trihub);
  }

  /** conn typed into hub N: if N is a trihub with a pty, its size is now conn's. */
  typedBy(conn: Conn, hub: number): void {
    const { sessions, hosts } = this.server;
    if (!(sessions.has(hub) || hosts.has(hub)) || this.latest(hub) === conn) return;
    this.activate(conn, hub);
  }

  /** conn no longer shows trihub N (it went to another): the size goes to the one active before it. */
  leftBy(conn: Conn, trihub: number): void {
    const list = this.active.get(trihub);
    if (!list?.includes(conn)) return;
    const rest = list.filter((c) => c !== conn);
    if (rest.length === 0) this.active.delete(trihub);
    else this.active.set(trihub, rest);
    // (the sizer stays the sizer when another client left: applying its size again changes nothing)
    const next = this.sizerOf(trihub);
    if (next) this.apply(next, trihub);
  }

  /** A client left the server: it sets no size any more. */
  forget(client: Client): void {
    for (const [trihub, list] of this.active) if (list.includes(client as Conn)) this.leftBy(client as Conn, trihub);
  }

  private activate(conn: Conn, trihub: number): void {
    const list = (this.active.get(trihub) ?? []).filter((c) => c !== conn);
    list.push(conn);
    this.active.set(trihub, list);
    if (this.sizerOf(trihub) === conn) this.apply(conn, trihub);
  }

  private latest(trihub: number): Conn | undefined {
    return this.active.get(trihub)?.at(-1);
  }

  /** Whose size the trihub has: the latest client that may type and shows it, else the latest that shows it. */
  private sizerOf(trihub: number): Conn | undefined {
    const shown = (this.active.get(trihub) ?? []).filter((c) => c.sizes.has(trihub) && c.shows(trihub));
    return shown.findLast((c) => c.role !== 'watch') ?? shown.at(-1);
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
