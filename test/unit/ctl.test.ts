// ctl.test.ts — parseCtl: every row of SPEC §3, and every way a line can be wrong.
//
// Table-driven: one row per verb shape gives the exact parsed command, one row
// per malformed line gives the exact reply text the user sees. parseCtl
// returns errors (never throws), so each error row also checks it is a
// CtlError with code IO_ERR_CTL. Random lines are in fuzz.test.ts.

import { describe, expect, it } from 'vitest';
import { CTL_MAX_BYTES, CTL_USAGE, PACE_MAX_MS, SIGNALS, parseCtl, type CtlCommand } from '../../src/core/ctl.js';
import { CtlError } from '../../src/core/errors.js';

const MAX_HUBS = 64;
const TRY = `(try: ${CTL_USAGE})`;
const SIGNAL_LIST = 'HUP INT QUIT KILL USR1 USR2 TERM CONT STOP TSTP WINCH ALRM';

function ok(line: string): CtlCommand {
  const got = parseCtl(line, MAX_HUBS);
  if (got instanceof CtlError) throw new Error(`expected a command for '${line}', got ${got.message}`);
  return got;
}

function bad(line: string, maxHubs = MAX_HUBS): CtlError {
  const got = parseCtl(line, maxHubs);
  if (!(got instanceof CtlError)) throw new Error(`expected an error for '${line}', got ${JSON.stringify(got)}`);
  return got;
}

describe('parseCtl: the usage line', () => {
  it('names every verb of SPEC §3 and every hub letter', () => {
    expect(CTL_USAGE).toBe('fear calm quit debug shutup trunc notrunc status eof signal hN[tcsoeifkxvyz]M');
    expect(CTL_MAX_BYTES).toBe(4096);
    expect(PACE_MAX_MS).toBe(60_000);
    expect(SIGNALS.join(' ')).toBe(SIGNAL_LIST);
  });
});

describe('parseCtl: plain verbs', () => {
  it.each(['fear', 'calm', 'quit', 'debug', 'shutup', 'trunc', 'notrunc', 'status'] as const)('%s', (verb) => {
    expect(ok(verb)).toEqual({ verb });
  });

  it.each([
    ['  fear', { verb: 'fear' }],
    ['calm  ', { verb: 'calm' }],
    ['\tstatus\r\n', { verb: 'status' }],
    ['quit\n', { verb: 'quit' }],
  ] as const)('surrounding white space is ignored: %j', (line, want) => {
    expect(ok(line)).toEqual(want);
  });
});

describe('parseCtl: eof and signal', () => {
  it.each([
    ['eof 0', { verb: 'eof', hub: 0 }],
    ['eof 4', { verb: 'eof', hub: 4 }],
    ['eof 63', { verb: 'eof', hub: 63 }],
    ['eof  007', { verb: 'eof', hub: 7 }],
    ['signal 0 INT', { verb: 'signal', trihub: 0, signal: 'INT' }],
    ['signal 3 SIGTERM', { verb: 'signal', trihub: 3, signal: 'TERM' }],
    ['signal 6 hup', { verb: 'signal', trihub: 6, signal: 'HUP' }],
    ['signal 9 sigusr1', { verb: 'signal', trihub: 9, signal: 'USR1' }],
    ['signal 0 SigKill', { verb: 'signal', trihub: 0, signal: 'KILL' }],
    ['signal\t60   winch', { verb: 'signal', trihub: 60, signal: 'WINCH' }],
  ] as const)('%j', (line, want) => {
    expect(ok(line)).toEqual(want);
  });

  it.each(SIGNALS.map((s) => [s]))('signal 0 %s is known, with or without SIG', (name) => {
    expect(ok(`signal 0 ${name}`)).toEqual({ verb: 'signal', trihub: 0, signal: name });
    expect(ok(`signal 0 SIG${name}`)).toEqual({ verb: 'signal', trihub: 0, signal: name });
    expect(ok(`signal 0 sig${name.toLowerCase()}`)).toEqual({ verb: 'signal', trihub: 0, signal: name });
  });
});

