// server.ts — iosrv: owns the hubs, the session processes and the clients.
//
// startServer() makes IO_DIR safe, opens the doors (doors.ts: $IO_DIR/NAME,
// --listen), and starts the default session on trihub 0.
// The server ends on quit, or by itself when every session has exited and its
// readers have drained (lifetime.ts). quit tells clients, HUPs every
// session's process group, KILLs what is left after GRACE_MS, and removes the
// socket.
//
// Not here: listening and admission (doors.ts), the wire (conn.ts, raw.ts,
// unix.ts), ctl verbs (control.ts).

import { CtlError } from '../core/errors.js';
import { HubTable } from '../core/hubs.js';
import { sessionMark } from '../core/inside.js';
import { PROTOCOL_VERSION } from '../core/frame.js';
import { signalGroup } from '../sys/proc.js';
import { ensureIoDir } from '../sys/iodir.js';
import type { EndedSession, Hello } from '../sys/handshake.js';
import { runCtl } from './control.js';
import type { Conn } from './conn.js';
import { Doors } from './doors.js';
import { Endpoints, type Endpoint } from './endpoints.js';
import { Feeder, type FeedSource } from './feed.js';
import { Pump, type PumpSink } from './pump.js';
import { Session } from './session.js';
import { DRAIN_MAX_MS, Lifetime } from './lifetime.js';
import { WindowSizes } from './sizes.js';
import type { Role } from './wire.js';
import type { NatsBridge } from './nats.js';
import type { Log } from './log.js';
import type { ServerOptions } from './options.js';

export type { ServerOptions } from './options.js';

/** How long quit waits after HUP before KILL. */
export const GRACE_MS = 2000;
/** How often paranoid hubs are checked for a reader that stalls them, at most; a short --stall-timeout is checked at a tenth of it. */
const STALL_CHECK_MS = 1000;

/** A client connection as the server sees it. */
export interface Client {
  readonly id: number;
  readonly label: string;
  /** The server is quitting: a client that can be told (a framed one) is told now, before its sessions hang up. */
  quitting?(reason: string): void;
  close(reason: string | null): void;
}

export class Server {
  readonly opts: ServerOptions;
  readonly name: string;
  readonly hubs: HubTable;
  readonly endpoints = new Endpoints();
  readonly log: Log;
  readonly sessions = new Map<number, Session>();
  readonly hosts = new Map<number, { pid: number; label: string; conn: Conn; cols: number; rows: number }>();
  readonly clients = new Set<Client>();
  readonly startedAt = Date.now();
  /** When the server ends by itself, and the sessions that have ended (lifetime.ts). */
  private readonly lifetime = new Lifetime(
    {
      isBusy: () => this.opts.noSession === true || this.sessions.size > 0 || this.hosts.size > 0 || this.quitting !== null,
      isDrained: () => this.isDrained(),
      hasBytes: (n) => (this.hubs.get(n)?.bytesIn ?? 0) > 0,
      quit: (reason) => void this.quit(reason),
    },
    this.startedAt,
  );
  /** Its Unix socket, its WebSocket listener, and who is let in (doors.ts). */
  readonly doors = new Doors(this);
  /** The JetStream bridge (with --nats). */
  nats: NatsBridge | null = null;
  private nextClientId = 1;
  /** Whose window size each trihub follows. */
  readonly sizes = new WindowSizes(this);
  private quitting: Promise<void> | null = null;
  /** Why a command asked to quit, before quit() runs (quitSoon). */
  private quitAsked: string | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private resolveDone!: () => void;
  /** Resolves when the server has quit. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(opts: ServerOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.log = opts.log;
    this.hubs = new HubTable({ maxHubs: opts.maxHubs, bufferBytes: opts.bufferBytes, pacing: opts.pacing, paceMs: opts.paceMs });
    this.hubs.onChange = (n, what) => this.log.debug(`hub ${n} ${what}`);
  }

  /** Sessions that have exited, until a new one starts on their trihub (the hello and status list them). */
  get endedSessions(): EndedSession[] {
    return [...this.lifetime.ended.values()];
  }

  newClientId(): number {
    return this.nextClientId++;
  }

  hello(role: Role): Hello {
    return {
      version: PROTOCOL_VERSION,
      name: this.name,
      pid: process.pid,
      maxHubs: this.hubs.maxHubs,
      bufferBytes: this.hubs.bufferBytes,
      maxFrameBytes: this.opts.maxFrameBytes,
      pacing: this.hubs.pacing,
      role,
      sessions: [...this.sessions.values()].map((s) => ({ trihub: s.trihub, pid: s.pid, pty: s.hasPty, cmd: s.cmd, cols: s.hasPty ? s.cols : null, rows: s.hasPty ? s.rows : null })),
      ended: this.endedSessions,
      hosts: [...this.hosts].map(([trihub, h]) => ({ trihub, pid: h.pid })),
    };
  }

