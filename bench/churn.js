// churn.js — CYCLES connect/disconnect cycles against one `-d` server, of
// each kind: a raw reader (`read 1`, waits for its first byte of backlog,
// leaves) and a framed client (`IO 1`, waits for the hello frame, leaves).
// The server's open fds (/proc/PID/fd) and RSS before, after, and after a
// quiet second: a leak shows as fds or memory that do not come back.
// CONCURRENCY clients at a time; the figure per kind is one run (RUNS of them
// would churn RUNS × CYCLES); cycles/s is reported too. The raw readers come
// round twice: memory that grows in the first round and not in the second is
// the heap's high-water mark, not a leak.

import { KiB, SCALE, connect, deadline, fdCount, finish, fix, ioCtl, rssBytes, scratch, sleep, startIosrv, stopIosrv, table, waitFor, BUILDS } from './lib.js';

const CYCLES = Math.max(500, Math.round(10_000 * SCALE));
const CONCURRENCY = 20;
deadline(150_000, 'churn');

const dir = scratch('churn');
const MB = 1e6;

function rawReadCycle(sock) {
  return connect(sock).then(
    (s) =>
      new Promise((resolve, reject) => {
        s.on('error', reject);
        s.once('data', () => {
          s.destroy();
          resolve();
        });
        s.write('read 1\n');
      }),
  );
}

function framedCycle(sock) {
  return connect(sock).then(
    (s) =>
      new Promise((resolve, reject) => {
        let got = Buffer.alloc(0);
        s.on('error', reject);
        s.on('data', (b) => {
          got = Buffer.concat([got, b]);
          const nl = got.indexOf(10);
          // "IO 1\n", then the hello frame's 8-byte header and its payload
          if (nl >= 0 && got.length >= nl + 1 + 8 && got.length >= nl + 1 + 8 + got.readUInt32BE(nl + 1 + 4)) {
            s.destroy();
            resolve();
          }
        });
        s.write('IO 1\n');
      }),
  );
}

async function churn(sock, cycle) {
  let left = CYCLES;
  const t0 = performance.now();
  const worker = async () => {
    while (left > 0) {
      left--;
      await cycle(sock);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return CYCLES / ((performance.now() - t0) / 1000);
}

const rows = [];
for (const b of BUILDS) {
  const tag = `c${BUILDS.indexOf(b)}`;
  const srv = await startIosrv(dir, tag, ['-d'], { iosrv: b.iosrv });
  // a little backlog in hub 1, so a raw reader gets a first byte at once
  const w = await connect(srv.socket);
  w.end(Buffer.concat([Buffer.from('write 1\n'), Buffer.alloc(4 * KiB, 'c')]));
  await waitFor(() => /held 4096/.test(ioCtl(dir, tag, 'status')), 'backlog in hub 1');
  // one of each first, so code loaded on first use is not counted as growth
  await rawReadCycle(srv.socket);
  await framedCycle(srv.socket);
  await sleep(500);
  // raw readers a second time: growth that stops (a heap's high-water mark) is not a leak; growth that goes on is
  for (const [kind, cycle] of [['raw `read 1`', rawReadCycle], ['framed hello', framedCycle], ['raw `read 1`, again', rawReadCycle]]) {
    const fd0 = fdCount(srv.pid);
    const rss0 = rssBytes(srv.pid);
    const rate = await churn(srv.socket, cycle);
    const fd1 = fdCount(srv.pid);
    const rss1 = rssBytes(srv.pid);
    await sleep(1000);
    const fd2 = fdCount(srv.pid);
    const rss2 = rssBytes(srv.pid);
    const clients = /clients (\d+)/.exec(ioCtl(dir, tag, 'status'))?.[1];
    rows.push([b.label, kind, CYCLES, fix(rate, 0), `${fd0} → ${fd1} → ${fd2}`, `${fix(rss0 / MB, 1)} → ${fix(rss1 / MB, 1)} → ${fix(rss2 / MB, 1)}`, clients === '1' ? '0' : `${Number(clients) - 1}`]);
  }
  await stopIosrv(srv);
}

console.log(`## churn: ${CYCLES} connect/disconnect cycles of each kind, ${CONCURRENCY} at a time, one \`iosrv -d\`\n`);
console.log(table(['build', 'client', 'cycles', 'cycles/s', 'server fds: before → after → 1 s later', 'server RSS MB: before → after → 1 s later', 'clients left'], rows));
console.log('\n"clients left": connections the server still counts after the churn (the status query itself excluded).');
finish();
