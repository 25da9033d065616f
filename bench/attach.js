// attach.js — from starting `io NAME` (a live server holding 512 KiB of
// backlog in hub 1) to the whole backlog on the client's terminal (a pty).
//
// The session has printed more than a ring of text and then a marker, so hub 1
// holds a full ring (512 KiB) that ends with the marker; the time runs from
// spawning `node dist/cli/io.js NAME` on a pty of 80x24 to the marker on its
// master. Against it, in the same run: Node's own start-up (`node -e` printing
// a word, on the same kind of pty), the time to load io's code (`io --version`),
// and the attach again with NODE_COMPILE_CACHE (Node 20.20: the compile cache
// of every module io loads, kept in a directory; the first run fills it and
// is not counted). The client detaches with Ctrl-\ after each run.

import { join } from 'node:path';
import { BUILDS, KiB, MiB, Pty, RUNS, deadline, finish, fix, ioCtl, median, met, scratch, startIosrv, stopIosrv, table, textFile, waitFor } from './lib.js';

const ATTACH_RUNS = Math.max(RUNS, 9);
const MARK = 'IOB-BACKLOG-END';
deadline(120_000, 'attach');

const dir = scratch('att');
const file = join(dir, 'backlog.txt');
textFile(file, 1 * MiB);

/** Spawn argv on a pty; ms until marker appears; then stop it (Ctrl-\ or its exit). */
async function timeTo(argv, marker, env = {}) {
  const t0 = process.hrtime.bigint();
  const term = new Pty(dir, argv[0], argv.slice(1), { env });
  const t1 = await term.seen(marker, 10_000);
  const ms = Number(t1 - t0) / 1e6;
  if (!term.exited) term.write('\x1c');
  await term.waitExit(5000).catch(() => term.close());
  return { ms, bytes: term.bytes };
}

const rows = [];
const node = [];
for (let r = 0; r < ATTACH_RUNS; r++) node.push((await timeTo([process.execPath, '-e', `process.stdout.write('${MARK}')`], MARK)).ms);
rows.push({ what: '`node -e` (Node start-up)', ms: median(node) });

for (const b of BUILDS) {
  const tag = `a${BUILDS.indexOf(b)}`;
  const srv = await startIosrv(dir, tag, ['--pty', '-c', `cat ${file}; printf '${MARK}'; exec sleep 600`], { iosrv: b.iosrv });
  // hub 1 full: more than a ring in, the marker last
  await waitFor(() => Number(/bytes in (\d+)/.exec(ioCtl(dir, tag, 'h1v'))?.[1] ?? 0) > 1 * MiB + MARK.length, 'the backlog', 10_000, 50);
  const version = [];
  const plain = [];
  const cached = [];
  const cacheDir = join(dir, `cc${tag}`);
  await timeTo([process.execPath, b.io, tag], MARK, { NODE_COMPILE_CACHE: cacheDir }); // fills the cache
  for (let r = 0; r < ATTACH_RUNS; r++) {
    version.push((await timeTo([process.execPath, b.io, '--version'], '.')).ms);
    const p = await timeTo([process.execPath, b.io, tag], MARK);
    plain.push(p.ms);
    cached.push((await timeTo([process.execPath, b.io, tag], MARK, { NODE_COMPILE_CACHE: cacheDir })).ms);
    if (r === 0) rows.bytes = p.bytes;
  }
  rows.push({ what: `\`${b.label} --version\` (Node + io's code)`, ms: median(version) });
  rows.push({ what: `\`${b.label} NAME\`, 512 KiB backlog on screen`, ms: median(plain), attach: true, label: b.label });
  rows.push({ what: `the same, NODE_COMPILE_CACHE`, ms: median(cached), attach: true, label: `${b.label} (compile cache)` });
  await stopIosrv(srv);
}

const nodeMs = rows[0].ms;
console.log(`## attach: \`io NAME\` to 512 KiB of backlog on its terminal (ms, median of ${ATTACH_RUNS})\n`);
console.log(table(['what', 'ms', 'of which Node start-up', '× node -e'], rows.map((r) => [r.what, fix(r.ms, 1), r === rows[0] ? '–' : `${fix((100 * nodeMs) / r.ms, 0)} %`, fix(r.ms / nodeMs)])));
console.log(`\nThe client's terminal got ${fix(rows.bytes / KiB, 0)} KiB on attach (mode preamble, backlog, the marker).`);
console.log('');
for (const r of rows.filter((x) => x.attach)) console.log(`goal ${r.label} attach ≤ 40 ms: ${fix(r.ms, 1)} ${met(r.ms <= 40)}`);
finish();
