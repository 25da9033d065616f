// options.ts — everything a server is started with: one shape, filled by the cli.
//
// Every limit here is a named option of iosrv and io (cli/options.ts).

import type { Pacing } from '../core/hub.js';
import type { Log } from './log.js';
import type { NatsOptions } from './nats.js';
import type { ListenOptions } from './websocket.js';

export interface ServerOptions {
  name: string;
  ioDir: string;
  /** The default session's command; null runs the shell. */
  cmd: string | null;
  /** -d: no default session; live until quit. */
  noSession: boolean;
  /** -s: no socket (the -i console only). */
  noListen: boolean;
  /** true/false forces a pty or pipes; undefined: a pty for the shell, pipes for -c. */
  usePty: boolean | undefined;
  pacing: Pacing;
  paceMs: number;
  bufferBytes: number;
  maxHubs: number;
  maxFrameBytes: number;
  share: boolean;
  /** --listen: the WebSocket listener's address and TLS files. */
  listen: ListenOptions | null;
  /** --token-file: more tokens, one `ROLE TOKEN` a line. */
  tokenFile: string | null;
  /** --max-clients: connections beyond this are refused with one line. */
  maxClients: number;
  /** --stall-timeout: in paranoid mode, a reader that holds every writer this long is dropped (0: never). */
  stallTimeoutMs: number;
  /** --nats: mirror hubs into a JetStream stream. */
  nats: NatsOptions | null;
  env: NodeJS.ProcessEnv;
  log: Log;
}
