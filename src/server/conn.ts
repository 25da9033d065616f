// conn.ts — one framed client (ioshell, the web page, the client library).
//
// Frames in: data (write into a hub), subscribe/unsubscribe, eof (close this
// client's input), ctl, resize, spawn (remote N), host (local N). Frames out:
// hello, data, gap, eof, reply, error. Each subscription is a Pump bounded by
// the wire's queue; each input a Feeder that pauses the wire in paranoid mode.
// A frame that breaks the protocol closes this client only, with a log line.
//
// Not here: the transport (wire.ts), what ctl commands do (control.ts).

import { ProtocolError } from '../core/errors.js';
import { HIGH_WATER_BYTES, type Pump } from './pump.js';
import { MAX_WINDOW_SIDE, decodeResize, encodeFrame, encodeResize, encodeFrameJoined, encodeGap, Frame, FrameDecoder, FLAG_ACKS, FLAG_JSON, FLAG_NEW, type DecodedFrame } from '../core/frame.js';
import type { Endpoint } from './endpoints.js';
import type { Feeder } from './feed.js';
import type { Client, Server } from './server.js';
import type { Role, Wire } from './wire.js';

/** How long a reader dropped for not reading may take to read what was queued for it, and why it was dropped. */
const DROPPED_PATIENCE_MS = 30_000;

interface Sub {
  pump: Pump;
  endpoint: Endpoint;
}
interface Input {
  feeder: Feeder;
  endpoint: Endpoint;
}

export class Conn implements Client {
  readonly id: number;
  readonly role: Role;
  private readonly server: Server;
  private readonly wire: Wire;
  private readonly decoder: FrameDecoder;
  private readonly subs = new Map<number, Sub>();
  private readonly inputs = new Map<number, Input>();
  /** This client's window size per trihub, applied when it types. */
  readonly sizes = new Map<number, { cols: number; rows: number }>();
  private pausedBy = 0;
  private isPausedForReplies = false;
  /** Frames decoded and not yet done (waiting while the client's replies pile up). */
  private waitingFrames: DecodedFrame[] = [];
  /** This client itself is letting an endpoint go (unsubscribe, leaving): nothing to tell it. */
  private isLettingGo = false;
  /** Data bytes sent and not yet acknowledged, for clients that ack (FLAG_ACKS). */
  private unackedBytes = 0;
  private usesAcks = false;
  private isClosed = false;
  private isToldQuit = false;

  constructor(server: Server, wire: Wire, id: number, role: Role) {
    this.server = server;
    this.wire = wire;
    this.id = id;
    this.role = role;
    this.decoder = new FrameDecoder({ maxPayloadBytes: server.opts.maxFrameBytes });
    wire.onData((b) => this.onWireData(b));
    wire.onDrain(() => {
      if (this.isPausedForReplies) {
        this.isPausedForReplies = false;
        this.runFrames();
        if (this.pausedBy === 0 && !this.isPausedForReplies) this.wire.resumeInput();
      }
      for (const s of this.subs.values()) s.pump.onSinkDrain();
    });
    wire.onEnd(() => this.close(null));
    wire.onClose(() => this.close(null));
    this.send(Frame.hello, 0, Buffer.from(JSON.stringify(server.hello(role))));
  }

  get label(): string {
    return `conn ${this.id}`;
  }

  /** Feed bytes that arrived with the greeting line. */
  onWireData(bytes: Buffer): void {
    if (this.isClosed) return;
    const frames = this.decoder.push(bytes);
    if (frames instanceof ProtocolError) {
      this.fail(frames.message);
      return;
    }
    this.waitingFrames.push(...frames);
    this.runFrames();
  }

  /**
   * Replies are bounded like data: past the high-water mark the frames not
   * yet done wait here and the client is not read from, until it takes what
   * it was sent. Requests are small; their replies (status, hNv) need not be.
   */
  private runFrames(): void {
    while (this.waitingFrames.length > 0 && !this.isClosed) {
      if (this.wire.queuedBytes() > HIGH_WATER_BYTES) {
        if (!this.isPausedForReplies) this.wire.pauseInput();
        this.isPausedForReplies = true;
        return;
      }
      this.onFrame(this.waitingFrames.shift()!);
    }
  }

