#!/usr/bin/env node
// io.ts — the program a user types: start a server when the name is free,
// attach when it is taken; and the small tools around it (commands.ts).
//
// Start-up is most of an attach, so the plain `io NAME [words]` goes first
// to attach.ts, which loads only what a terminal on a live session needs;
// when NAME has no live server, or there are flags or a subcommand, the whole
// command line (commands.ts, with its flag parser) takes over.

import { attachLive, isPlainAttach } from './attach.js';
import { runMain } from './main.js';

runMain(async () => {
  const args = process.argv.slice(2);
  if (isPlainAttach(args) && (await attachLive(args[0]!, args.slice(1)))) return;
  await (require('./commands.js') as typeof import('./commands.js')).run();
});
