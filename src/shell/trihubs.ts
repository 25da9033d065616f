// trihubs.ts — what the shell knows of a server's trihubs, from its hello or
// its status: what runs on one (a session, a host, one that has ended), and
// the lines of `list`.
//
// Not here: asking the server (shell.ts), moving between trihubs.

import type { Hello } from '../sys/handshake.js';

/** What the shell reads of the server's status (ctl status, JSON). */
export interface Status {
  pacing: string;
  sessions: { trihub: number; pid: number; pty: boolean; cmd: string }[];
  hosts: { trihub: number; pid: number; pty?: boolean }[];
  ended?: Ended[];
}

type Ended = { trihub: number; code: number | null; signal: string | null };

export interface TrihubInfo {
  trihub: number;
  pty: boolean;
  cmd: string;
  /** The session has exited already ('status 3', 'signal SIGKILL'): what it wrote is still there to read. */
  ended?: string;
}

/** How a session ended, as said: `status 3`, `signal SIGKILL`. */
export function howEnded(e: Ended): string {
  return e.signal ? `signal ${e.signal}` : `status ${e.code}`;
}

/**
 * A trihub the server's hello named: the first attach needs no status round
 * trip. One whose session has exited already (`io -a -c CMD` with a short CMD)
 * is entered all the same, to show what it wrote.
 */
export function fromHello(hello: Hello, trihub: number): TrihubInfo | null {
  const session = hello.sessions.find((x) => x.trihub === trihub);
  if (session) return { trihub, pty: session.pty, cmd: session.cmd };
  if (hello.hosts?.some((x) => x.trihub === trihub)) return { trihub, pty: true, cmd: 'host' };
  const ended = hello.ended?.find((x) => x.trihub === trihub);
  return ended ? { trihub, pty: ended.pty, cmd: ended.cmd, ended: howEnded(ended) } : null;
}

/** A trihub as the server's status has it now. */
export function fromStatus(s: Status, trihub: number): TrihubInfo | null {
  const session = s.sessions.find((x) => x.trihub === trihub);
  if (session) return { trihub, pty: session.pty, cmd: session.cmd };
  const host = s.hosts.find((x) => x.trihub === trihub);
  return host ? { trihub, pty: host.pty ?? true, cmd: 'host' } : null;
}

/** The `list` command's lines, the trihub this client is on starred. */
export function listLines(s: Status, current: number): string {
  const lines = s.sessions.map((x) => `trihub ${x.trihub}: ${x.cmd} (pid ${x.pid}, ${x.pty ? 'pty' : 'pipes'})${x.trihub === current ? ' *' : ''}`);
  for (const h of s.hosts) lines.push(`trihub ${h.trihub}: host (pid ${h.pid}, elsewhere)${h.trihub === current ? ' *' : ''}`);
  return lines.join('\n') || 'io: no sessions';
}
