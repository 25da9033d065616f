// local.ts — a host process: a shell on THIS machine wired to a server's trihub.
//
// For `local N` and `here`: the shell runs on a pty here; what it writes goes
// into hub N+1 of the server, what hub N carries is typed into it, and the
// server forwards the window size of whoever types last. It outlives the
// ioshell that started it, until its shell exits or the server goes away.

import type { Client } from '../client/client.js';
import { IoError } from '../core/errors.js';
import { sessionMark } from '../core/inside.js';
import { spawnPty } from '../sys/pty.js';

/** While it reads nothing from the server, a host pings it this often, to learn if it has gone. */
const PAUSED_PING_MS = 1000;

/** Serve trihub N from a shell here; resolves with its exit status when it ends. */
export async function runHost(client: Client, trihub: number, cmd: string | null, ready: (err: string | null) => void): Promise<number> {
  const proc = spawnPty({ cmd, env: { ...process.env, IO_SESSION: sessionMark(client.hello.name, client.hello.pid, trihub) } }, { cols: 80, rows: 24 });
  // What the shell says before it is wired (its prompt) waits in the pty, not lost.
  proc.pause();
  const reply = await client.host(trihub, proc.pid);
  if (reply !== 'ok') {
    proc.signal('SIGKILL');
    ready(reply);
    throw new IoError('IO_ERR_HUB', reply);
  }
  return new Promise((resolve) => {
    // A shell that does not read its input: stop reading the server (it skips
    // ahead, or holds the writers, as for any slow reader) rather than queue
    // without end here. Not reading, the host would not see the server go (a
    // quit, a crash) and its shell would run on for ever: it pings meanwhile.
    let pinging: NodeJS.Timeout | null = null;
    const pauseServer = (): void => {
      client.pause();
      pinging ??= setInterval(() => client.ping(), PAUSED_PING_MS);
    };
    const stopPinging = (): void => {
      if (pinging) clearInterval(pinging);
      pinging = null;
    };
    const resumeServer = (): void => {
      stopPinging();
      client.resume();
    };
    client.on({
      data: (hub, bytes) => {
        if (hub === trihub && !proc.write(bytes)) pauseServer();
      },
      resize: (_t, cols, rows) => proc.resize(cols, rows),
      close: () => {
        stopPinging();
        proc.signal('SIGHUP');
      },
    });
    client.subscribe(trihub, { fromNew: true });
    proc.onStdout((bytes) => {
      if (!client.write(trihub + 1, bytes)) proc.pause();
    });
    proc.resume();
    client.onDrain(() => proc.resume());
    proc.onDrain(resumeServer);
    proc.onExit((code) => {
      stopPinging();
      client.endInput(trihub + 1);
      client.close();
      resolve(code ?? 0);
    });
    ready(null);
  });
}
