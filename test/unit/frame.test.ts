// frame.test.ts — the wire's frames: encode, decode, limits (docs/protocol.md).
//
// Every frame type goes through encodeFrame and FrameDecoder and comes back
// the same. A socket may cut the stream anywhere, so every encoded frame is
// also split at every byte boundary (ws's "spanning multiple writes") and
// dribbled in one byte at a time. A data frame's payload is a byte stream and
// comes out in the pieces it arrived in (decodeAll joins them back); every
// other frame comes out whole. A length over the cap and an unknown type are
// ProtocolErrors that stay: the decoder never recovers, as its conn closes.

import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/core/errors.js';
import {
  FLAG_ACKS,
  FLAG_JSON,
  FLAG_NEW,
  Frame,
  FrameDecoder,
  HEADER_BYTES,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  decodeGap,
  decodeResize,
  encodeFrame,
  encodeFrameJoined,
  encodeGap,
  encodeResize,
  type DecodedFrame,
  type FrameType,
} from '../../src/core/frame.js';

interface Plain {
  type: FrameType;
  flags: number;
  hub: number;
  payload: string;
}

const plain = (f: DecodedFrame): Plain => ({ type: f.type, flags: f.flags, hub: f.hub, payload: f.payload.toString('latin1') });

function decodeAll(chunks: Buffer[], maxPayloadBytes?: number, streamData = false): Plain[] {
  const decoder = new FrameDecoder({ ...(maxPayloadBytes === undefined ? {} : { maxPayloadBytes }), streamData });
  const out: Plain[] = [];
  for (const chunk of chunks) {
    const got = decoder.push(chunk);
    if (got instanceof ProtocolError) throw got;
    for (const f of got.map(plain)) {
      // streamData: a data frame's pieces are one byte stream; join them back.
      const last = out[out.length - 1];
      if (streamData && f.type === Frame.data && last?.type === Frame.data && last.hub === f.hub && last.flags === f.flags) last.payload += f.payload;
      else out.push(f);
    }
  }
  return out;
}

/** One example of every frame type, with the payload and flags it carries. */
const EXAMPLES: [name: keyof typeof Frame, frame: Plain][] = [
  ['hello', { type: Frame.hello, flags: 0, hub: 0, payload: '{"version":1,"name":"demo"}' }],
  ['data', { type: Frame.data, flags: 0, hub: 1, payload: 'hello\r\n\x00\xff' }],
  ['subscribe', { type: Frame.subscribe, flags: FLAG_NEW, hub: 2, payload: '' }],
  ['unsubscribe', { type: Frame.unsubscribe, flags: 0, hub: 2, payload: '' }],
  ['eof', { type: Frame.eof, flags: 0, hub: 0, payload: '' }],
  ['gap', { type: Frame.gap, flags: 0, hub: 1, payload: '\x00\x00\x00\x00\x00\x00\x10\x00' }],
  ['ctl', { type: Frame.ctl, flags: FLAG_JSON, hub: 65535, payload: 'status' }],
  ['reply', { type: Frame.reply, flags: 0, hub: 7, payload: 'ok' }],
  ['resize', { type: Frame.resize, flags: 0, hub: 3, payload: '\x00\x50\x00\x18' }],
  ['error', { type: Frame.error, flags: 0, hub: 0, payload: 'io: bad frame: unknown frame type 99' }],
  ['spawn', { type: Frame.spawn, flags: 0, hub: 6, payload: '{"cmd":"top"}' }],
  ['host', { type: Frame.host, flags: 0, hub: 9, payload: '{"pid":4242}' }],
  ['ack', { type: Frame.ack, flags: 0, hub: 4, payload: '\x00\x01\x00\x00' }],
];

const encode = (f: Plain): Buffer => encodeFrameJoined(f.type, f.hub, Buffer.from(f.payload, 'latin1'), f.flags);

