// nats.ts — hubs carried by a NATS JetStream stream (--nats URL).
//
// The bridge is one more output of each mirrored hub. What it reads it
// publishes to `io.NAME.hub.N`, in a stream bounded like the ring (max_bytes
// = buffer × hubs, oldest discarded first), each message carrying the hub
// offset of its first byte (Io-Offset) so a reader knows exactly what it
// missed. End of stream is a message with the header Io-Eof.
//
// It never slows the session: its output always takes at once, and what NATS
// cannot take (slow, or down) beyond NATS_QUEUE_MAX_BYTES unflushed is
// dropped, counted, logged once a second and shown in status. The client
// reconnects by itself. With --nats-write, `io.NAME.in.N` is fed into hub N.
//
// Not here: reading a stream as a client (client/nats.ts).

import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { IoError } from '../core/errors.js';
import { natsStream, natsSubject, natsInSubject } from '../core/address.js';
import type { Server } from './server.js';

/** Bytes published and not yet confirmed by a flush: past this, new output is dropped and counted. */
export const NATS_QUEUE_MAX_BYTES = 4 * 1024 * 1024;
/** Confirm delivery (a flush round trip) after this many bytes. */
const FLUSH_EVERY_BYTES = 256 * 1024;
const CONNECT_TIMEOUT_MS = 5000;
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

export class NatsBridge {
  private readonly server: Server;
  private readonly opts: NatsOptions;
  private nc: NatsConnection | null = null;
  private state = 'connecting';
  private publishedBytes = 0;
  private droppedBytes = 0;
  private droppedLogged = 0;
  private unflushedBytes = 0;
  private sinceFlush = 0;
  private logTimer: NodeJS.Timeout | null = null;
  private sub: Subscription | null = null;
  private readonly closers: (() => void)[] = [];

  constructor(server: Server, opts: NatsOptions) {
    this.server = server;
    this.opts = opts;
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
        ...(this.opts.creds ? { authenticator: credsAuthenticator(readFileSync(this.opts.creds)) } : {}),
      });
    } catch (err) {
      throw new IoError('IO_ERR_NO_SERVER', `io: nats ${where}: ${(err as Error).message}`);
    }
    const nc = this.nc;
    try {
      const jsm = await jetstreamManager(nc, { timeout: CONNECT_TIMEOUT_MS });
      const config = {
        name: natsStream(this.server.name),
        subjects: [`io.${this.server.name}.hub.>`],
        max_bytes: this.server.hubs.bufferBytes * this.server.hubs.maxHubs,
        discard: 'old' as const,
        num_replicas: this.opts.replicas,
      };
      try {
        await jsm.streams.info(config.name);
        await jsm.streams.update(config.name, config);
      } catch {
        await jsm.streams.add(config);
      }
    } catch (err) {
      await nc.close();
      const text = (err as Error).message;
      const why = /jetstream not enabled|503|no responders/i.test(text) ? 'JetStream is not enabled there (start nats-server with -js)' : text;
      throw new IoError('IO_ERR_NO_SERVER', `io: nats ${where}: ${why}`);
    }
    this.state = 'connected';
    void this.watchStatus(nc);
    for (const n of this.opts.hubs) this.mirror(n);
    if (this.opts.write) this.listenInputs(nc);
    this.logTimer = setInterval(() => this.logDrops(), 1000).unref();
    this.server.log.event(`nats: mirroring hubs ${this.opts.hubs.join(',')} to ${where} (stream ${natsStream(this.server.name)})${this.opts.write ? ', writes from io.' + this.server.name + '.in.N' : ''}`);
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.state = 'disconnected';
      else if (s.type === 'reconnecting') this.state = 'reconnecting';
      else if (s.type === 'reconnect') {
        this.state = 'connected';
        this.server.log.event(`nats: reconnected (dropped ${this.droppedBytes} bytes in all)`);
      } else if (s.type === 'close') this.state = 'closed';
      else continue;
      if (s.type !== 'reconnect') this.server.log.event(`nats: ${this.state}`);
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
    }, { onFree: () => {}, onKill: () => {} });
    if (got instanceof Error) throw got;
    this.closers.push(() => got.endpoint.free());
  }

  private publish(subject: string, bytes: Uint8Array, offset: number, eof: boolean): void {
    const nc = this.nc;
    if (!nc || this.state !== 'connected' || this.unflushedBytes > NATS_QUEUE_MAX_BYTES) {
      this.droppedBytes += bytes.length;
      return;
    }
    const h = headers();
    h.set('Io-Offset', String(offset));
    if (eof) {
      h.set('Io-Eof', '1');
      nc.publish(subject, bytes, { headers: h });
      void nc.flush().catch(() => {});
      return;
    }
    nc.publish(subject, bytes, { headers: h });
    this.publishedBytes += bytes.length;
    this.unflushedBytes += bytes.length;
    this.sinceFlush += bytes.length;
    if (this.sinceFlush >= FLUSH_EVERY_BYTES) {
      const amount = this.sinceFlush;
      this.sinceFlush = 0;
      nc.flush().then(
        () => (this.unflushedBytes -= amount),
        () => (this.unflushedBytes -= amount),
      );
    }
  }

  /** --nats-write: io.NAME.in.N goes into hub N, as one input per hub. */
  private listenInputs(nc: NatsConnection): void {
    const feeders = new Map<number, (b: Buffer) => void>();
    this.sub = nc.subscribe(natsInSubject(this.server.name, '*'));
    void (async () => {
      for await (const m of this.sub!) {
        const n = Number(m.subject.slice(m.subject.lastIndexOf('.') + 1));
        if (this.server.hubs.check(n)) continue;
        let feed = feeders.get(n);
        if (!feed) {
          const got = this.server.openInput(n, 'nats', { pause: () => {}, resume: () => {} }, { onFree: () => feeders.delete(n), onKill: () => {} });
          if (got instanceof Error) continue;
          feed = (b) => got.feeder.push(b);
          feeders.set(n, feed);
          this.closers.push(() => got.endpoint.free());
        }
        feed(Buffer.from(m.data));
      }
    })();
  }

  private logDrops(): void {
    if (this.droppedBytes === this.droppedLogged) return;
    this.server.log.event(`nats: ${this.state}; could not publish ${this.droppedBytes - this.droppedLogged} bytes in the last second (${this.droppedBytes} in all)`);
    this.droppedLogged = this.droppedBytes;
  }

  /** For status: the bridge's state, lag and drops. */
  status(): { state: string; servers: string[]; hubs: number[]; publishedBytes: number; unflushedBytes: number; droppedBytes: number } {
    return { state: this.state, servers: this.opts.servers, hubs: this.opts.hubs, publishedBytes: this.publishedBytes, unflushedBytes: this.unflushedBytes, droppedBytes: this.droppedBytes };
  }

  async close(): Promise<void> {
    if (this.logTimer) clearInterval(this.logTimer);
    this.logDrops();
    for (const close of this.closers.splice(0)) close();
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
