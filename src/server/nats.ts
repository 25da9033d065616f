// nats.ts — hubs carried by a NATS JetStream stream (--nats URL).
//
// The bridge is one more output of each mirrored hub. What it reads it
// publishes to `io.NAME.hub.N`, in a stream bounded like the ring (max_bytes
// = buffer × hubs, oldest discarded first), each message carrying the hub
// offset of its first byte (Io-Offset) so a reader knows exactly what it
// missed. End of stream is a message with the header Io-Eof. A server that
// starts finds the stream emptied of what an earlier server of that name left
// (its offsets start again at 0), and its messages carry Io-Run, which is its
// own, so a reader can tell a new server's bytes from an old one's.
//
// It never slows the session: its output always takes at once, and what NATS
// cannot take (slow, or down) beyond NATS_QUEUE_MAX_BYTES unflushed is
// dropped, counted, logged once a second and shown in status. The client
// reconnects by itself. With --nats-write, `io.NAME.in.N` is fed into hub N;
// a subscription cannot be paused, so what waits for a hub that takes nothing
// (a session that reads no input) stops at NATS_INPUT_MAX_BYTES, and the rest
// is dropped, counted and logged once a second too.
//
// Not here: reading a stream as a client (client/nats.ts).

import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { IoError } from '../core/errors.js';
import { natsAuth, natsStream, natsSubject, natsInSubject } from '../core/address.js';
import type { Feeder } from './feed.js';
import type { Server } from './server.js';

/** Bytes queued and not yet stored by the stream: past this, new output is dropped and counted. */
export const NATS_QUEUE_MAX_BYTES = 4 * 1024 * 1024;
/** Bytes typed through NATS (--nats-write) that may wait for a hub with no room; past this they are dropped. */
export const NATS_INPUT_MAX_BYTES = 1024 * 1024;
/** The most one message carries: queued bytes of one hub are sent together up to this. */
const MESSAGE_MAX_BYTES = 256 * 1024;
/** How long to wait for the stream's ack before sending the same message again. */
const ACK_TIMEOUT_MS = 2000;
/** Between attempts while the stream cannot take a message (no leader, disconnected). */
const RETRY_MS = 250;
const CONNECT_TIMEOUT_MS = 5000;
/** How long close() waits for the queue to reach the stream. */
const CLOSE_GRACE_MS = 2000;
/** The body of the end-of-stream message; readers know it by its Io-Eof header, not by this. */
export const EOF_PAYLOAD = new TextEncoder().encode('eof');

export interface NatsOptions {
  servers: string[];
  /** Hubs to mirror; default: the output hubs of trihub 0. */
  hubs: number[];
  /** Feed io.NAME.in.N into hub N. */
  write: boolean;
  creds: string | null;
  replicas: number;
}

/** Output of one hub waiting for the stream: contiguous bytes from offset, or its end. */
interface Pending {
  subject: string;
  offset: number;
  chunks: Uint8Array[];
  bytes: number;
  eof: boolean;
}

export class NatsBridge {
  private readonly server: Server;
  private readonly opts: NatsOptions;
  private nc: NatsConnection | null = null;
  /** This server's run, in Io-Run and every Nats-Msg-Id: its offsets are not an earlier server's. */
  private readonly run = `${process.pid.toString(36)}.${Date.now().toString(36)}`;
  private state = 'connecting';
  private publishedBytes = 0;
  private droppedBytes = 0;
  /** Bytes typed through NATS that a hub had no room for, and how many of them the log has said. */
  private inputDroppedBytes = 0;
  private inputDroppedLogged = 0;
  private droppedLogged = 0;
  private js: JetStreamClient | null = null;
  private readonly queue: Pending[] = [];
  private queuedBytes = 0;
  private isSending = false;
  private isClosed = false;
  private logTimer: NodeJS.Timeout | null = null;
  private sub: Subscription | null = null;
  private readonly closers: (() => void)[] = [];

  private readonly auth: { user?: string; pass?: string; token?: string };

  constructor(server: Server, opts: NatsOptions) {
    this.server = server;
    // credentials in the URLs go to connect(), never to the log or status
    const { servers, auth } = natsAuth(opts.servers);
    this.opts = { ...opts, servers };
    this.auth = auth;
  }