describe('Frame constants', () => {
  it('the type numbers and flags are the wire format of protocol 1 (a change here is a change to docs/protocol.md)', () => {
    expect(PROTOCOL_VERSION).toBe(1);
    expect(HEADER_BYTES).toBe(8);
    expect(MAX_FRAME_BYTES).toBe(1024 * 1024);
    expect(Frame).toEqual({ hello: 1, data: 2, subscribe: 3, unsubscribe: 4, eof: 5, gap: 6, ctl: 7, reply: 8, resize: 9, error: 10, spawn: 11, host: 12, ack: 13 });
    expect([FLAG_JSON, FLAG_NEW, FLAG_ACKS]).toEqual([1, 2, 4]);
  });

  it('every type has an example here', () => {
    expect(EXAMPLES.map(([name]) => name).sort()).toEqual(Object.keys(Frame).sort());
  });
});

describe('encodeFrame', () => {
  it('writes type u8, flags u8, hub u16 BE, length u32 BE, then the payload', () => {
    const bytes = encodeFrameJoined(Frame.data, 0x0102, Buffer.from('hi'), 0x03);
    expect([...bytes]).toEqual([0x02, 0x03, 0x01, 0x02, 0x00, 0x00, 0x00, 0x02, 0x68, 0x69]);
  });

  it('returns the header and the payload as two buffers, the payload not copied', () => {
    const payload = Buffer.from('abc');
    const parts = encodeFrame(Frame.data, 1, payload);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toHaveLength(HEADER_BYTES);
    expect(parts[1]?.buffer).toBe(payload.buffer);
    expect(parts[1]?.byteOffset).toBe(payload.byteOffset);
  });

  it('takes any Uint8Array view as the payload', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const parts = encodeFrame(Frame.data, 1, backing.subarray(2, 5));
    expect([...(parts[1] ?? [])]).toEqual([1, 2, 3]);
    expect(parts[0]?.readUInt32BE(4)).toBe(3);
  });

  it('a frame without a payload, or with an empty one, is the header alone', () => {
    for (const parts of [encodeFrame(Frame.eof, 4), encodeFrame(Frame.eof, 4, Buffer.alloc(0))]) {
      expect(parts).toHaveLength(1);
      expect([...(parts[0] ?? [])]).toEqual([0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00]);
    }
    expect(decodeAll([encodeFrameJoined(Frame.unsubscribe, 9)])).toEqual([{ type: Frame.unsubscribe, flags: 0, hub: 9, payload: '' }]);
  });
});

