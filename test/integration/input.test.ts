// input.test.ts — a pty session that does not read its input costs the server
// bounded memory (SPEC §2, §7), however much is written into its hub 0.
//
// The session waits on a file of the test's before it reads anything (a go
// file: no timing), so everything written meanwhile is more than its pty
// takes. Fast: the writer is never held back, the server's RSS stays within a
// bound well below what was written (the server holds the ring, not the
// input), and once the program reads, hub 0's session output reports what it
// lost, and so does the log, in one line. While it reads, but slower than it
// is written, it loses input at every drain, and the log has at most a line a
// second of it. Paranoid: nothing is lost, so the writer is held back: what
// the server took of it stops at about the ring and the kernel's buffers.
// RSS also counts garbage a busy server has not yet collected (~35 MiB here),
// so the bound is set against the leak it guards against: the whole 96 MiB,
// kept (106 MiB of growth before the fix). A host process (io host, as
// local N and here start) whose shell reads nothing is held the same way: it
// stops reading the server rather than queue what its pty will not take.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScope } from '../helpers/scope.js';
import { spawnIo } from '../helpers/bin.js';
import { envIn, tmpIoDir } from '../helpers/iodir.js';
import { hubLine, rawConnect, rawCtl, rawWrite, startIosrv } from '../helpers/server.js';
import { sleep, waitFor } from '../helpers/until.js';

const SHELL_ENV = { SHELL: '/bin/sh', ENV: '', TERM: 'xterm' };
const MiB = 1024 * 1024;
const RING_BYTES = 512 * 1024;
/** What the server may grow by: garbage not yet collected, the ring, a queue; never what was written. */
const RSS_LIMIT_BYTES = 64 * MiB;
/** What a host process may grow by: it holds no ring and makes little garbage (0 MiB here; 34 MiB queued before the fix). */
const HOST_RSS_LIMIT_BYTES = 16 * MiB;

/** Resident memory of a process, in bytes. */
function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** totalBytes of 100-byte lines in 64 KiB chunks, the same chunk each time (the test holds one). */
function* textLines(totalBytes: number): Generator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  for (let i = 99; i < chunk.length; i += 100) chunk[i] = 0x0a;
  for (let off = 0; off < totalBytes; off += chunk.length) yield chunk;
}

/** A command that reads nothing until the file go exists, then reads all (no echo, so no output). */
function readsAfter(go: string): string {
  return `stty -echo; while [ ! -e ${go} ]; do sleep 0.05; done; exec cat >/dev/null`;
}

/** The `lost N` and `lag N` of hub 0's session output, from hNv. */
async function sessionInput(sock: string): Promise<{ lag: number; lost: number }> {
  const line = (await rawCtl(sock, 'h0v')).split('\n').find((l) => / session \d+ /.test(l)) ?? '';
  const m = / lag (\d+) lost (\d+)/.exec(line);
  if (!m) throw new Error(`no session output in h0v: ${line}`);
  return { lag: Number(m[1]), lost: Number(m[2]) };
}