  /** Connect, make the stream, start mirroring. Rejects with one line when NATS or JetStream is not there. */
  async start(): Promise<void> {
    const where = this.opts.servers.join(',');
    try {
      this.nc = await connect({
        servers: this.opts.servers,
        name: `iosrv ${this.server.name}`,
        timeout: CONNECT_TIMEOUT_MS,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        ...this.auth,
        ...(this.opts.creds ? { authenticator: credsAuthenticator(readFileSync(this.opts.creds)) } : {}),
      });
    } catch (err) {
      throw new IoError('IO_ERR_NO_SERVER', `io: nats ${where}: ${(err as Error).message}`);
    }
    const nc = this.nc;
    try {
      await this.ensureStream(nc, true);
    } catch (err) {
      await nc.close();
      const text = (err as Error).message;
      const why = /jetstream (is )?not enabled|503|no responders/i.test(text) ? 'JetStream is not enabled there (start nats-server with -js)' : text;
      throw new IoError('IO_ERR_NO_SERVER', `io: nats ${where}: ${why}`);
    }
    this.js = jetstream(nc, { timeout: ACK_TIMEOUT_MS });
    this.state = 'connected';
    void this.watchStatus(nc);
    for (const n of this.opts.hubs) this.mirror(n);
    if (this.opts.write) this.listenInputs(nc);
    this.logTimer = setInterval(() => this.logDrops(), 1000).unref();
    this.server.log.event(`nats: mirroring hubs ${this.opts.hubs.join(',')} to ${where} (stream ${natsStream(this.server.name)})${this.opts.write ? ', writes from io.' + this.server.name + '.in.N' : ''}`);
  }