describe('FrameDecoder', () => {
  it.each(EXAMPLES)('%s: round trip', (_name, frame) => {
    expect(decodeAll([encode(frame)])).toEqual([frame]);
  });

  describe.each([['whole frames', false], ['streamData', true]] as const)('%s', (_mode, streamData) => {
    it.each(EXAMPLES)('%s: split at every byte boundary, the same frame', (_name, frame) => {
      const bytes = encode(frame);
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect(decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)], undefined, streamData)).toEqual([frame]);
      }
      for (let a = 1; a < bytes.length; a++) {
        for (let b = a; b < bytes.length; b++) {
          expect(decodeAll([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)], undefined, streamData)).toEqual([frame]);
        }
      }
    });

    it('every frame type, one byte at a time, in one stream', () => {
      const stream = Buffer.concat(EXAMPLES.map(([, f]) => encode(f)));
      const ones = [...stream].map((byte) => Buffer.from([byte]));
      expect(decodeAll(ones, undefined, streamData)).toEqual(EXAMPLES.map(([, f]) => f));
    });

    it('several frames in one chunk, and a chunk that ends mid-frame', () => {
      const stream = Buffer.concat(EXAMPLES.map(([, f]) => encode(f)));
      for (let cut = 0; cut <= stream.length; cut++) {
        expect(decodeAll([stream.subarray(0, cut), stream.subarray(cut)], undefined, streamData)).toEqual(EXAMPLES.map(([, f]) => f));
      }
    });
  });

  it('returns nothing until a frame is whole, then the frame (streamData: a frame other than data)', () => {
    for (const [type, streamData] of [[Frame.data, false], [Frame.reply, true], [Frame.reply, false]] as const) {
      const decoder = new FrameDecoder({ streamData });
      const bytes = encodeFrameJoined(type, 1, Buffer.from('abcdef'));
      expect(decoder.push(bytes.subarray(0, 3))).toEqual([]);
      expect(decoder.push(bytes.subarray(3, 10))).toEqual([]);
      expect(decoder.push(Buffer.alloc(0))).toEqual([]);
      const got = decoder.push(bytes.subarray(10));
      expect(Array.isArray(got) ? got.map(plain) : got).toEqual([{ type, flags: 0, hub: 1, payload: 'abcdef' }]);
    }
  });

  it('streamData: hands on a data payload piece by piece as it arrives, each piece a view of its chunk (never joined)', () => {
    const decoder = new FrameDecoder({ streamData: true });
    const bytes = encodeFrameJoined(Frame.data, 3, Buffer.from('abcdef'), FLAG_JSON);
    expect(decoder.push(bytes.subarray(0, 5))).toEqual([]);
    const chunk = bytes.subarray(5, 11);
    const first = decoder.push(chunk);
    expect(Array.isArray(first) ? first.map(plain) : first).toEqual([{ type: Frame.data, flags: FLAG_JSON, hub: 3, payload: 'abc' }]);
    expect(Array.isArray(first) && first[0]!.payload.buffer).toBe(chunk.buffer);
    const rest = decoder.push(Buffer.concat([bytes.subarray(11), encodeFrameJoined(Frame.eof, 3)]));
    expect(Array.isArray(rest) ? rest.map(plain) : rest).toEqual([
      { type: Frame.data, flags: FLAG_JSON, hub: 3, payload: 'def' },
      { type: Frame.eof, flags: 0, hub: 3, payload: '' },
    ]);
  });

  it('a payload of exactly maxPayloadBytes is taken', () => {
    const payload = Buffer.alloc(64, 0x61);
    expect(decodeAll([encodeFrameJoined(Frame.data, 0, payload)], 64)).toEqual([{ type: Frame.data, flags: 0, hub: 0, payload: 'a'.repeat(64) }]);
  });

  it('a length over maxPayloadBytes is refused at the header, before its payload arrives', () => {
    const decoder = new FrameDecoder({ maxPayloadBytes: 64 });
    const header = encodeFrame(Frame.data, 0, Buffer.alloc(65))[0]!;
    const err = decoder.push(header);
    expect(err).toBeInstanceOf(ProtocolError);
    if (!(err instanceof ProtocolError)) return;
    expect(err.code).toBe('IO_ERR_FRAME');
    expect(err.message).toBe('io: bad frame: frame of 65 bytes over limit 64');
  });

  it('the default limit is MAX_FRAME_BYTES, and a u32 length is read unsigned', () => {
    const err = new FrameDecoder().push(Buffer.from([Frame.data, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]));
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).message).toBe(`io: bad frame: frame of 4294967295 bytes over limit ${MAX_FRAME_BYTES}`);
    const over = new FrameDecoder().push(encodeFrame(Frame.data, 0, Buffer.alloc(MAX_FRAME_BYTES + 1))[0]!);
    expect((over as ProtocolError).message).toBe(`io: bad frame: frame of ${MAX_FRAME_BYTES + 1} bytes over limit ${MAX_FRAME_BYTES}`);
  });

  it('after an error the decoder stays failed, with the same error', () => {
    const decoder = new FrameDecoder({ maxPayloadBytes: 16 });
    const good = encodeFrameJoined(Frame.data, 1, Buffer.from('ok'));
    const first = decoder.push(Buffer.concat([good, encodeFrame(Frame.data, 1, Buffer.alloc(17))[0]!]));
    expect(first).toBeInstanceOf(ProtocolError);
    expect(decoder.push(good)).toBe(first);
    expect(decoder.push(Buffer.alloc(0))).toBe(first);
  });

  it.each([0, 99, 200, 255])('unknown type %i is an error', (type) => {
    const decoder = new FrameDecoder();
    const err = decoder.push(Buffer.from([type, 0, 0, 0, 0, 0, 0, 0]));
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('IO_ERR_FRAME');
    expect((err as ProtocolError).message).toBe(`io: bad frame: unknown frame type ${type}`);
    expect(decoder.push(encodeFrameJoined(Frame.eof, 0))).toBe(err);
  });

  it('an unknown type is reported before an oversize length', () => {
    const err = new FrameDecoder({ maxPayloadBytes: 1 }).push(Buffer.from([200, 0, 0, 0, 0, 0, 1, 0]));
    expect((err as ProtocolError).message).toBe('io: bad frame: unknown frame type 200');
  });

  it('a header split before the type is known waits, then fails', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Buffer.from([99, 0, 0]))).toEqual([]);
    expect((decoder.push(Buffer.from([0, 0, 0, 0, 0])) as ProtocolError).message).toBe('io: bad frame: unknown frame type 99');
  });

  it('flags and hub pass through untouched, whatever their value', () => {
    const f = { type: Frame.data, flags: 0xff, hub: 0xffff, payload: 'x' };
    expect(decodeAll([encode(f)])).toEqual([f]);
  });
});

