// greeting.test.ts — sniffGreeting: what a connection's first line makes of it.
//
// The first line picks raw read/write/ctl or the framed protocol; the bytes
// after it are handed back untouched (a writer's first bytes, a client's first
// frames). A line still arriving is 'more'; one that cannot be a greeting is a
// ProtocolError whose message is the one line the peer is sent.

import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/core/errors.js';
import { FIRST_LINE_MAX_BYTES, sniffGreeting, type Greeting } from '../../src/core/greeting.js';

const TRY = '(try: read N, write N, ctl, or IO <version>)';

function sniff(bytes: string | Buffer, max?: number): Greeting {
  const got = sniffGreeting(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, max);
  if (got instanceof ProtocolError) throw new Error(`expected a greeting, got ${got.message}`);
  return got;
}

function refused(bytes: string | Buffer, max?: number): ProtocolError {
  const got = sniffGreeting(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, max);
  if (!(got instanceof ProtocolError)) throw new Error(`expected an error, got ${JSON.stringify(got)}`);
  expect(got.code).toBe('IO_ERR_GREETING');
  return got;
}

/** A greeting with its rest as text, for comparing. */
function plain(g: Greeting): object {
  return 'rest' in g ? { ...g, rest: g.rest.toString('latin1') } : g;
}

describe('sniffGreeting: the four first lines', () => {
  it.each([
    ['read 1\n', { kind: 'read', hub: 1, rest: '' }],
    ['read 0\n', { kind: 'read', hub: 0, rest: '' }],
    ['read 63\nignored', { kind: 'read', hub: 63, rest: 'ignored' }],
    ['read 00007\n', { kind: 'read', hub: 7, rest: '' }],
    ['read 99999\n', { kind: 'read', hub: 99999, rest: '' }],
    ['write 2\nhello\nworld', { kind: 'write', hub: 2, rest: 'hello\nworld' }],
    ['write 0\n\x00\xff', { kind: 'write', hub: 0, rest: '\x00\xff' }],
    ['ctl\n', { kind: 'ctl', rest: '' }],
    ['ctl\nstatus\nh1v\n', { kind: 'ctl', rest: 'status\nh1v\n' }],
    ['IO 1\n', { kind: 'framed', version: 1, rest: '' }],
    ['IO 2\n\x03\x00\x00\x01\x00\x00\x00\x00', { kind: 'framed', version: 2, rest: '\x03\x00\x00\x01\x00\x00\x00\x00' }],
    ['IO 0\n', { kind: 'framed', version: 0, rest: '' }],
  ])('%j', (bytes, want) => {
    expect(plain(sniff(bytes))).toEqual(want);
  });

  it.each([
    ['read 1\r\n', { kind: 'read', hub: 1, rest: '' }],
    ['write 4\r\nabc\r\n', { kind: 'write', hub: 4, rest: 'abc\r\n' }],
    ['ctl\r\nquit\r\n', { kind: 'ctl', rest: 'quit\r\n' }],
    ['IO 1\r\nxyz', { kind: 'framed', version: 1, rest: 'xyz' }],
  ])('a \\r\\n line end is accepted: %j', (bytes, want) => {
    expect(plain(sniff(bytes))).toEqual(want);
  });

  it('rest is a view of the same bytes, not a copy', () => {
    const bytes = Buffer.from('write 1\nabc');
    const g = sniff(bytes);
    expect(g.kind).toBe('write');
    if (g.kind !== 'write') return;
    expect(g.rest.buffer).toBe(bytes.buffer);
    expect(g.rest.byteOffset).toBe(bytes.byteOffset + 8);
  });
});

