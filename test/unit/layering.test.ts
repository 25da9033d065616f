// layering.test.ts — the import rules of STYLE §1 and §8, checked on the source.
//
// cli → server | client | shell → sys, core; core → nothing. server never
// imports client or shell, client never imports server; sys imports only sys
// and core; each outside thing has one seam (node-pty: sys/pty.ts; ws:
// server/websocket.ts and client/connect.ts). Imports are read with regular
// expressions, not a compiler: static, `export … from`, side-effect and
// dynamic `import('…')`, `require('…')`, type-only ones included (they couple
// layers too).
// A first block checks the reader on known lines, so a rule can't pass by
// finding nothing. A last block keeps the plain `io NAME` attach light: what
// src/cli/io.ts loads before it runs (static imports, type-only ones aside,
// and requires at the top of a file).

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

interface Import {
  /** The importing file, relative to the repo root with '/' (src/server/conn.ts). */
  file: string;
  spec: string;
  /** For a relative spec: the file it names, relative to the repo root; else null. */
  target: string | null;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

/** Block comments and whole-line // comments out, so commented-out code counts for nothing. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

const STATIC = /^\s*(?:import|export)\s+(?:type\s+)?[\w\s{},*$]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const BARE = /^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\s*\(\s*['"]([^'"]+)['"]/g;
/** The source is CommonJS once built: what is loaded late is required (`require('./x.js') as typeof import('./x.js')`). */
const REQUIRE = /\brequire\s*\(\s*['"]([^'"]+)['"]/g;
/** A require at the top of a file runs when the file is loaded. */
const TOP_REQUIRE = /^(?:export\s+)?(?:const|let)\s[^=\n]*=\s*require\s*\(\s*['"]([^'"]+)['"]/gm;

function importsOf(text: string): string[] {
  const code = stripComments(text);
  const specs: string[] = [];
  for (const re of [STATIC, BARE, DYNAMIC, REQUIRE]) for (const m of code.matchAll(re)) specs.push(m[1] ?? '');
  return [...new Set(specs)];
}

const posix = (path: string): string => path.split(sep).join('/');

const ALL: Import[] = sourceFiles(SRC).flatMap((path) =>
  importsOf(readFileSync(path, 'utf8')).map((spec) => ({
    file: posix(relative(ROOT, path)),
    spec,
    target: spec.startsWith('.') ? posix(relative(ROOT, resolve(dirname(path), spec))) : null,
  })),
);

const layerOf = (path: string): string => path.split('/')[1] ?? '';
const inLayer = (layer: string): Import[] => ALL.filter((i) => layerOf(i.file) === layer);
const show = (list: Import[]): string[] => list.map((i) => `${i.file} imports '${i.spec}'`);

describe('the import reader', () => {
  it('finds every form of import', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      'import {',
      '  c,',
      '  type D,',
      "} from './c.js';",
      "import * as e from 'node:e';",
      "import f, { g as h } from \"f\";",
      "export { i } from './i.js';",
      "export * from './j.js';",
      "export type { K } from './k.js';",
      "import './side.js';",
      "const m = await import('m');",
      "const n = require('n') as typeof import('n');",
      "const o = require('o');",
      "// import { x } from './commented.js';",
      "/* import { y } from './blocked.js'; */",
      "const s = 'not from \\'here\\'';",
      "export function from2(from: number): string { return 'x'; }",
    ].join('\n');
    expect(importsOf(text).sort()).toEqual(['../b.js', './a.js', './c.js', './i.js', './j.js', './k.js', './side.js', 'f', 'm', 'n', 'o', 'node:e'].sort());
  });

  it('sees the imports it must see in the real source', () => {
    const has = (file: string, spec: string): boolean => ALL.some((i) => i.file === file && i.spec === spec);
    expect(ALL.length).toBeGreaterThan(50);
    expect(has('src/sys/pty.ts', 'node-pty')).toBe(true);
    expect(has('src/cli/commands.ts', 'commander')).toBe(true);
    expect(has('src/cli/attach.ts', '../shell/shell.js')).toBe(true);
    expect(has('src/server/control.ts', '../core/ctl.js')).toBe(true);
    expect(has('src/client/connect.ts', 'ws')).toBe(true);
    expect(inLayer('core').length).toBeGreaterThan(5);
  });
});

describe('layering (STYLE §1)', () => {
  it('src/core imports only src/core (node:buffer aside): no node: modules, no packages', () => {
    const bad = inLayer('core').filter((i) => (i.target === null ? i.spec !== 'node:buffer' : layerOf(i.target) !== 'core'));
    expect(show(bad)).toEqual([]);
  });

  it('src/core uses no timers, clock or process', () => {
    const bad: string[] = [];
    for (const path of sourceFiles(join(SRC, 'core'))) {
      const code = stripComments(readFileSync(path, 'utf8'));
      for (const m of code.matchAll(/\b(setTimeout|setInterval|setImmediate|queueMicrotask|Date\.now|new Date|performance\.now|process\.\w+|require)\b/g)) {
        bad.push(`${posix(relative(ROOT, path))}: ${m[1] ?? ''}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('src/server never imports src/client, src/shell or src/cli', () => {
    const bad = inLayer('server').filter((i) => i.target !== null && ['client', 'shell', 'cli'].includes(layerOf(i.target)));
    expect(show(bad)).toEqual([]);
  });

  it('src/client never imports src/server, src/shell or src/cli', () => {
    const bad = inLayer('client').filter((i) => i.target !== null && ['server', 'shell', 'cli'].includes(layerOf(i.target)));
    expect(show(bad)).toEqual([]);
  });

  it('src/shell never imports src/server or src/cli', () => {
    const bad = inLayer('shell').filter((i) => i.target !== null && ['server', 'cli'].includes(layerOf(i.target)));
    expect(show(bad)).toEqual([]);
  });

  it('src/sys imports only src/sys and src/core', () => {
    const bad = inLayer('sys').filter((i) => i.target !== null && !['sys', 'core'].includes(layerOf(i.target)));
    expect(show(bad)).toEqual([]);
  });

  it('nothing outside src/cli imports src/cli', () => {
    const bad = ALL.filter((i) => layerOf(i.file) !== 'cli' && i.target !== null && layerOf(i.target) === 'cli');
    expect(show(bad)).toEqual([]);
  });

  it('src/web (the browser page) imports nothing from the rest of src', () => {
    const bad = inLayer('web').filter((i) => i.target !== null && layerOf(i.target) !== 'web');
    expect(show(bad)).toEqual([]);
  });
});

describe('one seam per outside thing (STYLE §8)', () => {
  it('only src/sys/pty.ts imports node-pty', () => {
    const bad = ALL.filter((i) => i.spec === 'node-pty' && i.file !== 'src/sys/pty.ts');
    expect(show(bad)).toEqual([]);
  });

  it('only src/server/websocket.ts and src/client/connect.ts import ws', () => {
    const bad = ALL.filter((i) => (i.spec === 'ws' || i.spec.startsWith('ws/')) && !['src/server/websocket.ts', 'src/client/connect.ts'].includes(i.file));
    expect(show(bad)).toEqual([]);
  });

  it('commander is only in src/cli', () => {
    const bad = ALL.filter((i) => i.spec === 'commander' && layerOf(i.file) !== 'cli');
    expect(show(bad)).toEqual([]);
  });
});

describe('start-up of the plain attach (cli/attach.ts)', () => {
  /** Files and packages loaded before src/cli/io.ts runs: its static value imports and top-level requires, followed through src. */
  function loadedAtStart(entry: string): Set<string> {
    const seen = new Set<string>();
    const walk = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = stripComments(readFileSync(join(ROOT, file), 'utf8'));
      for (const m of [...code.matchAll(STATIC), ...code.matchAll(BARE), ...code.matchAll(TOP_REQUIRE)]) {
        if (/^\s*(?:import|export)\s+type\b/.test(m[0])) continue;
        const spec = m[1] ?? '';
        if (spec.startsWith('.')) walk(posix(relative(ROOT, resolve(dirname(join(ROOT, file)), spec))).replace(/\.js$/, '.ts'));
        else seen.add(spec);
      }
    };
    walk(entry);
    return seen;
  }

  it('src/cli/io.ts loads no flag parser, no other subcommand, no server, no shell until it needs them', () => {
    const loaded = [...loadedAtStart('src/cli/io.ts')];
    expect(loaded).toContain('src/client/connect.ts');
    const heavy = loaded.filter((f) => ['commander', 'ws', 'node-pty', 'node:child_process'].includes(f) || /^src\/(server|shell)\/|^src\/cli\/(commands|options|daemon|serve)\.ts$/.test(f));
    expect(heavy).toEqual([]);
  });
});
