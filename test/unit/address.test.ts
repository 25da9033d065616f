// address.test.ts — where to dial to reach a listener, for the owner's token
// (client/connect.ts gives $IO_DIR/NAME.token only to the address its server
// wrote beside it, dialled as dialFor says).

import { describe, expect, it } from 'vitest';
import { dialFor, isLoopbackAddress, subjectMatches } from '../../src/core/address.js';

describe('dialFor', () => {
  it('the same loopback address and port; a wildcard listener on the loopback of its family', () => {
    const yes: [string, string, string][] = [
      ['127.0.0.1:7000', '127.0.0.1:7000', '127.0.0.1:7000'],
      ['[::1]:7000', '[::1]:7000', '[::1]:7000'],
      ['127.0.0.1:7000', '0.0.0.0:7000', '127.0.0.1:7000'],
      ['127.0.0.5:7000', '0.0.0.0:7000', '127.0.0.5:7000'],
      ['[::1]:7000', '[::]:7000', '[::1]:7000'],
      ['127.0.0.1:7000', '[::]:7000', '127.0.0.1:7000'],
    ];
    for (const [d, l, want] of yes) expect({ d, l, dial: dialFor(d, l) }).toEqual({ d, l, dial: want });
  });

  it('localhost is dialled as the listener\'s own address: it may resolve to the other family first', () => {
    expect(dialFor('localhost:7000', '127.0.0.1:7000')).toBe('127.0.0.1:7000');
    expect(dialFor('localhost:7000', '[::1]:7000')).toBe('[::1]:7000');
    expect(dialFor('localhost:7000', '0.0.0.0:7000')).toBe('127.0.0.1:7000');
    expect(dialFor('localhost:7000', '[::]:7000')).toBe('[::1]:7000');
  });

  it('another port, another loopback address, the other family of a v4 wildcard, or not this machine: null', () => {
    const no: [string, string][] = [
      ['127.0.0.1:7001', '127.0.0.1:7000'],
      ['127.0.0.2:7000', '127.0.0.1:7000'],
      ['[::1]:7000', '127.0.0.1:7000'],
      ['[::1]:7000', '0.0.0.0:7000'],
      ['10.0.0.5:7000', '0.0.0.0:7000'],
      ['example.org:7000', '0.0.0.0:7000'],
      ['localhost:7000', '10.0.0.5:7000'],
      ['127.0.0.1', '127.0.0.1:7000'],
    ];
    for (const [d, l] of no) expect({ d, l, dial: dialFor(d, l) }).toEqual({ d, l, dial: null });
  });

  it('isLoopbackAddress: localhost, 127.x and ::1 only', () => {
    expect(['localhost:1', '127.0.0.1:7000', '127.9.9.9:1', '[::1]:7000'].map(isLoopbackAddress)).toEqual([true, true, true, true]);
    expect(['10.0.0.1:7000', 'localhost.evil:1', '[::]:7000', '0.0.0.0:7000'].map(isLoopbackAddress)).toEqual([false, false, false, false]);
  });
});

describe('subjectMatches', () => {
  it('a literal subject, * for one token, > for the rest (the stream of an older server holds io.NAME.hub.>)', () => {
    expect(subjectMatches('io.demo.hub.1', 'io.demo.hub.1')).toBe(true);
    expect(subjectMatches('io.demo.hub.>', 'io.demo.hub.7')).toBe(true);
    expect(subjectMatches('io.demo.hub.*', 'io.demo.hub.7')).toBe(true);
    expect(subjectMatches('io.*.hub.1', 'io.demo.hub.1')).toBe(true);
    expect(subjectMatches('io.demo.hub.1', 'io.demo.hub.10')).toBe(false);
    expect(subjectMatches('io.demo.hub.>', 'io.demo.hub')).toBe(false);
    expect(subjectMatches('io.demo.hub.*', 'io.demo.hub.1.x')).toBe(false);
    expect(subjectMatches('io.other.hub.>', 'io.demo.hub.1')).toBe(false);
  });
});