  /** A new output of hub N, pumped into sink; registered as endpoint HNoutM. */
  openOutput(n: number, owner: string, sink: PumpSink, o: { fromNew?: boolean; kind?: 'out' | 'err'; holds?: boolean; isMirror?: boolean; showsWindow?: boolean; onFree: () => void; onKill: (why?: string) => void }): { pump: Pump; endpoint: Endpoint } | CtlError {
    const bad = this.hubs.check(n);
    if (bad) return bad;
    const hub = this.hubs.open(n);
    // the NATS bridge is no reader a short session's output waits for
    if (!o.isMirror) this.lifetime.readerCame(n);
    const kind = o.kind ?? 'out';
    const fromNew = o.fromNew || this.hubs.isTrunc;
    const out = hub.addOutput(owner, kind, fromNew ? 'new' : 'backlog', { holds: o.holds === true });
    // A pty session's screen modes whose switch has left the ring go first (core/modes.ts).
    const session = n % 3 === 1 ? this.sessions.get(n - 1) : undefined;
    if (session?.modes) {
      const preamble = session.modes.preamble(fromNew ? hub.bytesIn : hub.start);
      if (preamble.length > 0) sink.data(preamble);
      // a full-screen program, or any whose first drawing has left the ring (top draws only what changes):
      // asked to draw its screen again for the newcomer
      // (for a reader that shows a window, which said its size: io read, socat or a mirror must not make vim redraw)
      if (o.showsWindow && (session.modes.isAltScreen || (!fromNew && hub.start > 0))) session.nudge();
    }
    // A terminal's output (a pty session's, a host's) replays its backlog without the queries
    // in it: the program that asked is gone, and this client's terminal would answer (pump.ts).
    const isTerminal = n % 3 === 1 && (session?.hasPty === true || this.hosts.has(n - 1));
    // after it, a scroll region the backlog set by number for another size is the whole screen again
    const replayFrom = fromNew ? hub.bytesIn : hub.start;
    const modes = session?.modes;
    const pump = new Pump(hub, out, sink, isTerminal ? { backlogEnd: hub.bytesIn, ...(modes ? { afterBacklog: () => modes.afterBacklog(replayFrom) } : {}) } : {});
    const endpoint = this.endpoints.add({
      hub: n,
      kind,
      owner,
      stalledSince: () => pump.stalledSince,
      holds: o.holds === true,
      free: () => {
        pump.close();
        this.endpoints.delete(endpoint);
        o.onFree();
        this.checkDrained();
      },
      kill: (why) => {
        // its owner first, told why: the output it then lets go of is no news to it
        o.onKill(why);
        endpoint.free();
      },
    })!;
    this.log.debug(`${owner}: reads hub ${n} (${endpoint.kind}${endpoint.n})`);
    return { pump, endpoint };
  }

  /** A new input of hub N fed from source; registered as endpoint HNinM. */
  openInput(n: number, owner: string, source: FeedSource, o: { onFree: () => void; onKill: () => void }): { feeder: Feeder; endpoint: Endpoint } | CtlError {
    const bad = this.hubs.check(n);
    if (bad) return bad;
    const hub = this.hubs.open(n);
    const input = hub.addInput(owner);
    const feeder = new Feeder(hub, source);
    let isFreed = false;
    const remove = (): void => {
      this.endpoints.delete(endpoint);
      hub.removeInput(input);
    };
    const endpoint = this.endpoints.add({
      hub: n,
      kind: 'in',
      owner,
      heldBytes: () => feeder.heldBytes,
      // Listed until what it gave is in: eof N counts those bytes as written.
      free: () => {
        if (isFreed) return;
        isFreed = true;
        o.onFree();
        feeder.release(remove);
      },
      kill: () => {
        feeder.close();
        if (isFreed) remove();
        else endpoint.free();
        o.onKill();
      },
    })!;
    this.log.debug(`${owner}: writes hub ${n} (in${endpoint.n})`);
    return { feeder, endpoint };
  }

