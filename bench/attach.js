// attach.js — from starting `io NAME` (a live server holding 512 KiB of
// backlog in hub 1) to the whole backlog on the client's terminal (a pty).
//
// The session has printed more than a ring of text and then a marker, so hub 1
// holds a full ring (512 KiB) that ends with the marker; the time runs from
// spawning `node dist/cli/io.js NAME` on a pty of 80x24 to the marker on its
// master. Against it, in the same run: Node's own start-up (`node -e` printing
// a word, on the same kind of pty), the time to load io's code (`io --version`),
// and, on a Node that has one (22.1 and later), the attach again with
// NODE_COMPILE_CACHE (the compiled code of every module io loads, kept in a
// directory; the first run fills it and is not counted). The client detaches
// with Ctrl-\ after each run.

import module from 'node:module';
import { join } from 'node:path';
import { BUILDS, KiB, MiB, Pty, RUNS, deadline, finish, fix, ioCtl, median, met, scratch, startIosrv, stopIosrv, table, textFile, waitFor } from './lib.js';

const ATTACH_RUNS = Math.max(RUNS, 9);
/** NODE_COMPILE_CACHE is read by Node 22.1 and later; an older Node ignores it. */
const HAS_COMPILE_CACHE = typeof module.enableCompileCache === 'function';
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

// Every build's server is up first; then each round times Node, and each build's
// --version and attach, one after the other, so a slow moment hits one round
// rather than one line. Ratios and differences to Node are taken round by round.
const servers = [];
for (const b of BUILDS) {
  const tag = `a${BUILDS.indexOf(b)}`;
  servers.push(await startIosrv(dir, tag, ['--pty', '-c', `cat ${file}; printf '${MARK}'; exec sleep 600`], { iosrv: b.iosrv }));
  // hub 1 full: more than a ring in, the marker last
  await waitFor(() => Number(/bytes in (\d+)/.exec(ioCtl(dir, tag, 'h1v'))?.[1] ?? 0) > 1 * MiB + MARK.length, 'the backlog', 10_000, 50);
  b.tag = tag;
  b.cacheDir = join(dir, `cc${tag}`);
  if (HAS_COMPILE_CACHE) await timeTo([process.execPath, b.io, tag], MARK, { NODE_COMPILE_CACHE: b.cacheDir }); // fills the cache
}

const node = { what: '`node -e` (Node start-up)', runs: [] };
const rows = [node];
for (const b of BUILDS) {
  b.version = { what: `\`${b.label} --version\` (Node + io's code)`, runs: [] };
  b.plain = { what: `\`${b.label} NAME\`, 512 KiB backlog on screen`, runs: [], attach: true, label: b.label };
  rows.push(b.version, b.plain);
  if (HAS_COMPILE_CACHE) {
    b.cached = { what: 'the same, NODE_COMPILE_CACHE', runs: [], attach: true, label: `${b.label} (compile cache)` };
    rows.push(b.cached);
  }
}
let bytes = 0;
for (let r = 0; r < ATTACH_RUNS; r++) {
  node.runs.push((await timeTo([process.execPath, '-e', `process.stdout.write('${MARK}')`], MARK)).ms);
  for (const b of BUILDS) {
    b.version.runs.push((await timeTo([process.execPath, b.io, '--version'], '.')).ms);
    const p = await timeTo([process.execPath, b.io, b.tag], MARK);
    b.plain.runs.push(p.ms);
    bytes = p.bytes;
    if (HAS_COMPILE_CACHE) b.cached.runs.push((await timeTo([process.execPath, b.io, b.tag], MARK, { NODE_COMPILE_CACHE: b.cacheDir })).ms);
  }
}
for (const srv of servers) await stopIosrv(srv);

const overNode = (row) => median(row.runs.map((ms, r) => ms - node.runs[r]));
const timesNode = (row) => median(row.runs.map((ms, r) => ms / node.runs[r]));
console.log(`## attach: \`io NAME\` to 512 KiB of backlog on its terminal (ms, median of ${ATTACH_RUNS})\n`);
console.log(table(['what', 'ms', 'more than node -e', '× node -e'], rows.map((row) => [row.what, fix(median(row.runs), 1), row === node ? '–' : fix(overNode(row), 1), row === node ? '1.00' : fix(timesNode(row))])));
console.log(`\nThe client's terminal got ${fix(bytes / KiB, 0)} KiB on attach (mode preamble, backlog, the marker).`);
if (!HAS_COMPILE_CACHE) console.log(`NODE_COMPILE_CACHE not measured: Node ${process.version} has no compile cache (Node 22.1 and later do).`);
console.log('');
for (const row of rows.filter((x) => x.attach)) console.log(`goal ${row.label} attach ≤ 40 ms: ${fix(median(row.runs), 1)} ${met(median(row.runs) <= 40)}`);
finish();
