// fuzz.test.ts — random input to the three parsers that face the wire:
// parseCtl, FrameDecoder and sniffGreeting. They must never throw (STYLE §4:
// pure parsers return errors) and never hold more than their caps.
//
// Inputs are half noise, half near-misses built from the grammar (real verbs,
// hub numbers, frame headers, first lines), since pure noise rarely gets past
// the first byte. Runs: IO_FUZZ_RUNS (default 10000 for the cheap properties,
// fewer for byte streams); `npm run fuzz` sets 1000000. fast-check prints the
// seed and the shrunk input of a failure; IO_FUZZ_SEED=N replays it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CTL_MAX_BYTES, PACE_MAX_MS, SIGNALS, parseCtl, type CtlCommand } from '../../src/core/ctl.js';
import { CtlError, ProtocolError } from '../../src/core/errors.js';
import { Frame, FrameDecoder, HEADER_BYTES, encodeFrameJoined, type DecodedFrame, type FrameType } from '../../src/core/frame.js';
import { FIRST_LINE_MAX_BYTES, sniffGreeting } from '../../src/core/greeting.js';
import { TIMEOUT_MS, check, params } from '../helpers/fuzz.js';


const MAX_HUBS = 64;
const PLAIN = ['fear', 'calm', 'quit', 'debug', 'shutup', 'trunc', 'notrunc', 'status'];
const HUB_LETTERS = 'tcsoeifkxvyz';

// ---- parseCtl -------------------------------------------------------------

const space = fc.constantFrom(' ', '  ', '\t', '\n', '\r', '\r\n', '\v', '\f', '\u00a0', '\u2028', '');
const number = fc.oneof(fc.nat({ max: 70 }).map(String), fc.nat().map(String), fc.constantFrom('', '-1', '007', '1e3', '0x10', '1234567890', String(PACE_MAX_MS), String(PACE_MAX_MS + 1)));
const word = fc.oneof(
  fc.constantFrom(...PLAIN, 'eof', 'signal', 'h', 'INT', 'SIGTERM', 'sigkill', 'FOO', 'SIG', ...SIGNALS),
  fc.tuple(number, fc.constantFrom(...HUB_LETTERS, 'a', 'q', 'C', ''), number).map(([n, l, m]) => `h${n}${l}${m}`),
  number,
  fc.string({ maxLength: 8 }),
);
const ctlLine = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(space, fc.array(fc.tuple(word, space), { maxLength: 5 })).map(([lead, rest]) => lead + rest.map(([w, s]) => w + s).join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('fear', 'x', ' '), fc.integer({ min: CTL_MAX_BYTES - 4, max: CTL_MAX_BYTES + 4 })).map(([w, n]) => w.padEnd(n)) },
);

/** The one way each command is written; parsing it gives the command back. */
function render(cmd: CtlCommand): string {
  switch (cmd.verb) {
    case 'eof':
      return `eof ${cmd.hub}`;
    case 'signal':
      return `signal ${cmd.trihub} ${cmd.signal}`;
    case 'pace':
      return `h${cmd.hub}t${cmd.ms}`;
    case 'clear':
    case 'remove':
    case 'view':
      return `h${cmd.hub}${{ clear: 'c', remove: 'x', view: 'v' }[cmd.verb]}`;
    case 'start':
    case 'addOutput':
    case 'addError':
    case 'addInput':
    case 'free':
    case 'kill':
    case 'killReader':
    case 'killWriter':
      return `h${cmd.hub}${{ start: 's', addOutput: 'o', addError: 'e', addInput: 'i', free: 'f', kill: 'k', killReader: 'y', killWriter: 'z' }[cmd.verb]}${cmd.n}`;
    default:
      return cmd.verb;
  }
}

