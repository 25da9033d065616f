// words.ts — what a client command does: attach N, remote N, local N,
// detach, clear, hist, hub CMD, intr, status, list (core/words.ts parses them).
//
// The shell hands each command the moment's state and what it may do
// (WordContext); the answer, or the refusal, is said in one line.
//
// Not here: reading the command (shell.ts), moving to a trihub (shell.ts enter).

import type { Client } from '../client/client.js';
import type { Word } from '../core/words.js';
import { listLines, type Status } from './trihubs.js';

/** What a command may see and do, as the shell stands when it runs. */
export interface WordContext {
  client: Client;
  trihub: number;
  hubs: { in: number; out: number; err: number };
  isRawMode: boolean;
  history: readonly string[];
  /** local N: start a host process for trihub N on this machine (absent: not here). */
  startHost: ((trihub: number) => Promise<void>) | undefined;
  say(text: string): void;
  detach(): void;
  /** Move to trihub N: its hubs, its backlog, its modes. */
  enter(trihub: number): Promise<void>;
  /** The server's status, or null (said) when this client may not ask. */
  statusOf(): Promise<Status | null>;
}

export async function runWord(w: Word, x: WordContext): Promise<void> {
  const c = x.client;
  if ('n' in w && w.n + 2 >= c.hello.maxHubs) return x.say(`io: ${w.word} ${w.n}: trihub ${w.n} out of range (this server has hubs 0-${c.hello.maxHubs - 1})`);
  switch (w.word) {
    case 'detach':
      return x.detach();
    case 'attach':
      return x.enter(w.n);
    case 'remote': {
      const reply = await c.spawn(w.n);
      if (reply !== 'ok') return x.say(reply.replace(/^io: (?!remote )/, `io: remote ${w.n}: `));
      return x.enter(w.n);
    }
    case 'local': {
      if (!x.startHost) return x.say('io: local: not available here');
      await x.startHost(w.n);
      return x.enter(w.n);
    }
    case 'clear':
      for (const h of [0, 1, 2]) {
        const reply = await c.ctl(`h${h}c`);
        if (reply !== 'ok' && !reply.includes('not started')) return x.say(reply);
      }
      return;
    case 'hist':
      return x.say(x.history.map((l, i) => `${String(i + 1).padStart(4)}  ${l}`).join('\n') || 'io: no history yet');
    case 'hub':
      return x.say(await c.ctl(w.cmd));
    case 'intr': {
      const reply = await c.ctl(`signal ${x.trihub} INT`);
      return reply === 'ok' ? undefined : x.say(reply);
    }
    case 'status': {
      // the pacing now (fear, calm) when this client may ask; else as the hello said it
      const pacing = c.hello.role === 'control' ? ((await x.statusOf())?.pacing ?? c.hello.pacing) : c.hello.pacing;
      return x.say(`io: ${c.name}: server pid ${c.hello.pid}, trihub ${x.trihub} (hubs ${x.hubs.in} ${x.hubs.out} ${x.hubs.err}), ${pacing}, ${x.isRawMode ? 'raw (Ctrl-\\ detaches, Ctrl-] prompts)' : 'lines'}`);
    }
    case 'list': {
      // a client that may not ask lists what the server's hello named
      if (c.hello.role !== 'control') return x.say(`${listLines({ pacing: c.hello.pacing, sessions: c.hello.sessions, hosts: c.hello.hosts ?? [] }, x.trihub)}\n(as when this client attached)`);
      const s = await x.statusOf();
      return s ? x.say(listLines(s, x.trihub)) : undefined;
    }
  }
}
