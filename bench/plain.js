// plain.js — the yardstick for fanout.js: a plain Node Unix-socket broadcast
// server, and a plain reader. Not a bench itself (run.js does not list it).
//
//   node bench/plain.js server SOCKET   listen; print "ready" on stdout once listening
//   node bench/plain.js read SOCKET     connect as a reader, copy to stdout (as `io read` does)
//
// The server speaks io's raw first lines, so fanout.js drives both alike:
// `read 1\n` makes a reader, `write 1\n` a writer, `ctl\n` + `readers` answers
// the reader count. Every chunk a writer sends goes, as the same Buffer, to
// every reader. It loses nothing: while any reader has HIGH_WATER_BYTES queued
// the writer is not read from (io's paranoid mode, without the ring: this is
// what one process writing the same chunks to N sockets costs).

import net from 'node:net';

const HIGH_WATER_BYTES = 256 * 1024;
const [mode, path] = process.argv.slice(2);

function server() {
  const readers = new Set();
  const writers = new Set();
  let full = 0; // readers at or over the mark
  const pauseWriters = () => writers.forEach((w) => w.pause());
  const resumeWriters = () => writers.forEach((w) => w.resume());
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => s.destroy());
    let head = Buffer.alloc(0);
    const onFirst = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl < 0) return;
      s.off('data', onFirst);
      const line = head.subarray(0, nl).toString();
      const rest = head.subarray(nl + 1);
      if (line.startsWith('read ')) {
        const r = { s, isFull: false };
        readers.add(r);
        s.on('drain', () => {
          if (r.isFull && s.writableLength < HIGH_WATER_BYTES) {
            r.isFull = false;
            if (--full === 0) resumeWriters();
          }
        });
        s.on('end', () => s.destroy());
        s.on('close', () => {
          readers.delete(r);
          if (r.isFull && --full === 0) resumeWriters();
        });
      } else if (line.startsWith('write ')) {
        writers.add(s);
        const onData = (b) => {
          for (const r of readers) {
            r.s.write(b);
            if (!r.isFull && r.s.writableLength >= HIGH_WATER_BYTES) {
              r.isFull = true;
              if (full++ === 0) pauseWriters();
            }
          }
        };
        s.on('data', onData);
        s.on('end', () => s.end());
        s.on('close', () => writers.delete(s));
        if (full > 0) s.pause();
        if (rest.length) onData(rest);
      } else if (line === 'ctl') {
        s.end(`readers ${readers.size}\n`);
      } else s.destroy();
    };
    s.on('data', onFirst);
  });
  srv.listen(path, () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => process.exit(0));
}

function reader() {
  const s = net.connect(path, () => s.write('read 1\n'));
  s.on('data', (b) => {
    if (!process.stdout.write(b)) {
      s.pause();
      process.stdout.once('drain', () => s.resume());
    }
  });
  s.on('close', () => process.exit(0));
  process.stdout.on('error', () => process.exit(0));
}

if (mode === 'server') server();
else if (mode === 'read') reader();
else {
  console.error('usage: node bench/plain.js server|read SOCKET');
  process.exit(2);
}