describe('gap and resize payloads', () => {
  it.each([0, 1, 4096, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER])('gap of %i bytes: u64 BE, round trip', (lost) => {
    const bytes = encodeGap(3, lost);
    expect(bytes).toHaveLength(HEADER_BYTES + 8);
    const [f] = decodeAll([bytes]);
    expect(f?.type).toBe(Frame.gap);
    expect(f?.hub).toBe(3);
    const payload = Buffer.from(f?.payload ?? '', 'latin1');
    expect(payload.readBigUInt64BE(0)).toBe(BigInt(lost));
    expect(decodeGap(payload)).toBe(lost);
  });

  it('a gap payload that is not 8 bytes reads as 0', () => {
    expect(decodeGap(Buffer.alloc(0))).toBe(0);
    expect(decodeGap(Buffer.alloc(7, 1))).toBe(0);
    expect(decodeGap(Buffer.alloc(9, 1))).toBe(0);
  });

  it('gap bytes on the wire', () => {
    expect([...encodeGap(1, 0x1234)]).toEqual([0x06, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x12, 0x34]);
  });

  it.each([
    [80, 24],
    [1, 1],
    [10_000, 10_000],
    [300, 100],
  ])('resize %ix%i: cols u16 BE, rows u16 BE, round trip', (cols, rows) => {
    const bytes = encodeResize(6, cols, rows);
    expect(bytes).toHaveLength(HEADER_BYTES + 4);
    const [f] = decodeAll([bytes]);
    expect([f?.type, f?.hub]).toEqual([Frame.resize, 6]);
    expect(decodeResize(Buffer.from(f?.payload ?? '', 'latin1'))).toEqual({ cols, rows });
  });

  it('resize bytes on the wire', () => {
    expect([...encodeResize(0, 80, 24)]).toEqual([0x09, 0, 0, 0, 0, 0, 0, 4, 0, 80, 0, 24]);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['3 bytes', Buffer.from([0, 80, 0])],
    ['5 bytes', Buffer.from([0, 80, 0, 24, 0])],
    ['zero cols', Buffer.from([0, 0, 0, 24])],
    ['zero rows', Buffer.from([0, 80, 0, 0])],
    ['65535 cols', Buffer.from([0xff, 0xff, 0, 24])],
    ['10001 rows', Buffer.from([0, 80, 0x27, 0x11])],
  ])('a resize payload that is %s decodes to null', (_why, payload) => {
    expect(decodeResize(payload)).toBeNull();
  });
});
