// control.ts — what each ctl command does: the only code that acts on a CtlCommand.
//
// runCtl() parses a line (core/ctl.ts) and does it. Every command answers one
// reply: 'ok', an error line `io: <what>: <why>`, or for status/hNv a text
// table (or JSON when asked). A new verb in ctl.ts is a compile error here
// until it has its case.

import { CtlError, assertNever } from '../core/errors.js';
import { parseCtl, type CtlCommand } from '../core/ctl.js';
import type { Hub } from '../core/hub.js';
import { formatSize } from '../core/size.js';
import { signalGroup } from '../sys/proc.js';
import { endpointName, type Endpoint, type EndpointKind, type Side } from './endpoints.js';
import type { Server } from './server.js';

export function runCtl(server: Server, line: string, json: boolean): string {
  const cmd = parseCtl(line, server.hubs.maxHubs);
  if (cmd instanceof CtlError) return cmd.message;
  // after quit, nothing is done: a fear or an h1c behind it in the same batch would be lost in the going
  if (server.isQuitting) return `io: ${server.name}: quitting`;
  const reply = run(server, cmd, json, line.trim());
  if (reply !== 'ok' && reply.startsWith('io:')) server.log.debug(`ctl ${line.trim()}: ${reply}`);
  return reply;
}

function run(server: Server, cmd: CtlCommand, json: boolean, line: string): string {
  const { hubs, log } = server;
  switch (cmd.verb) {
    case 'fear':
    case 'calm':
      hubs.pacing = cmd.verb === 'fear' ? 'paranoid' : 'fast';
      log.event(`pacing ${hubs.pacing}`);
      return 'ok';
    case 'quit':
      server.quitSoon('ctl quit');
      return 'ok';
    case 'debug':
    case 'shutup':
      log.verbose = cmd.verb === 'debug';
      log.event(`verbose logging ${log.verbose ? 'on' : 'off'}`);
      return 'ok';
    case 'trunc':
    case 'notrunc':
      hubs.isTrunc = cmd.verb === 'trunc';
      return 'ok';
    case 'status':
      return json ? JSON.stringify(statusJson(server)) : statusText(server);
    case 'eof': {
      const s = server.sessions.get(cmd.hub);
      if (!s) return `io: eof ${cmd.hub}: no session process reads hub ${cmd.hub}`;
      // after what was written into the hub, and what its writers have given that waits for room
      let held = 0;
      for (const e of server.endpoints.all()) if (e.hub === cmd.hub && e.kind === 'in') held += e.heldBytes?.() ?? 0;
      s.endInputAt((server.hubs.get(cmd.hub)?.bytesIn ?? 0) + held);
      return 'ok';
    }
    case 'signal': {
      const s = server.sessions.get(cmd.trihub);
      if (!s) return `io: signal ${cmd.trihub} ${cmd.signal}: no session on trihub ${cmd.trihub}`;
      s.proc.signal(`SIG${cmd.signal}`);
      log.event(`signal ${cmd.signal} to the session on trihub ${cmd.trihub}`);
      return 'ok';
    }
    case 'pace':
      return withHub(server, line, cmd.hub, (hub) => {
        hub.paceMs = cmd.ms;
      });
    case 'clear':
      return withHub(server, line, cmd.hub, (hub) => hub.clear());
    case 'start':
      hubs.open(cmd.hub);
      return addNamed(server, line, cmd.hub, 'in', cmd.n);
    case 'addOutput':
    case 'addError':
    case 'addInput':
      if (!hubs.get(cmd.hub)) return `io: ${line}: hub ${cmd.hub} not started (h${cmd.hub}s${cmd.n} starts it)`;
      return addNamed(server, line, cmd.hub, cmd.verb === 'addOutput' ? 'out' : cmd.verb === 'addError' ? 'err' : 'in', cmd.n);
    case 'free':
    case 'kill':
      return withEndpoints(server, line, cmd.hub, cmd.n, undefined, (e) => {
        if (e.fixed) return `io: ${line}: ${e.fixed}`;
        return cmd.verb === 'free' ? e.free() : e.kill();
      });
    case 'killReader':
    case 'killWriter':
      return withEndpoints(server, line, cmd.hub, cmd.n, cmd.verb === 'killReader' ? 'out' : 'in', (e) => {
        if (e.pid === undefined) return `io: ${line}: ${endpointName(e)} has no ${cmd.verb === 'killWriter' ? 'writing' : 'reading'} process io knows of`;
        signalGroup(e.pid, 'SIGKILL');
        log.event(`${line}: killed pid ${e.pid}`);
        return undefined;
      });
    case 'remove':
      return removeHub(server, line, cmd.hub);
    case 'view':
      return withHub(server, line, cmd.hub, (hub) => (json ? JSON.stringify(viewJson(server, hub)) : viewText(server, hub)));
    default:
      return assertNever(cmd);
  }
}

/** Run fn on a started hub; its string is the reply, else 'ok'. */
function withHub(server: Server, line: string, n: number, fn: (hub: Hub) => string | void): string {
  const hub = server.hubs.get(n);
  if (!hub) return `io: ${line}: hub ${n} not started`;
  return fn(hub) ?? 'ok';
}

