// nats.ts — real nats-server processes for the NATS bridge tests.
//
// startNats() runs one nats-server on free loopback ports (client, monitor)
// with JetStream on and its store in a temp dir; startNatsCluster() runs
// three of them routed to each other as cluster C and returns once the
// cluster has a JetStream meta leader. Each node is written as a config file
// (the shape docs/scale.md shows), so kill() and start() bring the same node
// back on the same ports with the same store: a restart, not a new server.
//
// Every nats-server started here is SIGKILLed and its dir removed by the
// scope, whatever the test did. Not here: iosrv (helpers/server.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { Scope } from './scope.js';
import { waitFor } from './until.js';

export const NATS_SERVER = process.env['NATS_SERVER'] ?? '/usr/sbin/nats-server';

const givenPorts = new Set<number>();

/**
 * A port nobody listens on right now (bound on 127.0.0.1 and let go), and
 * never one this process handed out before: a node's ports stay its own
 * across a restart, and two nodes of a cluster never draw the same one.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    if (!givenPorts.has(port)) {
      givenPorts.add(port);
      return port;
    }
  }
}

export interface NatsNodeOptions {
  /** Run JetStream (default true). */
  jetstream?: boolean;
  /** More config text, appended as is (accounts, authorization, limits). */
  extra?: string;
  /** More environment for nats-server (a config may name $VARIABLES from it). */
  env?: NodeJS.ProcessEnv;
}

/** One nats-server: its ports, its config file, its process while it runs. */
export class NatsNode {
  readonly name: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly clusterPort: number | null;
  readonly dir: string;
  readonly configFile: string;
  child: ChildProcess | null = null;
  private logText = '';
  private readonly env: NodeJS.ProcessEnv;

  constructor(o: { name: string; port: number; monitorPort: number; clusterPort: number | null; dir: string; config: string; env?: NodeJS.ProcessEnv }) {
    this.name = o.name;
    this.port = o.port;
    this.monitorPort = o.monitorPort;
    this.clusterPort = o.clusterPort;
    this.dir = o.dir;
    this.configFile = join(o.dir, `${o.name}.conf`);
    this.env = { ...process.env, ...o.env };
    writeFileSync(this.configFile, o.config);
  }

  /** nats://127.0.0.1:PORT */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** 127.0.0.1:PORT, as io's nats:// targets take it. */
  get hostPort(): string {
    return `127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the server has logged, all runs. */
  log(): string {
    return this.logText;
  }

  /** Start (or restart) the node; resolves once it takes client connections. */
  async start(timeoutMs = 8000): Promise<void> {
    if (this.isRunning) return;
    const child = spawn(NATS_SERVER, ['-c', this.configFile], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const onLog = (b: Buffer): void => void (this.logText += b.toString());
    child.stdout!.on('data', onLog);
    child.stderr!.on('data', onLog);
    let exited = false;
    child.once('exit', () => (exited = true));
    const runs = this.logText.split('Server is ready').length;
    await waitFor(
      () => {
        if (exited) throw new Error(`nats-server ${this.name} exited: ${this.logText.slice(-2000)}`);
        return this.logText.split('Server is ready').length > runs;
      },
      { timeoutMs, what: `nats-server ${this.name} to be ready` },
    );
  }

  /** SIGKILL, and wait until it is gone (its port is free again). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.isRunning) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  /** The monitoring endpoint's JSON (varz, connz, jsz …). */
  async monitor(path: string): Promise<unknown> {
    const res = await fetch(`http://127.0.0.1:${this.monitorPort}/${path}`);
    return res.json();
  }
}

async function makeNode(dir: string, name: string, o: NatsNodeOptions & { clusterPort?: number; routes?: number[] }): Promise<NatsNode> {
  const port = await freePort();
  const monitorPort = await freePort();
  const store = join(dir, `${name}-store`);
  const lines = [`server_name: ${name}`, `listen: 127.0.0.1:${port}`, `http: 127.0.0.1:${monitorPort}`];
  if (o.jetstream ?? true) lines.push(`jetstream {\n  store_dir: "${store}"\n  max_memory_store: 256MB\n  max_file_store: 1GB\n}`);
  if (o.clusterPort) {
    const routes = (o.routes ?? []).map((p) => `    nats-route://127.0.0.1:${p}`).join('\n');
    lines.push(`cluster {\n  name: C\n  listen: 127.0.0.1:${o.clusterPort}\n  routes: [\n${routes}\n  ]\n}`);
  }
  if (o.extra) lines.push(o.extra);
  return new NatsNode({ name, port, monitorPort, clusterPort: o.clusterPort ?? null, dir, config: `${lines.join('\n')}\n`, ...(o.env ? { env: o.env } : {}) });
}

function natsDir(scope: Scope): string {
  const dir = mkdtempSync(join(tmpdir(), 'iot-nats-'));
  scope.defer(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function killOnCleanup(scope: Scope, nodes: NatsNode[]): void {
  scope.defer(() => Promise.all(nodes.map((n) => n.kill())));
}

/** One nats-server on loopback, JetStream on unless told otherwise; killed on cleanup. */
export async function startNats(scope: Scope, o: NatsNodeOptions = {}): Promise<NatsNode> {
  const dir = natsDir(scope);
  const node = await makeNode(dir, 'n1', o);
  killOnCleanup(scope, [node]);
  await node.start();
  return node;
}

/** Three nats-servers routed as cluster C; resolves once JetStream answers (a meta leader is elected). */
export async function startNatsCluster(scope: Scope, o: NatsNodeOptions = {}): Promise<NatsNode[]> {
  const dir = natsDir(scope);
  const clusterPorts = [await freePort(), await freePort(), await freePort()];
  const nodes: NatsNode[] = [];
  for (const [i, cp] of clusterPorts.entries()) {
    nodes.push(await makeNode(dir, `n${i + 1}`, { ...o, clusterPort: cp, routes: clusterPorts.filter((p) => p !== cp) }));
  }
  killOnCleanup(scope, nodes);
  await Promise.all(nodes.map((n) => n.start()));
  await waitMetaLeader(scope, nodes);
  return nodes;
}

/** A test's own connection to NATS (for stream info, publishing as a client would); closed on cleanup. */
export async function natsClient(scope: Scope, nodes: NatsNode[], opts: { user?: string; pass?: string; token?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: nodes.map((n) => n.url), maxReconnectAttempts: -1, reconnectTimeWait: 200, timeout: 3000, ...opts });
  scope.defer(() => nc.close());
  return nc;
}

/** A JetStream manager on nodes (with a short request timeout, so a poll can retry). */
export function jsmOf(nc: NatsConnection): Promise<JetStreamManager> {
  return jetstreamManager(nc, { timeout: 1500 });
}

/** Wait until JetStream answers account info on every node: the meta group has a leader. */
export async function waitMetaLeader(scope: Scope, nodes: NatsNode[], timeoutMs = 15_000): Promise<void> {
  const live = nodes.filter((n) => n.isRunning);
  const ncs = await Promise.all(live.map((n) => natsClient(scope, [n])));
  await waitFor(
    async () => {
      for (const nc of ncs) await (await jsmOf(nc)).getAccountInfo();
      return true;
    },
    { timeoutMs, what: 'a JetStream meta leader' },
  );
  await Promise.all(ncs.map((nc) => nc.close()));
}