describe('parseCtl: hN verbs', () => {
  it.each([
    ['h1t50', { verb: 'pace', hub: 1, ms: 50 }],
    ['h0t0', { verb: 'pace', hub: 0, ms: 0 }],
    [`h2t${PACE_MAX_MS}`, { verb: 'pace', hub: 2, ms: PACE_MAX_MS }],
    ['h1c', { verb: 'clear', hub: 1 }],
    ['h3s0', { verb: 'start', hub: 3, n: 0 }],
    ['h1o2', { verb: 'addOutput', hub: 1, n: 2 }],
    ['h2e5', { verb: 'addError', hub: 2, n: 5 }],
    ['h0i1', { verb: 'addInput', hub: 0, n: 1 }],
    ['h1f0', { verb: 'free', hub: 1, n: 0 }],
    ['h1k3', { verb: 'kill', hub: 1, n: 3 }],
    ['h7x', { verb: 'remove', hub: 7 }],
    ['h63v', { verb: 'view', hub: 63 }],
    ['h1y0', { verb: 'killReader', hub: 1, n: 0 }],
    ['h2z4', { verb: 'killWriter', hub: 2, n: 4 }],
    ['h01o007', { verb: 'addOutput', hub: 1, n: 7 }],
    ['h1o999999999', { verb: 'addOutput', hub: 1, n: 999_999_999 }],
    [' h4v\n', { verb: 'view', hub: 4 }],
  ] as const)('%j', (line, want) => {
    expect(ok(line)).toEqual(want);
  });

  it('the hub bound is maxHubs, whatever it is', () => {
    expect(parseCtl('h127v', 128)).toEqual({ verb: 'view', hub: 127 });
    expect(parseCtl('h0v', 1)).toEqual({ verb: 'view', hub: 0 });
  });
});

