// address.test.ts — which dialled address reaches which listener, for the
// owner's token (client/connect.ts gives $IO_DIR/NAME.token only to the
// address its server wrote beside it).

import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, reachesListener } from '../../src/core/address.js';

describe('reachesListener', () => {
  it('the same loopback host and port, or a wildcard listener, or localhost to a loopback one', () => {
    const yes: [string, string][] = [
      ['127.0.0.1:7000', '127.0.0.1:7000'],
      ['localhost:7000', '127.0.0.1:7000'],
      ['localhost:7000', '[::1]:7000'],
      ['[::1]:7000', '[::1]:7000'],
      ['127.0.0.1:7000', '0.0.0.0:7000'],
      ['127.0.0.5:7000', '0.0.0.0:7000'],
      ['[::1]:7000', '[::]:7000'],
    ];
    for (const [d, l] of yes) expect({ d, l, reaches: reachesListener(d, l) }).toEqual({ d, l, reaches: true });
  });

  it('another port, another loopback address, or a host that is not this machine: no', () => {
    const no: [string, string][] = [
      ['127.0.0.1:7001', '127.0.0.1:7000'],
      ['127.0.0.2:7000', '127.0.0.1:7000'],
      ['[::1]:7000', '127.0.0.1:7000'],
      ['10.0.0.5:7000', '0.0.0.0:7000'],
      ['example.org:7000', '0.0.0.0:7000'],
      ['127.0.0.1', '127.0.0.1:7000'],
    ];
    for (const [d, l] of no) expect({ d, l, reaches: reachesListener(d, l) }).toEqual({ d, l, reaches: false });
  });

  it('isLoopbackAddress: localhost, 127.x and ::1 only', () => {
    expect(['localhost:1', '127.0.0.1:7000', '127.9.9.9:1', '[::1]:7000'].map(isLoopbackAddress)).toEqual([true, true, true, true]);
    expect(['10.0.0.1:7000', 'localhost.evil:1', '[::]:7000', '0.0.0.0:7000'].map(isLoopbackAddress)).toEqual([false, false, false, false]);
  });
});
