// chat.test.ts — `iosrv -c cat`: a chat room, with every kind of client in it.
//
// cat echoes hub 0 (its stdin) to hub 1 (its stdout). Three raw watchers
// (`read 1`, as socat would be) and one framed client subscribed to hub 1 must
// all see a line typed by somebody else: first by a raw `write 0` client, then
// by a framed client writing hub 0. Every reader is seen attached in the
// server's own status before anything is written, so no line can race a join.

import { describe, expect, it } from 'vitest';
import { useScope } from '../helpers/scope.js';
import { framed, hubLine, rawCtl, RawReader, rawWrite, startIosrv } from '../helpers/server.js';
import { waitFor } from '../helpers/until.js';

describe('chat: -c cat', () => {
  const scope = useScope();

  it('three raw readers and a framed reader all see lines written by others', { timeout: 15_000 }, async () => {
    const srv = await startIosrv(scope, ['-c', 'cat']);
    const raws = await Promise.all([0, 1, 2].map(() => RawReader.open(scope, srv.sock, 1, { keep: true })));
    const watcher = await framed(scope, srv);
    let seen = '';
    watcher.on({ data: (hub, bytes) => void (hub === 1 && (seen += bytes.toString('latin1'))) });
    watcher.subscribe(1);
    await waitFor(async () => / outputs 4,/.test(hubLine(await rawCtl(srv.sock, 'status'), 1)), { timeoutMs: 5000, what: 'four readers on hub 1' });

    await rawWrite(srv.sock, 0, [Buffer.from('hello from raw\n')]);
    const first = 'hello from raw\n';
    await waitFor(() => raws.every((r) => r.text === first) && seen === first, { timeoutMs: 5000, what: 'the raw line at every reader' });

    const talker = await framed(scope, srv);
    talker.write(0, Buffer.from('hello from framed\n'));
    const both = `${first}hello from framed\n`;
    await waitFor(() => raws.every((r) => r.text === both) && seen === both, { timeoutMs: 5000, what: 'the framed line at every reader' });

    // the talker did not subscribe: it got nothing back, and the readers are all still there
    expect(hubLine(await rawCtl(srv.sock, 'status'), 1)).toMatch(/ outputs 4,/);
    expect(raws.every((r) => !r.isClosed)).toBe(true);
  });
});
