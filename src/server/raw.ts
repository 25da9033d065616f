// raw.ts — raw streams: a connection whose first line was `read N`, `write N` or `ctl`.
//
// read N:  from then on the connection carries the bytes of hub N, nothing
//          else (socat, nc, a browser's WebSocket); gaps are logged, not sent;
//          at end of stream the connection is closed, and when the peer
//          closes its side, so is ours.
// write N: every byte after the line goes into hub N; the peer's EOF closes
//          this input only, never the hub.
// ctl:     one command a line, one reply (which may span lines) each.

import { CTL_MAX_BYTES } from '../core/ctl.js';
import { HIGH_WATER_BYTES } from './pump.js';
import type { Server, Client } from './server.js';
import type { Endpoint } from './endpoints.js';
import type { Wire } from './wire.js';

export class RawConn implements Client {
  readonly id: number;
  private readonly server: Server;
  private readonly wire: Wire;
  private endpoint: Endpoint | null = null;
  private isClosed = false;

  constructor(server: Server, wire: Wire, id: number) {
    this.server = server;
    this.wire = wire;
    this.id = id;
    wire.onClose(() => this.close(null));
  }

  get label(): string {
    return `conn ${this.id}`;
  }

  startRead(hub: number): void {
    const got = this.server.openOutput(hub, this.label, {
      queuedBytes: () => this.wire.queuedBytes(),
      data: (bytes) => this.wire.send([bytes]),
      gap: (lost) => this.server.log.debug(`${this.label}: hub ${hub}: lost ${lost} bytes`),
      eof: () => this.close('end of stream'),
    }, { onFree: () => (this.endpoint = null), onKill: () => this.close('killed by ctl') });
    if (got instanceof Error) return this.refuse(got.message);
    this.endpoint = got.endpoint;
    this.wire.onDrain(() => got.pump.onSinkDrain());
    // A reader whose peer has finished is gone: a half-open socket nobody will
    // ever read would otherwise hold its place (and its fd) for good.
    this.wire.onEnd(() => this.close('reader left'));
  }

  startWrite(hub: number, first: Buffer): void {
    const got = this.server.openInput(hub, this.label, { pause: () => this.wire.pauseInput(), resume: () => this.wire.resumeInput() }, {
      onFree: () => (this.endpoint = null),
      onKill: () => this.close('killed by ctl'),
    });
    if (got instanceof Error) return this.refuse(got.message);
    this.endpoint = got.endpoint;
    this.wire.onData((b) => got.feeder.push(b));
    this.wire.onEnd(() => this.close('input ended'));
    if (first.length > 0) got.feeder.push(first);
  }

  startCtl(first: Buffer): void {
    let pending = '';
    let isPaused = false;
    // Replies are bounded like data: past the high-water mark the rest of the
    // commands wait, and the peer is not read, until it takes what it was sent.
    const run = (): void => {
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        if (this.wire.queuedBytes() > HIGH_WATER_BYTES) {
          if (!isPaused) this.wire.pauseInput();
          isPaused = true;
          return;
        }
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (line.trim() !== '') this.wire.send([Buffer.from(`${this.server.ctl(line, false, this.label)}\n`)]);
      }
      if (pending.length > CTL_MAX_BYTES) this.refuse(`io: ctl: line over ${CTL_MAX_BYTES} bytes`);
    };
    this.wire.onData((b) => {
      pending += b.toString('utf8');
      run();
    });
    this.wire.onDrain(() => {
      if (!isPaused) return;
      isPaused = false;
      this.wire.resumeInput();
      run();
    });
    this.wire.onEnd(() => this.close('ctl ended'));
    if (first.length > 0) {
      pending = first.toString('utf8');
      run();
    }
  }

  private refuse(message: string): void {
    this.server.log.event(`${this.label}: ${message.replace(/^io: /, '')}; closed`);
    this.wire.send([Buffer.from(`${message}\n`)]);
    this.close(message);
  }

  close(reason: string | null): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.endpoint?.free();
    if (reason?.startsWith('server')) this.server.log.debug(`${this.label}: ${reason}`);
    this.wire.end();
    this.server.connClosed(this, reason);
  }
}