  /** A session process on trihub N (remote N, and the default session). Returns the reply line. */
  spawn(trihub: number, cmd: string | null, size: { cols: number; rows: number } | undefined, by: string): string {
    const bad = this.hubs.checkTrihub(trihub);
    if (bad) return bad.message;
    if (this.sessions.has(trihub) || this.hosts.has(trihub)) return `io: trihub ${trihub}: in use (try attach ${trihub})`;
    if (this.isQuitting) return `io: ${this.name}: quitting`;
    const usePty = this.opts.usePty ?? cmd === null;
    let session: Session;
    try {
      const env = { ...this.opts.env, IO_SESSION: sessionMark(this.name, process.pid, trihub) };
      session = new Session(this.hubs, { trihub, command: { cmd, env }, usePty, ...size }, (s) => this.onSessionExit(s));
    } catch (err) {
      return (err as Error).message;
    }
    this.sessions.set(trihub, session);
    this.lifetime.sessionStarted(trihub);
    this.addSessionEndpoints(session);
    this.log.event(`session on trihub ${trihub} started by ${by}: pid ${session.pid}, ${usePty ? 'pty' : 'pipes'}, ${cmd ?? 'shell'}`);
    return 'ok';
  }

  /** A session's own ends: it reads hub N and writes N+1 and N+2; they go when it exits. */
  private addSessionEndpoints(s: Session): void {
    const owner = `session ${s.pid}`;
    const fixed = `endpoint of the session on trihub ${s.trihub} (end it with signal ${s.trihub} TERM)`;
    const ends: Endpoint[] = [];
    const noop = (): void => {};
    for (const [hub, kind] of [[s.trihub, 'out'], [s.trihub + 1, 'in'], [s.trihub + 2, 'in']] as const) {
      const e = this.endpoints.add({ hub, kind, owner, pid: s.pid, fixed, free: noop, kill: noop });
      if (e) ends.push(e);
    }
    s.endpoints = ends;
  }

  /** A client that is a process on its own machine wired to trihub N (local N, here). */
  host(trihub: number, pid: number, conn: Conn): string {
    const bad = this.hubs.checkTrihub(trihub);
    if (bad) return bad.message;
    if (this.sessions.has(trihub) || this.hosts.has(trihub)) return `io: trihub ${trihub}: in use (try attach ${trihub})`;
    this.hosts.set(trihub, { pid, label: conn.label, conn, cols: 0, rows: 0 });
    this.hubs.open(trihub + 1).reopen();
    this.hubs.open(trihub + 2).reopen();
    this.log.event(`${conn.label}: hosts trihub ${trihub} (its pid ${pid})`);
    return 'ok';
  }

  /** Run one ctl line; the reply is 'ok', an error line, text or JSON. */
  ctl(line: string, json: boolean, by: string): string {
    this.log.debug(`${by}: ctl ${line}`);
    return runCtl(this, line, json);
  }

  connClosed(client: Client, reason: string | null): void {
    if (!this.clients.delete(client)) return;
    this.sizes.forget(client);
    for (const [trihub, host] of this.hosts) {
      if (host.label !== client.label) continue;
      // A host leaving is its shell ending: readers of its output get the rest, then eof.
      this.hosts.delete(trihub);
      this.hubs.get(trihub + 1)?.end();
      this.hubs.get(trihub + 2)?.end();
      this.log.event(`${client.label}: host of trihub ${trihub} gone`);
      this.checkDrained();
    }
    this.log.debug(`${client.label}: gone${reason ? ` (${reason})` : ''}`);
  }

  private onSessionExit(s: Session): void {
    this.sessions.delete(s.trihub);
    this.lifetime.sessionEnded({ trihub: s.trihub, pid: s.pid, pty: s.hasPty, cmd: s.cmd, code: s.exit?.code ?? null, signal: s.exit?.signal ?? null });
    for (const e of s.endpoints) this.endpoints.delete(e);
    this.log.event(`session on trihub ${s.trihub} (pid ${s.pid}) exited: ${s.exit?.signal ? `signal ${s.exit.signal}` : `status ${s.exit?.code}`}`);
    this.checkDrained();
  }

  /** A session or host has ended: the server may end by itself (lifetime.ts). */
  checkDrained(): void {
    this.lifetime.check();
  }

  private isDrained(): boolean {
    for (const hub of this.hubs.list()) {
      for (const o of hub.view().outputs) if (hub.hasPending(o.id)) return false;
    }
    return true;
  }

  async listen(): Promise<void> {
    ensureIoDir(this.opts.ioDir, { share: this.opts.share });
    if (this.opts.noListen) return;
    await this.doors.open();
    if (this.opts.stallTimeoutMs > 0) this.stallTimer = setInterval(() => this.dropStalled(), Math.min(STALL_CHECK_MS, Math.max(10, this.opts.stallTimeoutMs / 10))).unref();
  }

