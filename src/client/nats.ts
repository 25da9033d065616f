// nats.ts — following a hub through NATS JetStream, never touching the server.
//
// followHub() reads `io.NAME.hub.N` from the session's stream with an ordered
// consumer: what the stream still holds first, then live, in order. Each
// message says the hub offset of its first byte (Io-Offset), so a reader that
// fell behind the stream's discard learns exactly how many bytes it lost, as
// a local reader would; an Io-Eof message is the end of stream. A server of
// the same name started again (a new Io-Run) starts its offsets at 0: the
// reader goes on with its bytes, as `tail -F` goes on with a new file.
//
// Not here: publishing (server/nats.ts), printing (cli/).

import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { IoError } from '../core/errors.js';
import { natsAuth, natsInSubject, natsStream, natsSubject, subjectMatches } from '../core/address.js';

export interface HubFollower {
  data: (bytes: Uint8Array) => void;
  gap: (lostBytes: number) => void;
  eof: () => void;
}

export interface NatsTarget {
  servers: string[];
  name: string;
  creds?: string | null;
}

export async function natsConnect(t: NatsTarget): Promise<NatsConnection> {
  const { servers, auth } = natsAuth(t.servers);
  try {
    return await connect({
      servers,
      ...auth,
      name: `io ${t.name}`,
      timeout: 5000,
      maxReconnectAttempts: -1,
      ...(t.creds ? { authenticator: credsAuthenticator(readFileSync(t.creds)) } : {}),
    });
  } catch (err) {
    throw new IoError('IO_ERR_NO_SERVER', `io: nats ${servers.join(',')}: ${(err as Error).message}`);
  }
}

/** How long one pull waits on the server; its idle heartbeat is half of it. */
const PULL_EXPIRES_MS = 2000;
/** How long a JetStream API request (making a consumer) may take before it is tried again. */
const API_TIMEOUT_MS = 2000;
/** Heartbeats missed in a row before the consumer is given up and made again. */
const MISSED_HEARTBEATS_MAX = 2;
/** Between attempts to make a consumer while the stream has no leader (an election). */
const RETRY_MS = 500;

/** Follow hub N of a session from its stream; resolves when the stream ends (eof) or the connection closes. */
export async function followHub(nc: NatsConnection, name: string, hub: number, on: HubFollower): Promise<void> {
  const js = jetstream(nc, { timeout: API_TIMEOUT_MS });
  const stream = natsStream(name);
  const subject = natsSubject(name, hub);
  await checkMirrored(nc, name, hub);
  let expected: number | null = null;
  let run: string | null = null;
  // The stream sequence to go on from; 0: from the oldest message held.
  let nextSeq = 0;
  for (let attempt = 0; !nc.isClosed(); attempt++) {
    let consumer;
    try {
      consumer = await js.consumers.get(stream, { filter_subjects: subject, ...(nextSeq > 0 ? { opt_start_seq: nextSeq } : {}) });
    } catch (err) {
      if (attempt === 0) throw new IoError('IO_ERR_NO_SERVER', `io: nats: session ${name}: ${(err as Error).message} (is its server started with --nats?)`);
      await new Promise((r) => setTimeout(r, RETRY_MS));
      continue;
    }
    // An ordered consumer is one replica, on one node. When that node dies the
    // library asks after the consumer until the node is back, which may be
    // never: after missed heartbeats we make a new consumer from the next
    // sequence instead, on a node that is there. A short pull expiry makes
    // the heartbeat short (half of it), so that takes seconds, not a minute.
    const messages = await consumer.consume({ expires: PULL_EXPIRES_MS });
    let isLost = false;
    void (async () => {
      for await (const s of messages.status()) {
        if (s.type === 'heartbeats_missed' && s.count >= MISSED_HEARTBEATS_MAX) {
          isLost = true;
          messages.stop();
          return;
        }
      }
    })().catch(() => {});
    for await (const m of messages) {
      nextSeq = m.seq + 1;
      const offset = Number(m.headers?.get('Io-Offset') ?? NaN);
      const isEof = m.headers?.get('Io-Eof') === '1';
      const from = m.headers?.get('Io-Run') ?? '';
      if (from !== run) {
        run = from;
        expected = null;
      }
      if (Number.isFinite(offset)) {
        // bytes already given (a publish retried after its ack was lost) are not given twice
        if (!isEof && expected !== null && offset + m.data.length <= expected) continue;
        if (expected !== null && offset > expected) on.gap(offset - expected);
        expected = offset + (isEof ? 0 : m.data.length);
      }
      if (isEof) {
        on.eof();
        // the caller closes the connection; awaiting the consumer's own close can hang
        void messages.close().catch(() => {});
        return;
      }
      if (m.data.length > 0) on.data(m.data);
    }
    if (!isLost) return;
  }
}

/** A hub the session's stream does not carry would never say a word: refuse it, naming those it does. */
async function checkMirrored(nc: NatsConnection, name: string, hub: number): Promise<void> {
  let subjects: string[];
  try {
    // (checkAPI off: a reader's NATS user need not be allowed $JS.API.INFO)
    subjects = (await (await jetstreamManager(nc, { timeout: API_TIMEOUT_MS, checkAPI: false })).streams.info(natsStream(name))).config.subjects ?? [];
  } catch (err) {
    throw new IoError('IO_ERR_NO_SERVER', `io: nats: session ${name}: ${(err as Error).message} (is its server started with --nats?)`);
  }
  if (subjects.some((p) => subjectMatches(p, natsSubject(name, hub)))) return;
  const prefix = natsSubject(name, 0).replace(/0$/, '');
  const hubs = subjects.filter((s) => s.startsWith(prefix) && /^\d+$/.test(s.slice(prefix.length))).map((s) => s.slice(prefix.length));
  throw new IoError('IO_ERR_HUB', `io: nats: session ${name} mirrors hub${hubs.length === 1 ? '' : 's'} ${hubs.join(',') || 'none'}, not ${hub} (iosrv --nats-hubs)`);
}

/** Say on stderr when the connection to NATS goes and comes back: a reader that waits says why. */
export function sayConnection(nc: NatsConnection, say: (line: string) => void): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') say('io: nats: disconnected; reconnecting');
      else if (s.type === 'reconnect') say('io: nats: reconnected');
    }
  })().catch(() => {});
}

/** Type into hub N through NATS (the server feeds it only with --nats-write). */
export function natsWrite(nc: NatsConnection, name: string, hub: number, bytes: Uint8Array): void {
  nc.publish(natsInSubject(name, hub), bytes);
}