  private onFrame(f: DecodedFrame): void {
    switch (f.type) {
      case Frame.data:
        return this.onInputData(f.hub, f.payload);
      case Frame.subscribe:
        if ((f.flags & FLAG_ACKS) !== 0) this.usesAcks = true;
        return this.subscribe(f.hub, (f.flags & FLAG_NEW) !== 0);
      case Frame.ack:
        return this.onAck(f.payload);
      case Frame.unsubscribe:
        this.letGo(this.subs.get(f.hub)?.endpoint);
        // off a trihub's screen: its window goes to the client active there before
        if (f.hub % 3 === 1) this.server.sizes.leftBy(this, f.hub - 1);
        return;
      case Frame.eof:
        return this.letGo(this.inputs.get(f.hub)?.endpoint);
      case Frame.ctl:
        return this.onCtl(f);
      case Frame.resize:
        return this.onResize(f.hub, f.payload);
      case Frame.spawn:
        return this.onSpawn(f);
      case Frame.host:
        return this.onHost(f);
      case Frame.hello:
      case Frame.gap:
      case Frame.reply:
      case Frame.error:
        return this.fail(`io: bad frame: type ${f.type} is sent by servers, not clients`);
    }
  }

  private letGo(e: Endpoint | undefined): void {
    this.isLettingGo = true;
    try {
      e?.free();
    } finally {
      this.isLettingGo = false;
    }
  }

  /** A request this client's role may not make: logged, and answered (the client waits for a reply). */
  private deny(f: DecodedFrame, what: string): void {
    this.server.log.event(`${this.label} (${this.wire.peer}): refused ${what}: ${this.role} client`);
    this.send(Frame.reply, f.hub, Buffer.from(`io: ${what}: not allowed for a ${this.role} client`));
  }

  private refuse(what: string, why: string): void {
    this.server.log.event(`${this.label} (${this.wire.peer}): refused ${what}: ${why}`);
    this.send(Frame.error, 0, Buffer.from(`io: ${what}: ${why}`));
  }

  /** A hub this client may not have (out of range, gone): logged, and told on that hub. */
  private refuseHub(hub: number, what: string, err: Error): void {
    this.server.log.event(`${this.label} (${this.wire.peer}): refused ${what}: ${err.message.replace(/^io: /, '')}`);
    this.send(Frame.error, hub, Buffer.from(err.message));
  }

  /** Is this client showing trihub N's screen (reading its N+1)? */
  shows(trihub: number): boolean {
    return this.subs.has(trihub + 1);
  }

  private subscribe(hub: number, fromNew: boolean): void {
    if (this.subs.has(hub)) return;
    const got = this.server.openOutput(hub, this.label, {
      queuedBytes: () => this.wire.queuedBytes() + this.unackedBytes,
      data: (bytes) => {
        if (this.usesAcks) this.unackedBytes += bytes.length;
        this.wire.send(encodeFrame(Frame.data, hub, bytes));
      },
      gap: (lost) => {
        this.server.log.debug(`${this.label}: hub ${hub}: lost ${lost} bytes`);
        this.wire.send([encodeGap(hub, lost)]);
      },
      eof: () => this.send(Frame.eof, hub),
    }, {
      fromNew,
      // a client that said its window's size for the trihub shows its screen (ioshell, the page)
      showsWindow: hub % 3 === 1 && this.sizes.has(hub - 1),
      // a host's shell reads its stdin here: like a session's, it holds writers
      holds: this.server.hosts.get(hub)?.conn === this,
      onFree: () => {
        this.subs.delete(hub);
        if (!this.isLettingGo) this.send(Frame.error, hub, Buffer.from(`io: hub ${hub}: this output was freed (hNf)`));
      },
      onKill: (why) => {
        this.send(Frame.error, hub, Buffer.from(`io: ${why ?? `hub ${hub}: this output was killed (hNk)`}`));
        // Dropped for not reading (--stall-timeout): its why waits behind what was queued for
        // it, so it is given longer than a closing peer to read that far and learn why.
        this.close(why ?? 'killed by ctl', why ? DROPPED_PATIENCE_MS : undefined);
      },
    });
    if (got instanceof Error) return this.refuseHub(hub, `read hub ${hub}`, got);
    this.subs.set(hub, got);
    // coming (back) to a trihub's screen, with a size said for it: attaching, it takes the window
    if (hub % 3 === 1 && this.sizes.has(hub - 1)) this.server.sizes.resizedBy(this, hub - 1);
  }

  private onInputData(hub: number, bytes: Buffer): void {
    if (this.role === 'watch') return this.refuse(`write to hub ${hub}`, 'read-only (watch) client');
    let input = this.inputs.get(hub);
    if (!input) {
      const got = this.server.openInput(hub, this.label, {
        pause: () => {
          if (this.pausedBy++ === 0) this.wire.pauseInput();
        },
        resume: () => {
          if (--this.pausedBy === 0 && !this.isPausedForReplies) this.wire.resumeInput();
        },
      }, { onFree: () => this.inputs.delete(hub), onKill: () => this.close('killed by ctl') });
      if (got instanceof Error) return this.refuseHub(hub, `write hub ${hub}`, got);
      input = got;
      this.inputs.set(hub, input);
    }
    this.server.sizes.typedBy(this, hub);
    input.feeder.push(bytes);
  }