  /** Make the stream, or bring its config up to date; at start (fresh), empty it of an earlier server's messages. */
  private async ensureStream(nc: NatsConnection, fresh = false): Promise<void> {
    const jsm = await jetstreamManager(nc, { timeout: CONNECT_TIMEOUT_MS });
    const config = {
      name: natsStream(this.server.name),
      // the mirrored hubs' subjects, and no others: a reader of another hub is told so (client/nats.ts)
      subjects: this.opts.hubs.map((n) => natsSubject(this.server.name, n)),
      max_bytes: this.server.hubs.bufferBytes * this.server.hubs.maxHubs,
      discard: 'old' as const,
      num_replicas: this.opts.replicas,
    };
    try {
      await jsm.streams.info(config.name);
    } catch {
      await jsm.streams.add(config);
      return;
    }
    await jsm.streams.update(config.name, config);
    if (fresh) await jsm.streams.purge(config.name);
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      const was = this.state;
      if (s.type === 'disconnect') this.state = 'disconnected';
      else if (s.type === 'reconnecting') this.state = 'reconnecting';
      else if (s.type === 'reconnect') {
        this.state = 'connected';
        this.server.log.event(`nats: reconnected (dropped ${this.droppedBytes} bytes in all)`);
        // a server that came back without its store has no stream: make it again
        this.ensureStream(nc).catch((err: Error) => this.server.log.event(`nats: stream ${natsStream(this.server.name)}: ${err.message}`));
      } else if (s.type === 'close') this.state = 'closed';
      else continue;
      // a state, not every attempt: NATS down retries twice a second
      if (s.type !== 'reconnect' && this.state !== was) this.server.log.event(`nats: ${this.state}`);
    }
  }

  /** One more output of hub N, published as it comes. */
  private mirror(n: number): void {
    const hub = this.server.hubs.open(n);
    let offset = this.server.hubs.isTrunc ? hub.bytesIn : hub.start;
    const subject = natsSubject(this.server.name, n);
    const got = this.server.openOutput(n, 'nats', {
      // Never full: the bridge must not hold the session back, whatever the pacing.
      queuedBytes: () => 0,
      data: (bytes) => {
        this.publish(subject, bytes, offset, false);
        offset += bytes.length;
      },
      gap: (lost) => {
        offset += lost;
      },
      // Not empty: a JetStream consumer takes an empty message with headers for a control message.
      eof: () => this.publish(subject, EOF_PAYLOAD, offset, true),
    }, { isMirror: true, onFree: () => {}, onKill: () => {} });
    if (got instanceof Error) throw got;
    this.closers.push(() => got.endpoint.free());
  }

  /**
   * Queue output for the stream; it never waits. What the queue cannot hold
   * is dropped and counted, and the next message's Io-Offset shows readers
   * the gap.
   */
  private publish(subject: string, bytes: Uint8Array, offset: number, eof: boolean): void {
    if (!eof && this.queuedBytes + bytes.length > NATS_QUEUE_MAX_BYTES) {
      this.droppedBytes += bytes.length;
      return;
    }
    const last = this.queue[this.queue.length - 1];
    // Not the head while it is being sent: its message must stay the same for a retry.
    const canJoin = last && (!this.isSending || this.queue.length > 1) && !eof && !last.eof && last.subject === subject && last.offset + last.bytes === offset && last.bytes + bytes.length <= MESSAGE_MAX_BYTES;
    if (canJoin) {
      last.chunks.push(bytes);
      last.bytes += bytes.length;
    } else {
      this.queue.push({ subject, offset, chunks: [bytes], bytes: bytes.length, eof });
    }
    if (!eof) this.queuedBytes += bytes.length;
    void this.send();
  }

  /**
   * Send the queue in order, one message at a time, each until the stream
   * acks it. A message whose ack does not come (a leader election, a
   * reconnect) is sent again with the same Nats-Msg-Id, so the stream keeps
   * it once, and nothing behind it overtakes it.
   */
  private async send(): Promise<void> {
    if (this.isSending) return;
    this.isSending = true;
    try {
      while (!this.isClosed && this.queue.length > 0) {
        const head = this.queue[0]!;
        const js = this.js;
        if (!js || this.state !== 'connected') {
          await sleep(RETRY_MS);
          continue;
        }
        const h = headers();
        h.set('Io-Offset', String(head.offset));
        h.set('Io-Run', this.run);
        if (head.eof) h.set('Io-Eof', '1');
        const payload = head.chunks.length === 1 ? head.chunks[0]! : Buffer.concat(head.chunks);
        head.chunks = [payload];
        try {
          await js.publish(head.subject, payload, { headers: h, msgID: `${this.run}:${head.subject}@${head.offset}${head.eof ? '.eof' : ''}`, timeout: ACK_TIMEOUT_MS });
        } catch {
          await sleep(RETRY_MS);
          continue;
        }
        this.queue.shift();
        if (!head.eof) {
          this.queuedBytes -= head.bytes;
          this.publishedBytes += head.bytes;
        }
      }
    } finally {
      this.isSending = false;
    }
  }

  /** --nats-write: io.NAME.in.N goes into hub N, as one input per hub. */
  private listenInputs(nc: NatsConnection): void {
    const feeders = new Map<number, Feeder>();
    this.sub = nc.subscribe(natsInSubject(this.server.name, '*'));
    void (async () => {
      for await (const m of this.sub!) {
        const n = Number(m.subject.slice(m.subject.lastIndexOf('.') + 1));
        if (this.server.hubs.check(n)) continue;
        let feeder = feeders.get(n);
        if (!feeder) {
          const got = this.server.openInput(n, 'nats', { pause: () => {}, resume: () => {} }, { onFree: () => feeders.delete(n), onKill: () => {} });
          if (got instanceof Error) continue;
          feeder = got.feeder;
          feeders.set(n, feeder);
          this.closers.push(() => got.endpoint.free());
        }
        if (feeder.heldBytes + m.data.length > NATS_INPUT_MAX_BYTES) this.inputDroppedBytes += m.data.length;
        else feeder.push(Buffer.from(m.data));
      }
    })();
  }

  private logDrops(): void {
    if (this.inputDroppedBytes !== this.inputDroppedLogged) {
      this.server.log.event(`nats: dropped ${this.inputDroppedBytes - this.inputDroppedLogged} bytes typed through NATS in the last second: their hub takes nothing (${this.inputDroppedBytes} in all)`);
      this.inputDroppedLogged = this.inputDroppedBytes;
    }
    if (this.droppedBytes === this.droppedLogged) return;
    this.server.log.event(`nats: ${this.state}; could not publish ${this.droppedBytes - this.droppedLogged} bytes in the last second (${this.droppedBytes} in all)`);
    this.droppedLogged = this.droppedBytes;
  }

  /** For status: the bridge's state, lag and drops. */
  status(): { state: string; servers: string[]; hubs: number[]; publishedBytes: number; unflushedBytes: number; droppedBytes: number } {
    return { state: this.state, servers: this.opts.servers, hubs: this.opts.hubs, publishedBytes: this.publishedBytes, unflushedBytes: this.queuedBytes, droppedBytes: this.droppedBytes };
  }

  async close(): Promise<void> {
    if (this.logTimer) clearInterval(this.logTimer);
    for (const close of this.closers.splice(0)) close();
    // what is queued (the end of stream with it) gets a moment to reach the stream
    const until = Date.now() + CLOSE_GRACE_MS;
    while (this.queue.length > 0 && this.state === 'connected' && Date.now() < until) await sleep(10);
    this.isClosed = true;
    this.droppedBytes += this.queuedBytes;
    this.logDrops();
    this.sub?.unsubscribe();
    const nc = this.nc;
    this.nc = null;
    if (nc && !nc.isClosed()) {
      try {
        await Promise.race([nc.drain(), new Promise((r) => setTimeout(r, 1000).unref())]);
      } catch {
        // closing anyway
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
