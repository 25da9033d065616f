// chat.test.ts — io -c cat chat: the man page's chat room, with three people in it.
//
// The session is cat on pipes (no pty): everything a client sends goes to
// cat (hub 0), and cat's echo (hub 1) reaches every client. Three clients run
// `io chat` with piped stdin and stdout, as a script would: their input is
// data, so a line that reads like a client command (`hub quit`, `detach`) is
// said to the room like any other. A fourth is on a node-pty terminal, read as
// lines: there a line that is a client command (`hub status`, `hist`) is taken
// by that client and never reaches the room, and Ctrl-D is pressed as a person
// does. End of input detaches that client only: the room goes on.

import { describe, expect, it } from 'vitest';
import { runIo, spawnIo } from '../helpers/bin.js';
import { tmpIoDir } from '../helpers/iodir.js';
import { useScope } from '../helpers/scope.js';
import { Term } from '../helpers/term.js';
import { userEnv } from '../helpers/tmux.js';
import { waitFor } from '../helpers/until.js';

const scope = useScope();

interface Person {
  name: string;
  say(line: string): void;
  out: { text: string };
  err: { text: string };
  leave(): void;
  exited: Promise<number | null>;
}

function join(env: NodeJS.ProcessEnv, name: string): Person {
  const child = spawnIo(scope, 'io', ['chat'], env);
  const out = { text: '' };
  const err = { text: '' };
  child.stdout!.on('data', (b: Buffer) => (out.text += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (err.text += b.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, out, err, exited, say: (line) => child.stdin!.write(`${line}\n`), leave: () => child.stdin!.end() };
}

async function clients(env: NodeJS.ProcessEnv): Promise<number> {
  const status = (await runIo('io', ['ctl', 'chat', 'status'], env)).stdout;
  return Number(/clients (\d+)/.exec(status)?.[1] ?? NaN) - 1; // less this ctl
}

/** Everyone has seen every one of these lines. */
async function allSee(people: Person[], lines: string[]): Promise<void> {
  await waitFor(() => people.every((p) => lines.every((l) => p.out.text.split('\n').includes(l))), {
    what: `${lines.join(', ')} at ${people.map((p) => p.name).join(', ')}`,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${people.map((p) => `--- ${p.name} ---\n${p.out.text}`).join('\n')}`);
  });
}

describe('io -c cat chat', () => {
  it('three piped clients: every line reaches all three, command words included; end of input leaves alone', async () => {
    const dir = tmpIoDir(scope);
    const env = userEnv(scope, dir);
    expect((await runIo('io', ['-c', 'cat', 'chat'], env)).status).toBe(0);
    const [ann, bob, cy] = ['ann', 'bob', 'cy'].map((n) => join(env, n)) as [Person, Person, Person];
    const everyone = [ann, bob, cy];
    await waitFor(async () => (await clients(env)) === 3, { what: 'three clients' });

    ann.say('ann: hello');
    await allSee(everyone, ['ann: hello']);
    bob.say('bob: hi ann');
    cy.say('cy: hi all');
    await allSee(everyone, ['bob: hi ann', 'cy: hi all']);

    // piped input is data: lines that read like client commands are said to the room, and nothing is done
    bob.say('hub quit');
    bob.say('detach');
    bob.say('\x1dclear');
    await allSee(everyone, ['hub quit', 'detach', '\x1dclear']);
    cy.say('cy: after them');
    await allSee(everyone, ['cy: after them', 'ann: hello']);
    expect(bob.err.text).toBe('');
    expect(await clients(env)).toBe(3);

    // ann's input ends: ann leaves (exit 0), bob and cy chat on
    ann.leave();
    expect(await ann.exited).toBe(0);
    await waitFor(async () => (await clients(env)) === 2, { what: 'two clients left' });
    bob.say('bob: ann left');
    await allSee([bob, cy], ['bob: ann left']);
    expect(ann.out.text).not.toContain('bob: ann left');

    // a newcomer reads the backlog: the whole conversation so far
    const dee = join(env, 'dee');
    await allSee([dee], ['ann: hello', 'bob: hi ann', 'cy: hi all', 'hub quit', 'cy: after them', 'bob: ann left']);
    expect(dee.out.text).toBe(bob.out.text);
  });

  it('a terminal client: hub status is answered, not said; hist lists its lines; Ctrl-D on an empty line detaches; the chat goes on', async () => {
    const dir = tmpIoDir(scope);
    const env = userEnv(scope, dir);
    expect((await runIo('io', ['-c', 'cat', 'chat'], env)).status).toBe(0);
    const watcher = join(env, 'watcher');
    const term = new Term(scope, 'io', ['chat'], env);
    await waitFor(async () => (await clients(env)) === 2, { what: 'two clients' });

    term.write('from the terminal\r');
    await allSee([watcher], ['from the terminal']);
    await term.waitText(/^from the terminal\n(.*\n)*from the terminal$/m); // its own echo (cooked), then cat's
    term.write('second line\r');
    await allSee([watcher], ['second line']);

    // a client command: the terminal gets the status; the room hears nothing of it
    const before = term.text.length;
    term.write('hub status\r');
    await term.waitText(/^trihub 0: session pid \d+, pipes, cat$/m, { from: before });
    expect(term.text.slice(before)).toMatch(/^io chat: pid \d+, fast, notrunc, clients \d+/m);

    const from = term.text.length;
    term.write('hist\r');
    await term.waitText(/^ +4 {2}hist$/m, { from });
    expect(term.text.slice(from)).toMatch(/^ +1 {2}from the terminal\n +2 {2}second line\n +3 {2}hub status\n +4 {2}hist$/m);
    expect(watcher.out.text).not.toMatch(/hist|hub status/);

    // a line that starts with Ctrl-] is a command, as in raw mode, and goes to nobody
    const at = term.text.length;
    term.write('\x1dstatus\r');
    await term.waitText(/^io: chat: server pid \d+, trihub 0 \(hubs 0 1 2\), fast, lines$/m, { from: at });
    term.write('\x1dfrobnicate\r');
    await term.waitText(/^io: unknown command 'frobnicate'/m, { from: at });
    expect(watcher.out.text).not.toMatch(/status|frobnicate/);

    // a partial line, then Ctrl-D twice: the first sends what was typed (as to any program on a
    // terminal), the second leaves, and the client says so on a line of its own
    term.write('partial\x04');
    await waitFor(() => watcher.out.text.endsWith('\npartial'), { what: () => `the partial line at the watcher (${JSON.stringify(watcher.out.text.slice(-40))})` });
    term.write('\x04');
    expect(await term.exited()).toBe(0);
    expect(term.text).toMatch(/partial\nio: detached from chat$/m);
    await waitFor(async () => (await clients(env)) === 1, { what: 'one client left' });
    watcher.say('still here');
    await allSee([watcher], ['partialstill here']);
    expect(term.text).not.toContain('still here');

    // Ctrl-C leaves too (SPEC §5), and only that client
    const other = new Term(scope, 'io', ['chat'], env);
    await other.waitText(/^partialstill here$/m);
    other.write('\x03');
    expect(await other.exited()).toBe(0);
    expect(other.text).toContain('io: detached from chat');
    await waitFor(async () => (await clients(env)) === 1, { what: 'one client left again' });
    watcher.say('and on');
    await allSee([watcher], ['and on']);

    // and Ctrl-\, as in raw mode (the cooked terminal makes it SIGQUIT, which must not kill the client)
    const third = new Term(scope, 'io', ['chat'], env);
    await third.waitText(/^and on$/m);
    third.write('\x1c');
    expect(await third.exited()).toBe(0);
    expect(third.text).toContain('io: detached from chat');
    await waitFor(async () => (await clients(env)) === 1, { what: 'one client left a third time' });
  });
});
