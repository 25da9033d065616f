// list.ts — the sessions in IO_DIR, for `io ls`.
//
// Each socket is probed: a live server is asked its status; a stale socket
// (nobody listening) is removed and reported as such.

import { readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { probeSocket, removeStale } from '../sys/socket.js';
import { checkIoDir } from '../sys/iodir.js';
import { attach } from './connect.js';

export interface SessionInfo {
  name: string;
  state: 'live' | 'stale' | 'silent';
  /** silent: why, as the server or the connection said it ('too many clients (limit 2)', 'no answer …'). */
  why?: string;
  pid?: number;
  hubs?: number;
  clients?: number;
  startedAt?: number;
  sessions?: { trihub: number; pid: number; pty: boolean; cmd: string }[];
}

export async function listSessions(ioDir: string): Promise<SessionInfo[]> {
  checkIoDir(ioDir);
  let names: string[];
  try {
    names = readdirSync(ioDir).sort();
  } catch {
    return [];
  }
  const out: SessionInfo[] = [];
  for (const name of names) {
    const path = join(ioDir, name);
    // gone since the directory was read: the files beside a stale socket removed just now, a server that quit
    if (!isSocket(path)) continue;
    const probe = await probeSocket(path, name);
    if (probe.state === 'stale') {
      removeStale(path);
      out.push({ name, state: 'stale' });
    } else if (probe.state === 'live') {
      out.push(await statusOf(name, path));
    }
  }
  return out;
}

function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

async function statusOf(name: string, path: string): Promise<SessionInfo> {
  try {
    const client = await attach(path);
    try {
      const s = JSON.parse(await client.ctl('status', { json: true })) as { pid: number; hubs: unknown[]; clients: number; startedAt: number; sessions: SessionInfo['sessions'] };
      // this connection is one of the clients it counts
      return { name, state: 'live', pid: s.pid, hubs: s.hubs.length, clients: s.clients - 1, startedAt: s.startedAt, ...(s.sessions ? { sessions: s.sessions } : {}) };
    } finally {
      client.close();
    }
  } catch (err) {
    const said = (err as Error).message;
    // said as `io: PATH: why` by this client, or `io: NAME: why` by the server
    const by = [`io: ${path}: `, `io: ${name}: `].find((p) => said.startsWith(p));
    const why = by ? said.slice(by.length) : said.replace(/^io: /, '');
    return { name, state: 'silent', why: /^no answer from the server/.test(why) ? `not answering (${why})` : why };
  }
}
