// examples.test.ts — the EXAMPLES of the io(1) man page, in order, as a user types them.
//
// The man page's windows are tmux windows on a private tmux server (one per
// test); keys go in with send-keys, the screen comes out with capture-pane.
// Plan 9's pieces are translated as SPEC.md says: /srv/NAME is $IO_DIR/NAME,
// `import` is not needed on one machine, `mount … && rc -i <H3out3/data1
// >H4in4/data` becomes `io read rc.3 3 | sh -i 2>&1 | io write rc.3 4`, and
// `ioshell H3in3/data H4out4/data1 H5err5/data1 ctl/data` becomes
// `ioshell rc.3 3 4 5`. Session shells are /bin/sh with the prompt '% ' (the
// terminal's own bash says '$ '), so a screen tells which one is talking.
// Each example is its own test with its own IO_DIR, so one failure does not
// hide the next.

import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runIo, spawnIo } from '../helpers/bin.js';
import { tmpIoDir } from '../helpers/iodir.js';
import { useScope } from '../helpers/scope.js';
import { SESSION_PROMPT, Tmux, userEnv } from '../helpers/tmux.js';
import { waitFor } from '../helpers/until.js';

const scope = useScope();

function world(): { dir: string; env: Record<string, string>; t: Tmux } {
  const dir = tmpIoDir(scope);
  const env = userEnv(scope, dir);
  return { dir, env, t: Tmux.start(scope, { env }) };
}

/** A line on the screen that is exactly text (a command's output, not its echo). */
function lineOf(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm');
}

/** Type a command into an attached session and wait for its output line (exact text, or a pattern). */
async function typeSee(t: Tmux, win: string, command: string, output: string | RegExp): Promise<string> {
  t.type(win, command);
  return t.waitScreen(win, typeof output === 'string' ? lineOf(output) : output);
}

async function ctl(env: NodeJS.ProcessEnv, name: string, cmd: string): Promise<string> {
  return (await runIo('io', ['ctl', name, cmd], env)).stdout;
}