/** What a parsed command must look like, whatever line it came from. */
function checkCommand(cmd: CtlCommand): void {
  const isHub = (n: number): boolean => Number.isInteger(n) && n >= 0 && n < MAX_HUBS;
  switch (cmd.verb) {
    case 'eof':
    case 'clear':
    case 'remove':
    case 'view':
      expect(isHub(cmd.hub)).toBe(true);
      return;
    case 'signal':
      expect(isHub(cmd.trihub + 2) && cmd.trihub % 3 === 0).toBe(true);
      expect(SIGNALS).toContain(cmd.signal);
      return;
    case 'pace':
      expect(isHub(cmd.hub) && Number.isInteger(cmd.ms) && cmd.ms >= 0 && cmd.ms <= PACE_MAX_MS).toBe(true);
      return;
    case 'start':
    case 'addOutput':
    case 'addError':
    case 'addInput':
    case 'free':
    case 'kill':
    case 'killReader':
    case 'killWriter':
      expect(isHub(cmd.hub) && Number.isSafeInteger(cmd.n) && cmd.n >= 0).toBe(true);
      return;
    default:
      expect(PLAIN).toContain(cmd.verb);
  }
}

describe('fuzz: parseCtl', () => {
  it('never throws; returns a valid command or a CtlError whose message starts with io:', () => {
    fc.assert(
      fc.property(ctlLine, (line) => {
        const got = parseCtl(line, MAX_HUBS);
        if (got instanceof CtlError) {
          check(got.code === 'IO_ERR_CTL', `code ${got.code}`);
          check(got.message.startsWith('io: ') && !got.message.endsWith('.'), got.message);
          check(got.message.length <= Math.min(line.length, CTL_MAX_BYTES) + 200, `a reply of ${got.message.length} characters`);
          return;
        }
        checkCommand(got);
        expect(parseCtl(render(got), MAX_HUBS)).toEqual(got);
      }),
      params(),
    );
  }, TIMEOUT_MS);

  // A line break inside the line must not reach the reply (see ctl.test.ts);
  // the example makes sure the case is tried at any run count.
  it('the reply is always one line', () => {
    fc.assert(
      fc.property(ctlLine, (line) => {
        const got = parseCtl(line, MAX_HUBS);
        if (got instanceof CtlError) expect(got.message).not.toMatch(/[\r\n]/);
      }),
      { ...params<[string]>(), examples: [['a\nb']] },
    );
  }, TIMEOUT_MS);

  it('every command, written out, parses back to itself', () => {
    const hub = fc.nat({ max: MAX_HUBS - 1 });
    const command: fc.Arbitrary<CtlCommand> = fc.oneof(
      fc.constantFrom(...PLAIN).map((verb) => ({ verb }) as CtlCommand),
      hub.map((h) => ({ verb: 'eof', hub: h }) as const),
      fc.tuple(fc.nat({ max: Math.floor((MAX_HUBS - 3) / 3) }), fc.constantFrom(...SIGNALS)).map(([t, signal]) => ({ verb: 'signal', trihub: t * 3, signal }) as const),
      fc.tuple(hub, fc.nat({ max: PACE_MAX_MS })).map(([h, ms]) => ({ verb: 'pace', hub: h, ms }) as const),
      fc.tuple(hub, fc.constantFrom('clear', 'remove', 'view' as const)).map(([h, verb]) => ({ verb, hub: h }) as const),
      fc
        .tuple(hub, fc.constantFrom('start', 'addOutput', 'addError', 'addInput', 'free', 'kill', 'killReader', 'killWriter' as const), fc.nat({ max: 999_999_999 }))
        .map(([h, verb, n]) => ({ verb, hub: h, n }) as const),
    );
    fc.assert(
      fc.property(command, (cmd) => {
        expect(parseCtl(render(cmd), MAX_HUBS)).toEqual(cmd);
      }),
      params(),
    );
  }, TIMEOUT_MS);
});

// ---- FrameDecoder ---------------------------------------------------------

const MAX_PAYLOAD = 1024;
const TYPES = Object.values(Frame);

interface Spec {
  type: FrameType;
  flags: number;
  hub: number;
  payload: Uint8Array;
}

const frameSpec: fc.Arbitrary<Spec> = fc.record({
  type: fc.constantFrom(...TYPES),
  flags: fc.nat({ max: 255 }),
  hub: fc.nat({ max: 65535 }),
  payload: fc.oneof({ weight: 8, arbitrary: fc.uint8Array({ maxLength: 64 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: MAX_PAYLOAD - 2, maxLength: MAX_PAYLOAD + 2 }) }),
});