describe('sniffGreeting: a line still arriving', () => {
  it.each(['', 'r', 'rea', 'read', 'read 1', 'read 1\r', 'IO 1', 'ctl', 'garbage with no newline yet'])('%j → more', (bytes) => {
    expect(sniff(bytes)).toEqual({ kind: 'more' });
  });

  it('up to FIRST_LINE_MAX_BYTES with no newline is still more; one byte past is refused', () => {
    expect(FIRST_LINE_MAX_BYTES).toBe(256);
    expect(sniff('x'.repeat(FIRST_LINE_MAX_BYTES))).toEqual({ kind: 'more' });
    expect(refused('x'.repeat(FIRST_LINE_MAX_BYTES + 1)).message).toBe(`io: bad first line: no newline in the first 256 bytes ${TRY}`);
  });

  it('the limit is a parameter', () => {
    expect(sniff('read', 4)).toEqual({ kind: 'more' });
    expect(refused('read ', 4).message).toBe(`io: bad first line: no newline in the first 4 bytes ${TRY}`);
    expect(refused('read 1\n', 4).message).toBe(`io: bad first line: line of 6 bytes over limit 4 ${TRY}`);
    expect(plain(sniff('read 1\n', 6))).toEqual({ kind: 'read', hub: 1, rest: '' });
  });

  it('a line longer than the limit is refused even with its newline', () => {
    expect(refused(`${'x'.repeat(FIRST_LINE_MAX_BYTES + 1)}\n`).message).toBe(`io: bad first line: line of 257 bytes over limit 256 ${TRY}`);
  });
});

describe('sniffGreeting: bad first lines', () => {
  it.each([
    ['hello\n', "'hello'"],
    ['\n', "''"],
    ['\r\n', "''"],
    ['read\n', "'read'"],
    ['read x\n', "'read x'"],
    ['read -1\n', "'read -1'"],
    ['read 123456\n', "'read 123456'"],
    ['read  1\n', "'read  1'"],
    [' read 1\n', "' read 1'"],
    ['read 1 \n', "'read 1 '"],
    ['READ 1\n', "'READ 1'"],
    ['write\n', "'write'"],
    ['ctl status\n', "'ctl status'"],
    ['CTL\n', "'CTL'"],
    ['IO\n', "'IO'"],
    ['IO 1.0\n', "'IO 1.0'"],
    ['io 1\n', "'io 1'"],
    ['IO 123456\n', "'IO 123456'"],
    ['GET / HTTP/1.1\r\n', "'GET / HTTP/1.1'"],
  ])('%j', (bytes, shown) => {
    const err = refused(bytes);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.message).toBe(`io: bad first line: ${shown} ${TRY}`);
  });

  it.each([
    [[0x01, 0x41, 0xff, 0x0a], "'?A?'"],
    [[0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x68, 0x69, 0x0a], "'?[31mhi'"],
    [[0x72, 0x65, 0x61, 0x64, 0x20, 0x31, 0x0d, 0x0d, 0x0a], "'read 1?'"],
    [[0xc3, 0xa9, 0x0a], "'??'"],
    [[0x00, 0x7f, 0x09, 0x0a], "'???'"],
  ])('non-printable bytes are shown as ?: %j', (bytes, shown) => {
    expect(refused(Buffer.from(bytes)).message).toBe(`io: bad first line: ${shown} ${TRY}`);
  });

  it('a long bad line is shown cut at 40 characters', () => {
    const line = 'abcdefghij'.repeat(5);
    expect(refused(`${line}\n`).message.startsWith(`io: bad first line: '${line.slice(0, 40)}`)).toBe(true);
    expect(refused(`${'x'.repeat(40)}\n`).message).toBe(`io: bad first line: '${'x'.repeat(40)}' ${TRY}`);
  });

  // The '…' marking a cut line is added after non-printable characters become
  // '?', so a cut printable line shows no '?'.
  it('a long printable line is shown without a ?', () => {
    expect(refused(`${'abcdefghij'.repeat(5)}\n`).message).not.toContain('?');
  });

  it('the message is always one line', () => {
    for (const bytes of ['a\rb\n', 'x\x0by\x0cz\n', `${'\r'.repeat(50)}\n`]) {
      expect(refused(bytes).message).not.toMatch(/[\r\n]/);
    }
  });
});