describe('io(1) EXAMPLES', () => {
  it('io -a aug1 attaches here; io aug1 from a second window shares the screen and the keyboard', async () => {
    const { t } = world();
    t.type('t0', 'io -a aug1');
    await t.waitRaw('t0');
    await typeSee(t, 't0', 'echo one', 'one');

    const w = t.newWindow();
    t.type(w, 'io aug1');
    await t.waitRaw(w);
    // the second client sees the backlog: the first one's command and its output
    await t.waitScreen(w, lineOf('one'));
    expect(t.screen(w)).toContain(`${SESSION_PROMPT}echo one`);
    // and types into the same shell: both windows see it
    await typeSee(t, w, 'echo two', 'two');
    await t.waitScreen('t0', lineOf('two'));
  });

  it('io -l rc.2 starts rc.2 in the background, logging to $IO_DIR/rc.2.log', async () => {
    const { dir, env, t } = world();
    t.type('t0', 'io -l rc.2');
    await t.waitCommand('t0', 'bash');
    await t.waitScreen('t0', /io: \S+ started/);
    // man page: "Start another session named rc.2 backgrounded but with non-verbose logging written to the default logfile"
    expect(t.screen('t0')).toContain('io: rc.2 started (attach: io rc.2)');
    expect((await runIo('io', ['ls'], env)).stdout).toMatch(/^rc\.2\t\d+\t/m);
    expect(existsSync(join(dir, 'rc.2.log'))).toBe(true);
    expect(readFileSync(join(dir, 'rc.2.log'), 'utf8')).toMatch(/iosrv rc\.2 started/);
  });

  it('rc.2: io rc.2 zap, remote 3, attach 3 from another client, attach 0, local 6, attach 6', async () => {
    const { dir, env, t } = world();
    const host = 't0';
    // (host) io -l rc.2
    t.type(host, 'io -l rc.2');
    await t.waitScreen(host, 'io: rc.2 started (attach: io rc.2)');
    expect(readFileSync(join(dir, 'rc.2.log'), 'utf8')).toMatch(/session on trihub 0 started/);

    // something in the backlog, for zap to clear
    const early = t.newWindow();
    t.type(early, 'io rc.2');
    await t.waitRaw(early);
    await typeSee(t, early, 'echo before-$((6*7))', 'before-42');
    t.detach(early);
    await t.waitScreen(early, 'io: detached from rc.2');

    // (client) io rc.2 zap: attached, with the backlog cleared
    const client = t.newWindow();
    t.type(client, 'io rc.2 zap');
    await t.waitRaw(client);
    await typeSee(t, client, 'echo zapped', 'zapped');
    expect(t.history(client)).not.toContain('before-42');

    // (client io:) remote 3: a new shell on trihub 3, and this client is on it
    t.prompt(client, 'remote 3');
    await t.waitScreen(client, new RegExp(`^io: remote 3\\s*\\n${SESSION_PROMPT.trim()}`, 'm'));
    const on3 = Number(/^on3 (\d+)\s*$/m.exec(await typeSee(t, client, 'echo on3 $$', /^on3 (\d+)\s*$/m))?.[1] ?? NaN);
    const status = await ctl(env, 'rc.2', 'status');
    expect(status).toMatch(new RegExp(`^trihub 3: session pid ${on3}, pty \\d+x\\d+, \\(shell\\)$`, 'm'));

    // (client) io rc.2, then (client io:) attach 3: the same shell, its backlog on screen
    const second = t.newWindow();
    t.type(second, 'io rc.2');
    await t.waitRaw(second);
    t.prompt(second, 'attach 3');
    await t.waitScreen(second, lineOf(`on3 ${on3}`));
    await typeSee(t, second, 'echo three-$$', `three-${on3}`);

    // (client io:) attach 0: back on the first shell
    t.prompt(second, 'attach 0');
    await t.waitScreen(second, lineOf('zapped'));
    const on0 = Number(/^trihub 0: session pid (\d+)/m.exec(status)?.[1]);
    await typeSee(t, second, 'echo zero-$$', `zero-${on0}`);

    // (client io:) local 6: a shell on this machine, wired to trihub 6
    t.prompt(second, 'local 6');
    // on trihub 6 once it reads hub 7 (not by its first prompt: attach.test.ts has a test of that)
    await waitFor(async () => /^hub 7: .*outputs [1-9]/m.test(await ctl(env, 'rc.2', 'status')), { what: 'the client on trihub 6' });
    const six = await typeSee(t, second, 'echo six-$$', /^six-(\d+)\s*$/m);
    const on6 = Number(/^six-(\d+)\s*$/m.exec(six)?.[1] ?? NaN);
    const hostPid = Number(/^trihub 6: host pid (\d+)/m.exec(await ctl(env, 'rc.2', 'status'))?.[1] ?? NaN);
    expect(on6).toBe(hostPid);

    // it outlives the client that started it
    t.detach(second);
    await t.waitScreen(second, 'io: detached from rc.2');
    expect(await ctl(env, 'rc.2', 'status')).toContain(`trihub 6: host pid ${hostPid}`);

    // (host io:) attach 6: another client reaches it
    t.prompt(client, 'attach 6');
    await t.waitScreen(client, lineOf(`six-${on6}`));
    await typeSee(t, client, 'echo again-$$', `again-${hostPid}`);
  });

  it("io -c 'tail -f FILE' io.dns: two watchers see every line appended", async () => {
    const { dir, env } = world();
    const file = join(dir, 'dns.log');
    writeFileSync(file, 'query 1\n');
    expect((await runIo('io', ['-c', `tail -f ${file}`, 'io.dns'], env)).status).toBe(0);
    const watchers = [0, 1].map(() => {
      const child = spawnIo(scope, 'io', ['read', 'io.dns', '1'], env);
      const seen = { text: '' };
      child.stdout!.on('data', (b: Buffer) => (seen.text += b.toString()));
      return seen;
    });
    // both start at the backlog
    await waitFor(() => watchers.every((w) => w.text === 'query 1\n'), { what: 'the backlog in both watchers' });
    appendFileSync(file, 'query 2\n');
    appendFileSync(file, 'query 3\n');
    await waitFor(() => watchers.every((w) => w.text === 'query 1\nquery 2\nquery 3\n'), { what: 'both appended lines in both watchers' });
  });

  it('io -i -v rc.3: a console; io rc.3 fast; hub h3s3 … h5e5; a shell wired by hand; ioshell rc.3 3 4 5', async () => {
    const { env, t } = world();
    const console = 't0';
    t.type(console, 'io -i -v rc.3');
    await t.waitScreen(console, /^io:\s*$/m);
    await t.waitScreen(console, /iosrv rc\.3 started/);

    // fear (set paranoid mode)
    t.type(console, 'fear');
    await t.waitScreen(console, /^io: fear\n(.*\n)*ok\s*\nio:/m);
    expect(t.screen(console)).toMatch(/pacing paranoid/);
    // h1v (view info on hub 1)
    t.type(console, 'h1v');
    await t.waitScreen(console, /^hub 1: paranoid, pace 0 ms, held \d+\/512k, inputs 1, outputs \d+, slowest lag \d+, bytes in \d+$/m);
    expect(t.screen(console)).toMatch(/^ {2}H1in\d+ session \d+ pid \d+$/m);
    // shutup (turn off debugging-level output)
    t.type(console, 'shutup');
    await t.waitScreen(console, /verbose logging off\s*\nok\s*\nio:/);

    // io rc.3 fast: attach to its default shell; since paranoid mode was set, use 'fast'
    const shell = t.newWindow();
    t.type(shell, 'io rc.3 fast');
    await t.waitRaw(shell);
    expect(await ctl(env, 'rc.3', 'h1v')).toMatch(/^hub 1: paranoid, pace 0 ms/);
    for (const cmd of ['h3s3', 'h3o3', 'h4s4', 'h4o4', 'h5s5', 'h5e5']) {
      expect.soft(await t.ask(shell, `hub ${cmd}`), `hub ${cmd}`).toBe('ok');
    }
    // h3v shows both names the man page made on hub 3: its input H3in3 and its output H3out3
    expect.soft(await ctl(env, 'rc.3', 'h3v'), 'h3v').toMatch(/^ {2}H3in3 named\n {2}H3out3 named$/m);

    // in a new window, a shell on the new hubs: hub 3 is its input, hub 4 its output
    const wiring = t.newWindow();
    t.type(wiring, 'io read rc.3 3 | sh -i 2>&1 | io write rc.3 4');
    await waitFor(async () => /hub 4: .*inputs [1-9]/.test(await ctl(env, 'rc.3', 'status')), { what: 'the wired shell writing hub 4' });

    // and a client on that shell: ioshell rc.3 3 4 5
    const client = t.newWindow();
    t.type(client, 'ioshell rc.3 3 4 5');
    await waitFor(async () => /hub 4: .*outputs [1-9]/.test(await ctl(env, 'rc.3', 'status')), { what: 'ioshell reading hub 4' });
    t.type(client, 'echo wired');
    await t.waitScreen(client, lineOf('wired'));
  });

  it('the -i console: a log line comes above a half-typed command, which is drawn again; Ctrl-C abandons a line; after quit, no prompt', async () => {
    const { env, t } = world();
    const console = 't0';
    t.type(console, 'io -i -v rc.4');
    await t.waitScreen(console, /^io:\s*$/m);
    t.typeRaw(console, 'sta');
    await t.waitScreen(console, /^io: sta\s*$/m);
    expect(await runIo('io', ['ctl', 'rc.4', 'calm'], env)).toEqual({ status: 0, stdout: 'ok\n', stderr: '' });
    // the log's lines about that connection, each on its own line, and the prompt below them as it was
    await t.waitScreen(console, /conn \d+: gone\s*\nio: sta\s*$/);
    expect(t.screen(console)).toMatch(/^\S+ conn \d+: ctl calm$/m);
    t.typeRaw(console, 'tus');
    t.keys(console, 'Enter');
    await t.waitScreen(console, /^hub 2: fast, .*\nio:\s*$/m);
    // Ctrl-C abandons a half-typed line, as at a shell's prompt: the server goes on
    t.typeRaw(console, 'fea');
    t.keys(console, 'C-c');
    await t.waitScreen(console, /^io: fea\^C\s*\nio:\s*$/m);
    t.type(console, 'status');
    await t.waitScreen(console, /^io rc\.4: pid \d+, fast,/m);
    t.type(console, 'quit');
    await t.waitScreen(console, /\S+ stopped\s*\n.*\$\s*$/);
    expect(t.screen(console)).not.toMatch(/^io: \S+ (quit|stopped)/m);
  });
});