/** A byte stream, and the frames it holds if it was not corrupted. */
const stream = fc.oneof(
  fc.tuple(fc.array(frameSpec, { maxLength: 8 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 3 })).map(([specs, flips]) => {
    const bytes = Buffer.concat(specs.map((s) => encodeFrameJoined(s.type, s.hub, s.payload, s.flags)));
    for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
    return { bytes, specs: flips.length === 0 ? specs : null };
  }),
  fc.uint8Array({ maxLength: 2048 }).map((b) => ({ bytes: Buffer.from(b), specs: null })),
);

/** Cut a stream into chunks at the given points (some empty). */
function chunksOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, c));
    from = c;
  }
  return chunks;
}

/** The decoder's own accounting. This reads its internals: the bound is the point of the test. */
function held(decoder: FrameDecoder): { views: number; counted: number } {
  const inside = decoder as unknown as { pending: Buffer[]; pendingBytes: number };
  check(Array.isArray(inside.pending) && typeof inside.pendingBytes === 'number', 'FrameDecoder keeps pending: Buffer[] and pendingBytes');
  let views = 0;
  for (const b of inside.pending) views += b.length;
  return { views, counted: inside.pendingBytes };
}

/** Data is a byte stream: adjacent data frames of one hub (a frame's pieces, or frames) joined into one. */
function joinData(frames: DecodedFrame[]): DecodedFrame[] {
  const out: DecodedFrame[] = [];
  for (const f of frames) {
    const last = out[out.length - 1];
    if (f.type === Frame.data && last?.type === Frame.data && last.hub === f.hub && last.flags === f.flags) last.payload = Buffer.concat([last.payload, f.payload]);
    else out.push({ ...f, payload: Buffer.from(f.payload) });
  }
  return out;
}

describe('fuzz: FrameDecoder', () => {
  it('never throws, holds at most a frame plus a chunk, and decodes what was encoded', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), ({ bytes, specs }, cuts, streamData) => {
        const decoder = new FrameDecoder({ maxPayloadBytes: MAX_PAYLOAD, streamData });
        const frames: DecodedFrame[] = [];
        let failed: ProtocolError | null = null;
        for (const chunk of chunksOf(bytes, cuts)) {
          const got = decoder.push(chunk);
          if (failed) {
            check(got === failed, 'after an error, push returns the same error');
            continue;
          }
          if (got instanceof ProtocolError) {
            check(got.code === 'IO_ERR_FRAME', `code ${got.code}`);
            check(/^io: bad frame: (unknown frame type \d+|frame of \d+ bytes over limit 1024)$/.test(got.message), got.message);
            failed = got;
            continue;
          }
          check(Array.isArray(got), 'push returns frames or a ProtocolError');
          for (const f of got) check(f.payload.length <= MAX_PAYLOAD, `payload of ${f.payload.length} bytes`);
          frames.push(...got);
          const h = held(decoder);
          check(h.views === h.counted, `pending ${h.views} bytes, counted ${h.counted}`);
          check(h.views <= MAX_PAYLOAD + HEADER_BYTES + chunk.length, `holds ${h.views} bytes after a chunk of ${chunk.length}`);
          check(h.views < MAX_PAYLOAD + HEADER_BYTES, `holds ${h.views} bytes between chunks`);
        }
        if (specs === null) return;
        const fit = specs.findIndex((s) => s.payload.length > MAX_PAYLOAD);
        // Whole frames must come out as they went in; streamed data only as the same bytes.
        const norm = streamData ? joinData : (fs: DecodedFrame[]) => fs.map((f) => ({ ...f, payload: Buffer.from(f.payload) }));
        const want = norm((fit < 0 ? specs : specs.slice(0, fit)).map((s) => ({ type: s.type, flags: s.flags, hub: s.hub, payload: Buffer.from(s.payload) })));
        const got = norm(frames);
        if (fit >= 0) {
          // Frames that share a chunk with the bad header are dropped with it, so
          // before an error only a prefix of the good frames is certain, and the
          // last of them may be a streamed data frame of which only a first part came.
          expect(got.slice(0, -1)).toEqual(want.slice(0, Math.max(0, got.length - 1)));
          const last = got[got.length - 1];
          if (last) {
            const full = want[got.length - 1]!;
            expect({ ...last, payload: null }).toEqual({ ...full, payload: null });
            expect(streamData && last.type === Frame.data ? full.payload.subarray(0, last.payload.length) : full.payload).toEqual(last.payload);
          }
          expect(failed?.message).toBe(`io: bad frame: frame of ${specs[fit]?.payload.length} bytes over limit ${MAX_PAYLOAD}`);
        } else {
          expect(got).toEqual(want);
          expect(failed).toBeNull();
        }
      }),
      params(0.3),
    );
  }, TIMEOUT_MS);
});

