// socketpair.ts — two ends of one real Unix socket, for tests that play one
// side by hand (a server that answers as the test says, a reader that is
// paused until the test lets it read).
//
// The socket lives in a private temp dir (tmpIoDir); both ends and the
// listener are closed when the test's scope ends.

import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connectSlabbed } from '../../src/sys/reads.js';
import { tmpIoDir } from './iodir.js';
import type { Scope } from './scope.js';

/**
 * near: the end that connected (slabbed: read into slabs, as io's clients
 * are, sys/reads.ts); far: the end the listener accepted (paused, so nothing
 * is read before the test says).
 */
export async function unixPair(scope: Scope, opts: { slabbed?: boolean } = {}): Promise<{ near: Socket; far: Socket }> {
  const path = join(tmpIoDir(scope), 's');
  let accepted: (s: Socket) => void = () => {};
  const got = new Promise<Socket>((resolve) => (accepted = resolve));
  const listener = createServer({ pauseOnConnect: true }, (s) => accepted(s)).listen(path);
  scope.defer(() => listener.close());
  await new Promise((resolve) => listener.once('listening', resolve));
  const near = opts.slabbed ? connectSlabbed(path) : connect(path);
  scope.defer(() => near.destroy());
  await new Promise((resolve) => near.once('connect', resolve));
  const far = await got;
  scope.defer(() => far.destroy());
  return { near, far };
}
