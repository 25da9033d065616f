// commander.ts — commander for the three programs, required rather than imported.
//
// commander is CommonJS. Imported from an ES module, Node loads its
// cjs-module-lexer and parses the package for named exports: with node-pty
// (sys/pty.ts requires it too) that was 0.5 MB of an idle server's RSS.

import { createRequire } from 'node:module';
import type * as Commander from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const { Command, InvalidArgumentError, Option } = commander;
export type Command = Commander.Command;
