// nats.ts — following a hub through NATS JetStream, never touching the server.
//
// followHub() reads `io.NAME.hub.N` from the session's stream with an ordered
// consumer: what the stream still holds first, then live, in order. Each
// message says the hub offset of its first byte (Io-Offset), so a reader that
// fell behind the stream's discard learns exactly how many bytes it lost, as
// a local reader would; an Io-Eof message is the end of stream.
//
// Not here: publishing (server/nats.ts), printing (cli/).

import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { IoError } from '../core/errors.js';
import { natsInSubject, natsStream, natsSubject } from '../core/address.js';

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
  try {
    return await connect({
      servers: t.servers,
      name: `io ${t.name}`,
      timeout: 5000,
      maxReconnectAttempts: -1,
      ...(t.creds ? { authenticator: credsAuthenticator(readFileSync(t.creds)) } : {}),
    });
  } catch (err) {
    throw new IoError('IO_ERR_NO_SERVER', `io: nats ${t.servers.join(',')}: ${(err as Error).message}`);
  }
}

/** Follow hub N of a session from its stream; resolves when the stream ends (eof) or the connection closes. */
export async function followHub(nc: NatsConnection, name: string, hub: number, on: HubFollower): Promise<void> {
  const js = jetstream(nc);
  let consumer;
  try {
    consumer = await js.consumers.get(natsStream(name), { filter_subjects: natsSubject(name, hub) });
  } catch (err) {
    throw new IoError('IO_ERR_NO_SERVER', `io: nats: session ${name}: ${(err as Error).message} (is its server started with --nats?)`);
  }
  const messages = await consumer.consume();
  let expected: number | null = null;
  for await (const m of messages) {
    const offset = Number(m.headers?.get('Io-Offset') ?? NaN);
    const isEof = m.headers?.get('Io-Eof') === '1';
    if (Number.isFinite(offset)) {
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
}

/** Type into hub N through NATS (the server feeds it only with --nats-write). */
export function natsWrite(nc: NatsConnection, name: string, hub: number, bytes: Uint8Array): void {
  nc.publish(natsInSubject(name, hub), bytes);
}