// ---- sniffGreeting --------------------------------------------------------

const firstLine = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2 * FIRST_LINE_MAX_BYTES + 8 }).map((b) => Buffer.from(b)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('read ', 'write ', 'ctl', 'IO ', 'read', 'IO', 'io ', 'GET / HTTP/1.1', ''),
        fc.oneof(fc.nat({ max: 100 }).map(String), fc.nat().map(String), fc.constantFrom('', ' 1', '-1', '123456', 'x')),
        fc.constantFrom('\n', '\r\n', '\r\r\n', '', ' \n', '\n\n'),
        fc.uint8Array({ maxLength: 32 }),
      )
      .map(([head, n, end, rest]) => Buffer.concat([Buffer.from(head + (head === 'ctl' ? '' : n) + end, 'latin1'), rest])),
  },
  { weight: 1, arbitrary: fc.tuple(fc.nat({ max: FIRST_LINE_MAX_BYTES + 4 }), fc.boolean()).map(([n, nl]) => Buffer.from(`${'x'.repeat(n)}${nl ? '\n' : ''}`)) },
);

describe('fuzz: sniffGreeting', () => {
  it('never throws; a greeting, more, or one short error line, and rest is what follows the line', () => {
    fc.assert(
      fc.property(firstLine, (bytes) => {
        const got = sniffGreeting(bytes);
        const nl = bytes.indexOf(0x0a);
        if (got instanceof ProtocolError) {
          check(got.code === 'IO_ERR_GREETING', `code ${got.code}`);
          check(got.message.startsWith('io: bad first line: ') && !/[\r\n]/.test(got.message) && got.message.length <= 160, got.message);
          return;
        }
        if (got.kind === 'more') {
          check(nl === -1 && bytes.length <= FIRST_LINE_MAX_BYTES, `more, with ${bytes.length} bytes and a newline at ${nl}`);
          return;
        }
        check(nl >= 0 && nl <= FIRST_LINE_MAX_BYTES, `${got.kind}, with a newline at ${nl}`);
        check(got.rest.equals(bytes.subarray(nl + 1)), 'rest is the bytes after the line');
        if (got.kind === 'read' || got.kind === 'write') check(Number.isInteger(got.hub) && got.hub >= 0 && got.hub <= 99_999, `hub ${got.hub}`);
        if (got.kind === 'framed') check(Number.isInteger(got.version) && got.version >= 0, `version ${got.version}`);
      }),
      params(),
    );
  }, TIMEOUT_MS);

  it('more bytes after a whole first line change nothing but rest', () => {
    fc.assert(
      fc.property(firstLine, fc.uint8Array({ minLength: 1, maxLength: 16 }), (bytes, extra) => {
        const before = sniffGreeting(bytes);
        if (before instanceof ProtocolError || before.kind === 'more') return;
        const after = sniffGreeting(Buffer.concat([bytes, extra]));
        expect(after).not.toBeInstanceOf(ProtocolError);
        const { rest: r1, ...k1 } = before;
        const { rest: r2, ...k2 } = after as typeof before;
        expect(k2).toEqual(k1);
        expect(r2.equals(Buffer.concat([r1, extra]))).toBe(true);
      }),
      params(),
    );
  }, TIMEOUT_MS);
});