  /** Start mirroring hubs to NATS; called once the default session is wired, so its first bytes go too. */
  async startNats(): Promise<void> {
    if (!this.opts.nats) return;
    // Loaded only when asked for, as the WebSocket listener is: they are much of an idle server's RSS.
    const { NatsBridge } = require('./nats.js') as typeof import('./nats.js');
    const bridge = new NatsBridge(this, this.opts.nats);
    await bridge.start();
    this.nats = bridge;
  }

  /**
   * Paranoid pacing waits for the slowest reader, and fast pacing for a
   * host's shell's stdin; a client that stopped reading would hold every
   * writer forever. One that has held a blocked hub for --stall-timeout is
   * dropped, and the log says so. (A session's own stdin is the server's.)
   */
  private dropStalled(): void {
    const now = Date.now();
    for (const e of this.endpoints.all()) {
      const since = e.stalledSince?.();
      const hub = this.hubs.get(e.hub);
      // in fast mode only a client that holds writers (a host's shell's stdin) can stall them
      if (!since || !hub || !hub.isBlocked || now - since < this.opts.stallTimeoutMs || (hub.pacing !== 'paranoid' && e.holds !== true)) continue;
      // the limit, not the time measured: the check comes up to a tenth of it late
      const limit = this.opts.stallTimeoutMs / 1000;
      const why = `read nothing of hub ${e.hub} for ${limit} s while ${hub.pacing === 'paranoid' ? 'paranoid ' : ''}writers waited; dropped (--stall-timeout ${limit})`;
      this.log.event(`${e.owner}: ${why}`);
      e.kill(why);
    }
  }

  /** quit() has been called, or asked for by a command: the server is on its way out. */
  get isQuitting(): boolean {
    return this.quitting !== null || this.quitAsked !== null;
  }

  /**
   * Quit once the reply to the command that asked for it is out (ctl quit);
   * from now on other commands are refused, and the reason is this one.
   */
  quitSoon(reason: string): void {
    if (this.isQuitting) return;
    this.quitAsked = reason;
    setImmediate(() => void this.quit(reason));
  }

  /** End the server: HUP sessions, KILL after GRACE_MS, tell clients, remove the socket. */
  quit(reason: string): Promise<void> {
    this.quitting ??= this.doQuit(this.quitAsked ?? reason);
    return this.quitting;
  }

  private async doQuit(reason: string): Promise<void> {
    this.log.event(`quit: ${reason}`);
    this.lifetime.stop();
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.doors.close();
    const exited = (): boolean => this.sessions.size === 0;
    // Told first: a session hanging up ends its hubs, and an attached client leaves at that end of stream.
    for (const c of this.clients) c.quitting?.(`server quit (${reason})`);
    for (const s of this.sessions.values()) signalGroup(s.pid, 'SIGHUP');
    if (!(await waitUntil(exited, GRACE_MS))) {
      for (const s of this.sessions.values()) {
        this.log.event(`session on trihub ${s.trihub} (pid ${s.pid}) ignored HUP; KILL`);
        signalGroup(s.pid, 'SIGKILL');
      }
      await waitUntil(exited, GRACE_MS);
    }
    await this.nats?.close();
    for (const c of [...this.clients]) c.close(`server quit (${reason})`);
    // What the pumps handed to a socket is that reader's: the process must not
    // exit under it. Each closing wire flushes, and drops a peer whose queue
    // stops moving, so this ends; DRAIN_MAX_MS bounds a reader that crawls.
    this.doors.dropUngreeted();
    await waitUntil(() => this.doors.isEmpty, DRAIN_MAX_MS);
    this.doors.finish();
    this.log.event('stopped');
    this.resolveDone();
  }
}

/** Resolves true once cond() holds (checked every 10 ms), or false after maxMs. */
function waitUntil(cond: () => boolean, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  return new Promise((resolve) => {
    const check = (): void => {
      if (cond()) resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else setTimeout(check, 10);
    };
    check();
  });
}

/** Start a server: listening, with its default session, when the promise resolves. */
export async function startServer(opts: ServerOptions): Promise<Server> {
  const server = new Server(opts);
  await server.listen();
  server.log.event(`iosrv ${server.name} started: pid ${process.pid}, ${server.doors.socketFile ?? 'no socket'}, ${opts.pacing}, buffer ${opts.bufferBytes}, hubs ${opts.maxHubs}`);
  try {
    // The bridge's outputs join before the session's first byte, so nothing it says is missed.
    await server.startNats();
  } catch (err) {
    await server.quit((err as Error).message.replace(/^io: /, ''));
    throw err;
  }
  if (!opts.noSession) {
    const reply = server.spawn(0, opts.cmd, undefined, 'iosrv');
    if (reply !== 'ok') {
      await server.quit(`default session failed: ${reply}`);
      throw new CtlError(reply);
    }
  }
  return server;
}
