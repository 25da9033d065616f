// relay.js — the Node floor for pty.js and echo.js: a plain Node relay of one
// pty over one Unix socket, and its client. Not a bench itself (run.js does
// not list it).
//
//   node bench/relay.js server SOCKET CMD   run `sh -c CMD` on a pty (node-pty, 80x24); print "ready" once listening
//   node bench/relay.js attach SOCKET       put the terminal in raw mode (and -opost, as io and dtach do); relay both ways
//
// The server hands the pty's output to the one client as it comes (held until
// a client is there) and the client's bytes to the pty; the client copies the
// socket to its terminal and its terminal to the socket. No hubs, no frames, no
// ring: what any Node program pays to stand between a pty and a terminal. Ctrl-\
// leaves the client.

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';

const [mode, path, cmd] = process.argv.slice(2);

function server() {
  const pty = createRequire(import.meta.url)('node-pty');
  rmSync(path, { force: true });
  const term = pty.spawn('/bin/sh', ['-c', cmd], { name: 'xterm-256color', cols: 80, rows: 24, encoding: null });
  let client = null;
  const early = [];
  term.onData((b) => (client ? client.write(b) : early.push(b)));
  term.onExit(() => process.exit(0));
  net
    .createServer((s) => {
      s.on('error', () => s.destroy());
      client = s;
      for (const b of early.splice(0)) s.write(b);
      s.on('data', (b) => term.write(b));
      s.on('close', () => {
        if (client === s) client = null;
      });
    })
    .listen(path, () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => {
    term.kill('SIGKILL');
    process.exit(0);
  });
}

function attach() {
  const s = net.connect(path);
  process.stdin.setRawMode(true);
  spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  process.stdin.on('data', (b) => {
    if (b.includes(0x1c)) process.exit(0);
    s.write(b);
  });
  s.on('data', (b) => process.stdout.write(b));
  s.on('close', () => process.exit(0));
}

if (mode === 'server') server();
else if (mode === 'attach') attach();
else {
  console.error('usage: node bench/relay.js server SOCKET CMD | attach SOCKET');
  process.exit(2);
}