describe('a pty session that does not read its input', () => {
  const scope = useScope();

  it('fast: 96 MiB written while it reads nothing cost the server bounded memory, and what it lost is reported', { timeout: 30_000 }, async () => {
    const TOTAL = 96 * MiB;
    const dir = tmpIoDir(scope);
    const go = join(dir, 'go');
    const srv = await startIosrv(scope, ['--pty', '-c', readsAfter(go)], { dir, env: SHELL_ENV });
    const base = rssOf(srv.pid);
    let grown = 0;
    const sampler = setInterval(() => (grown = Math.max(grown, rssOf(srv.pid) - base)), 20);
    scope.defer(() => clearInterval(sampler));
    let sent = 0;
    await rawWrite(srv.sock, 0, textLines(TOTAL), { onSent: (n) => (sent += n) });
    grown = Math.max(grown, rssOf(srv.pid) - base);
    clearInterval(sampler);
    expect(sent).toBe(TOTAL);
    expect(grown, `server RSS grew by ${Math.round(grown / MiB)} MiB for ${TOTAL / MiB} MiB written`).toBeLessThan(RSS_LIMIT_BYTES);
    expect((await sessionInput(srv.sock)).lag).toBeGreaterThan(RING_BYTES); // fallen past the ring: being lost

    writeFileSync(go, '');
    const input = await waitFor(
      async () => {
        const v = await sessionInput(srv.sock);
        return v.lag === 0 && v.lost > 0 ? v : null;
      },
      { timeoutMs: 10_000, what: 'the session to read what is left' },
    );
    // it got at most the ring, the pty's and the queue's worth: the rest is lost
    expect(input.lost).toBeGreaterThan(TOTAL - 2 * MiB);
    const lines = await waitFor(() => srv.stderr().match(/session on trihub 0 \(pid \d+\) lost \d+ bytes of its input \(fast mode; -p keeps them\)$/gm), { what: 'the loss in the log' });
    expect(lines).toHaveLength(1);

    expect(await rawCtl(srv.sock, 'quit')).toBe('ok');
    expect((await srv.exited).code).toBe(0);
  });

  it('fast, while it reads slower than it is written: gaps all along, at most one log line a second', { timeout: 30_000 }, async () => {
    const TOTAL = 96 * MiB;
    const dir = tmpIoDir(scope);
    const go = join(dir, 'go');
    writeFileSync(go, '');
    const srv = await startIosrv(scope, ['--pty', '-c', readsAfter(go)], { dir, env: SHELL_ENV });
    const started = Date.now();
    await rawWrite(srv.sock, 0, textLines(TOTAL));
    const input = await waitFor(
      async () => {
        const v = await sessionInput(srv.sock);
        return v.lag === 0 ? v : null;
      },
      { timeoutMs: 10_000, what: 'the session to read what is left' },
    );
    const elapsedMs = Date.now() - started;
    expect(input.lost).toBeGreaterThan(0);
    const logged = [...srv.stderr().matchAll(/session on trihub 0 \(pid \d+\) lost (\d+) bytes of its input/g)].map((m) => Number(m[1]));
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged.length, `${logged.length} lines in ${elapsedMs} ms`).toBeLessThanOrEqual(1 + Math.ceil(elapsedMs / 1000));
    expect(logged.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(input.lost);

    expect(await rawCtl(srv.sock, 'quit')).toBe('ok');
    expect((await srv.exited).code).toBe(0);
  });

  it('paranoid: nothing is lost, so its writer is held back at about the ring', { timeout: 30_000 }, async () => {
    const TOTAL = 64 * MiB;
    const dir = tmpIoDir(scope);
    const go = join(dir, 'go');
    const srv = await startIosrv(scope, ['-p', '--pty', '-c', readsAfter(go)], { dir, env: SHELL_ENV });
    const base = rssOf(srv.pid);
    const writer = await rawConnect(srv.sock, 'write 0');
    scope.defer(() => writer.destroy());
    let sent = 0;
    let stalled = false;
    const written = (async () => {
      for (const chunk of textLines(TOTAL)) {
        if (writer.destroyed) return;
        sent += chunk.length;
        if (!writer.write(chunk)) {
          stalled = true;
          await new Promise((resolve) => writer.once('drain', resolve).once('close', resolve));
          stalled = false;
        }
      }
    })();

    // held back: the writer waits on a full socket, and what it sent stops growing
    let last = -1;
    let same = 0;
    await waitFor(
      () => {
        same = stalled && sent === last ? same + 1 : 0;
        last = sent;
        return same >= 20 || sent === TOTAL;
      },
      { timeoutMs: 15_000, what: `the writer to be held back (sent ${sent})` },
    );
    expect(sent, `the writer got ${Math.round(sent / MiB)} MiB of ${TOTAL / MiB} MiB in`).toBeLessThan(8 * MiB);
    expect(rssOf(srv.pid) - base).toBeLessThan(RSS_LIMIT_BYTES);
    expect(hubLine(await rawCtl(srv.sock, 'status'), 0)).toMatch(/paranoid/);
    expect((await sessionInput(srv.sock)).lost).toBe(0);

    writer.destroy();
    await written;
    expect(await rawCtl(srv.sock, 'quit')).toBe('ok');
    expect((await srv.exited).code).toBe(0);
  });
});

describe('a host shell (io host, local N, here) that does not read its input', () => {
  const scope = useScope();

  it('costs its host process bounded memory: the host stops reading the server instead of queueing', { timeout: 30_000 }, async () => {
    const TOTAL = 64 * MiB;
    const dir = tmpIoDir(scope);
    const go = join(dir, 'go');
    const shell = join(dir, 'slow-sh');
    writeFileSync(shell, `#!/bin/sh\n${readsAfter(go)}\n`, { mode: 0o755 });
    const srv = await startIosrv(scope, ['-d'], { dir, env: SHELL_ENV });
    const host = spawnIo(scope, 'io', ['host', srv.name, '3'], envIn(dir, { ...SHELL_ENV, SHELL: shell }));
    await waitFor(async () => /^trihub 3: host pid/m.test(await rawCtl(srv.sock, 'status')), { what: 'the host on trihub 3' });
    const base = rssOf(host.pid!);
    let grown = 0;
    const sampler = setInterval(() => (grown = Math.max(grown, rssOf(host.pid!) - base)), 20);
    scope.defer(() => clearInterval(sampler));
    let sent = 0;
    await rawWrite(srv.sock, 3, textLines(TOTAL), { onSent: (n) => (sent += n) });
    await sleep(300); // what is on its way to the host arrives
    grown = Math.max(grown, rssOf(host.pid!) - base);
    clearInterval(sampler);
    expect(sent).toBe(TOTAL);
    expect(grown, `host RSS grew by ${Math.round(grown / MiB)} MiB for ${TOTAL / MiB} MiB written`).toBeLessThan(HOST_RSS_LIMIT_BYTES);
    // and it reads again once its shell does: new input reaches it
    writeFileSync(go, '');
    await waitFor(async () => / H3out\d+ conn \d+ lag 0 /.test(await rawCtl(srv.sock, 'h3v')), { what: 'the host caught up', timeoutMs: 15_000 });
  });
});