describe('parseCtl: malformed lines', () => {
  it.each([
    // unknown words
    ['bogus', `io: unknown command 'bogus' ${TRY}`],
    ['', `io: unknown command '' ${TRY}`],
    ['   ', `io: unknown command '' ${TRY}`],
    ['FEAR', `io: unknown command 'FEAR' ${TRY}`],
    ['h', `io: unknown command 'h' ${TRY}`],
    ['h1', `io: unknown command 'h1' ${TRY}`],
    ['hxc', `io: unknown command 'hxc' ${TRY}`],
    ['h1C', `io: unknown command 'h1C' ${TRY}`],
    ['h1234567890c', `io: unknown command 'h1234567890c' ${TRY}`],
    ['h1 c', `io: unknown command 'h1 c' ${TRY}`],
    ['h1c now', `io: unknown command 'h1c now' ${TRY}`],
    ['bogus 1 2', `io: unknown command 'bogus 1 2' ${TRY}`],
    // hub out of range
    ['h64c', 'io: h64c: hub 64 out of range (0-63)'],
    ['h999t5', 'io: h999t5: hub 999 out of range (0-63)'],
    ['h100s1', 'io: h100s1: hub 100 out of range (0-63)'],
    ['eof 64', 'io: eof 64: hub 64 out of range (0-63)'],
    ['signal 66 INT', 'io: signal 66 INT: trihub 66 out of range (0-61)'],
    ['signal 63 INT', 'io: signal 63 INT: trihub 63 out of range (0-61)'],
    // a number missing, or one that is not taken
    ['h1t', 'io: h1t: verb t (pace M ms) needs a whole number, as in h1t50'],
    ['h2s', 'io: h2s: verb s (start, with input M) needs a whole number, as in h2s3'],
    ['h1o', 'io: h1o: verb o (add output M) needs a whole number, as in h1o3'],
    ['h1e', 'io: h1e: verb e (add error output M) needs a whole number, as in h1e3'],
    ['h1i', 'io: h1i: verb i (add input M) needs a whole number, as in h1i3'],
    ['h1f', 'io: h1f: verb f (free endpoint M) needs a whole number, as in h1f3'],
    ['h1k', 'io: h1k: verb k (kill endpoint M and its client) needs a whole number, as in h1k3'],
    ['h1y', 'io: h1y: verb y (kill reading process M) needs a whole number, as in h1y3'],
    ['h1z', 'io: h1z: verb z (kill writing process M) needs a whole number, as in h1z3'],
    ['h1o1234567890', 'io: h1o1234567890: 1234567890 is too large for verb o (add output M), as in h1o3'],
    ['h1t-1', 'io: h1t-1: verb t (pace M ms) needs a whole number, as in h1t50'],
    ['h1tt5', 'io: h1tt5: verb t (pace M ms) needs a whole number, as in h1t50'],
    ['h3s1x', 'io: h3s1x: verb s (start, with input M) needs a whole number, as in h3s3'],
    ['h1c5', 'io: h1c5: verb c (clear the buffer) takes no number'],
    ['h1x0', 'io: h1x0: verb x (remove the hub) takes no number'],
    ['h1v2', 'io: h1v2: verb v (view the hub) takes no number'],
    // an unknown hub verb letter is an unknown command (SPEC §3: anything else), before the hub's range
    ['h1q', `io: unknown command 'h1q' (try: ${CTL_USAGE})`],
    ['h1a3', `io: unknown command 'h1a3' (try: ${CTL_USAGE})`],
    ['h99q', `io: unknown command 'h99q' (try: ${CTL_USAGE})`],
    // pace over its limit
    [`h1t${PACE_MAX_MS + 1}`, `io: h1t${PACE_MAX_MS + 1}: pace ${PACE_MAX_MS + 1} ms over limit ${PACE_MAX_MS}`],
    ['h0t999999999', `io: h0t999999999: pace 999999999 ms over limit ${PACE_MAX_MS}`],
    // eof
    ['eof', 'io: eof: expected eof N (a hub number)'],
    ['eof x', 'io: eof x: expected eof N (a hub number)'],
    ['eof -1', 'io: eof -1: expected eof N (a hub number)'],
    ['eof 1 2', 'io: eof 1 2: expected eof N (a hub number)'],
    ['eof 1234567890', 'io: eof 1234567890: expected eof N (a hub number)'],
    // signal
    ['signal', 'io: signal: expected signal N SIG (signal 0 INT)'],
    ['signal 0', 'io: signal 0: expected signal N SIG (signal 0 INT)'],
    ['signal INT', 'io: signal INT: expected signal N SIG (signal 0 INT)'],
    ['signal x INT', 'io: signal x INT: expected signal N SIG (signal 0 INT)'],
    ['signal 0 INT TERM', 'io: signal 0 INT TERM: expected signal N SIG (signal 0 INT)'],
    ['signal 1 INT', 'io: signal 1 INT: trihub 1 is not a multiple of 3'],
    ['signal 5 FOO', 'io: signal 5 FOO: trihub 5 is not a multiple of 3'],
    ['signal 0 FOO', `io: signal 0 FOO: unknown signal 'FOO' (try: ${SIGNAL_LIST})`],
    ['signal 0 sigfoo', `io: signal 0 sigfoo: unknown signal 'sigfoo' (try: ${SIGNAL_LIST})`],
    ['signal 0 SIG', `io: signal 0 SIG: unknown signal 'SIG' (try: ${SIGNAL_LIST})`],
    ['signal 0 9', `io: signal 0 9: unknown signal '9' (try: ${SIGNAL_LIST})`],
    ['signal 0 SEGV', `io: signal 0 SEGV: unknown signal 'SEGV' (try: ${SIGNAL_LIST})`],
    // extra arguments to a plain verb
    ['quit now', 'io: quit: takes no arguments'],
    ['fear 1', 'io: fear: takes no arguments'],
    ['status  -v', 'io: status: takes no arguments'],
    ['fear calm', 'io: fear: takes no arguments'],
  ])('%j', (line, message) => {
    const err = bad(line);
    expect(err).toBeInstanceOf(CtlError);
    expect(err.code).toBe('IO_ERR_CTL');
    expect(err.name).toBe('CtlError');
    expect(err.message).toBe(message);
  });

  it('a line over CTL_MAX_BYTES is refused before it is looked at', () => {
    const err = bad('x'.repeat(CTL_MAX_BYTES + 1));
    expect(err.code).toBe('IO_ERR_CTL');
    expect(err.message).toBe(`io: command too long (${CTL_MAX_BYTES + 1} bytes, limit ${CTL_MAX_BYTES})`);
    expect(bad(`fear${' '.repeat(CTL_MAX_BYTES)}`).message).toBe(`io: command too long (${CTL_MAX_BYTES + 4} bytes, limit ${CTL_MAX_BYTES})`);
  });

  it('a line of exactly CTL_MAX_BYTES is parsed', () => {
    expect(ok(`fear${' '.repeat(CTL_MAX_BYTES - 4)}`)).toEqual({ verb: 'fear' });
  });

  it('the hub range follows maxHubs', () => {
    expect(bad('h3c', 3).message).toBe('io: h3c: hub 3 out of range (0-2)');
    expect(bad('eof 1', 1).message).toBe('io: eof 1: hub 1 out of range (0-0)');
  });

  // A line break inside a command (possible in a ctl frame's payload, or
  // `io ctl NAME 'a<newline>b'`) must not break "one line" (SPEC §3).
  it.each([['a\nb'], ['eof\n99'], ['h1\rq'], ['signal 0\nFOO']])('the reply to %j is one line', (line) => {
    expect(bad(line).message).not.toMatch(/[\r\n]/);
  });
});