  private onCtl(f: DecodedFrame): void {
    const line = f.payload.toString('utf8');
    if (this.role !== 'control') return this.deny(f, 'ctl');
    const json = (f.flags & FLAG_JSON) !== 0;
    const reply = this.server.ctl(line, json, this.label);
    this.send(Frame.reply, f.hub, Buffer.from(reply), json ? FLAG_JSON : 0);
  }

  /** A page drew what we sent: room for more (its pumps count unacknowledged bytes as queued). */
  private onAck(payload: Buffer): void {
    if (payload.length !== 4) return this.fail('io: bad frame: ack needs a byte count (u32)');
    this.unackedBytes = Math.max(0, this.unackedBytes - payload.readUInt32BE(0));
    for (const s of this.subs.values()) s.pump.onSinkDrain();
  }

  private onResize(trihub: number, payload: Buffer): void {
    const size = decodeResize(payload);
    if (!size) return this.fail(`io: bad frame: resize needs cols and rows (u16 each, 1 to ${MAX_WINDOW_SIDE})`);
    // a hub that is no trihub has no window: noted and let be (an older ioshell on hubs wired by hand sends one)
    const bad = this.server.hubs.checkTrihub(trihub);
    if (bad) return this.server.log.debug(`${this.label}: resize ignored: ${bad.message.replace(/^io: /, '')}`);
    this.sizes.set(trihub, size);
    this.server.sizes.resizedBy(this, trihub);
  }

  private onSpawn(f: DecodedFrame): void {
    if (this.role !== 'control') return this.deny(f, `remote ${f.hub}`);
    const spec = payloadObject(f.payload);
    if (!spec || (spec['cmd'] !== undefined && typeof spec['cmd'] !== 'string')) {
      return this.send(Frame.reply, f.hub, Buffer.from(`io: remote ${f.hub}: a spawn frame carries JSON {"cmd"?: string}`));
    }
    const cmd = typeof spec['cmd'] === 'string' ? spec['cmd'] : null;
    const size = this.sizes.get(f.hub);
    const reply = this.server.spawn(f.hub, cmd, size, this.label);
    this.send(Frame.reply, f.hub, Buffer.from(reply));
  }

  private onHost(f: DecodedFrame): void {
    if (this.role !== 'control') return this.deny(f, `local ${f.hub}`);
    const spec = payloadObject(f.payload);
    if (!spec || !Number.isSafeInteger(spec['pid']) || (spec['pid'] as number) <= 0) {
      return this.send(Frame.reply, f.hub, Buffer.from(`io: local ${f.hub}: a host frame carries JSON {"pid": N}, a process id`));
    }
    const reply = this.server.host(f.hub, spec['pid'] as number, this);
    this.send(Frame.reply, f.hub, Buffer.from(reply));
  }

  /** To a host process: its trihub's window size changed. */
  sendResize(trihub: number, cols: number, rows: number): void {
    if (!this.isClosed) this.wire.send([encodeResize(trihub, cols, rows)]);
  }

  private send(type: (typeof Frame)[keyof typeof Frame], hub: number, payload?: Buffer, flags = 0): void {
    if (!this.isClosed) this.wire.send([encodeFrameJoined(type, hub, payload, flags)]);
  }

  private fail(message: string): void {
    this.server.log.event(`${this.label} (${this.wire.peer}): ${message.replace(/^io: /, '')}; closed`);
    this.send(Frame.error, 0, Buffer.from(message));
    this.close(message);
  }

  /** The server is quitting: say so now, once (close would say it again). */
  quitting(reason: string): void {
    if (this.isToldQuit || this.isClosed) return;
    this.isToldQuit = true;
    this.send(Frame.error, 0, Buffer.from(`io: ${this.server.name}: ${reason}`));
  }

  /** Leave: every subscription and input let go; the transport flushed and closed. */
  close(reason: string | null, stallMs?: number): void {
    if (this.isClosed) return;
    for (const s of [...this.subs.values()]) this.letGo(s.endpoint);
    for (const i of [...this.inputs.values()]) this.letGo(i.endpoint);
    if (reason !== null && reason.startsWith('server')) this.quitting(reason);
    this.isClosed = true;
    this.wire.end(stallMs);
    this.server.connClosed(this, reason);
  }
}

/** A spawn or host frame's payload: nothing (an empty object), or a JSON object; anything else is null. */
function payloadObject(payload: Buffer): Record<string, unknown> | null {
  if (payload.length === 0) return {};
  try {
    const v: unknown = JSON.parse(payload.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
