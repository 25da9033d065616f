// run.js — `npm run bench`: every bench file in turn, each in its own node.
//
// A bench is a plain ESM file here that imports the build (../dist) and
// prints a markdown section; a new one is a new line in BENCHES. Each runs as
// a child process so no bench's JIT, heap or open handles colour the next.
// `npm run bench -- hub` runs only the benches whose name contains "hub".

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['hub.js'];

const filter = process.argv[2] ?? '';
const chosen = BENCHES.filter((name) => name.includes(filter));
if (chosen.length === 0) {
  console.error(`bench: nothing matches '${filter}' (benches: ${BENCHES.join(' ')})`);
  process.exit(2);
}

for (const name of chosen) {
  const file = fileURLToPath(new URL(name, import.meta.url));
  const child = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (child.status !== 0) {
    console.error(`bench: ${name} failed (${child.signal ?? `status ${child.status}`})`);
    process.exit(1);
  }
  console.log();
}