/** Run fn on the endpoints numbered n (on one side, or both); the first error is the reply. */
function withEndpoints(server: Server, line: string, hub: number, n: number, side: Side | undefined, fn: (e: Endpoint) => string | void | undefined): string {
  const ends = server.endpoints.find(hub, n, side);
  if (ends.length === 0) return `io: ${line}: hub ${hub} has no ${side === 'in' ? 'input' : side === 'out' ? 'output' : 'endpoint'} ${n}`;
  // HNinM and HNoutM may both be there: the command is done if it could be done to either.
  const errors = ends.map((e) => fn(e)).filter((r): r is string => typeof r === 'string');
  return errors.length === ends.length ? errors[0]! : 'ok';
}

function addNamed(server: Server, line: string, hub: number, kind: EndpointKind, n: number): string {
  const e = server.endpoints.add({ hub, kind, n, owner: 'named', free: () => server.endpoints.delete(e!), kill: () => server.endpoints.delete(e!) });
  return e ? 'ok' : `io: ${line}: hub ${hub} already has ${endpointName({ hub, kind, n })}`;
}

function removeHub(server: Server, line: string, n: number): string {
  if (!server.hubs.get(n)) return `io: ${line}: hub ${n} not started`;
  const trihub = n - (n % 3);
  if (server.sessions.has(trihub)) return `io: ${line}: hub ${n} is wired to the session on trihub ${trihub} (end it first)`;
  for (const e of server.endpoints.dropHub(n)) e.kill(`hub ${n}: removed (${line})`);
  server.hubs.remove(n);
  return 'ok';
}

function hubLine(hub: Hub): string {
  const v = hub.view();
  const lag = v.outputs.reduce((max, o) => Math.max(max, o.lagBytes), 0);
  return `hub ${v.hub}: ${v.pacing}, pace ${v.paceMs} ms, held ${v.heldBytes}/${formatSize(v.bufferBytes)}, inputs ${v.inputs.length}, outputs ${v.outputs.length}, slowest lag ${lag}${v.ended ? ', ended' : ''}`;
}

function statusText(server: Server): string {
  const up = Math.round((Date.now() - server.startedAt) / 1000);
  const lines = [`io ${server.name}: pid ${process.pid}, ${server.hubs.pacing}, ${server.hubs.isTrunc ? 'trunc' : 'notrunc'}, clients ${server.clients.size}, up ${up}s`];
  for (const s of server.sessions.values()) lines.push(`trihub ${s.trihub}: session pid ${s.pid}, ${s.hasPty ? `pty ${s.cols}x${s.rows}` : 'pipes'}, ${s.cmd}`);
  for (const [t, h] of server.hosts) lines.push(`trihub ${t}: host pid ${h.pid} (${h.label})`);
  const n = server.nats?.status();
  if (n) lines.push(`nats: ${n.state}, ${n.servers.join(',')}, hubs ${n.hubs.join(',')}, published ${n.publishedBytes}, unflushed ${n.unflushedBytes}, dropped ${n.droppedBytes}`);
  for (const hub of server.hubs.list()) lines.push(hubLine(hub));
  return lines.join('\n');
}

function statusJson(server: Server): object {
  return {
    name: server.name,
    pid: process.pid,
    pacing: server.hubs.pacing,
    trunc: server.hubs.isTrunc,
    clients: server.clients.size,
    startedAt: server.startedAt,
    sessions: [...server.sessions.values()].map((s) => ({ trihub: s.trihub, pid: s.pid, pty: s.hasPty, cols: s.hasPty ? s.cols : null, rows: s.hasPty ? s.rows : null, cmd: s.cmd })),
    hosts: [...server.hosts].map(([trihub, h]) => ({ trihub, pid: h.pid, pty: true })),
    ended: server.endedSessions,
    nats: server.nats?.status() ?? null,
    hubs: server.hubs.list().map((hub) => {
      const v = hub.view();
      return { hub: v.hub, pacing: v.pacing, paceMs: v.paceMs, heldBytes: v.heldBytes, bufferBytes: v.bufferBytes, inputs: v.inputs.length, outputs: v.outputs.length, slowestLagBytes: v.outputs.reduce((m, o) => Math.max(m, o.lagBytes), 0) };
    }),
  };
}

function viewJson(server: Server, hub: Hub): object {
  const v = hub.view();
  const byOwner = new Map(v.outputs.map((o) => [o.name, o]));
  return {
    ...v,
    endpoints: server.endpoints.list(hub.id).map((e) => {
      const o = e.kind === 'in' ? undefined : byOwner.get(e.owner);
      return { name: endpointName(e), n: e.n, kind: e.kind, owner: e.owner, ...(e.pid === undefined ? {} : { pid: e.pid }), ...(o ? { lagBytes: o.lagBytes, lostBytes: o.lostBytes } : {}) };
    }),
  };
}

function viewText(server: Server, hub: Hub): string {
  const v = viewJson(server, hub) as ReturnType<Hub['view']> & { endpoints: { name: string; owner: string; pid?: number; lagBytes?: number; lostBytes?: number }[] };
  const lines = [`${hubLine(hub)}, bytes in ${v.bytesIn}`];
  for (const e of v.endpoints) {
    const pid = e.pid === undefined ? '' : ` pid ${e.pid}`;
    const lag = e.lagBytes === undefined ? '' : ` lag ${e.lagBytes} lost ${e.lostBytes}`;
    lines.push(`  ${e.name} ${e.owner}${pid}${lag}`);
  }
  return lines.join('\n');
}
