// attach.test.ts — a person's terminal on a pty session: detach, reattach, full-screen
// programs, a stalled client, the server or the client dying, the Ctrl-] prompt, and
// whose window size wins.
//
// The first test runs `io` on a node-pty terminal inside vitest; the rest run
// it in tmux windows, where capture-pane shows the screen a person would see
// and #{alternate_on} (and the keypad and mouse flags) say which modes a
// full-screen program left the terminal in. The vim tests use --buffer 4k
// and push far more than 4k through, so the bytes that switched those modes
// and drew the screen are no longer in the ring: only the server's mode
// preamble and its redraw nudge can put the screen back. "Raw" is read from
// outside with stty -F on the pane's tty (-isig: our client; bash's readline
// never clears isig); "restored" is read from inside, with stty -a in bash.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runIo, spawnIo } from '../helpers/bin.js';
import { hubLine } from '../helpers/server.js';
import { processesIn, tmpIoDir } from '../helpers/iodir.js';
import { useScope } from '../helpers/scope.js';
import { Term } from '../helpers/term.js';
import { SESSION_PROMPT, Tmux, userEnv } from '../helpers/tmux.js';
import { waitFor } from '../helpers/until.js';

const scope = useScope();

function world(size?: { cols: number; rows: number }): { dir: string; env: Record<string, string>; t: Tmux } {
  const dir = tmpIoDir(scope);
  const env = userEnv(scope, dir);
  return { dir, env, t: Tmux.start(scope, { env, ...size }) };
}

function lineOf(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm');
}

async function ctl(env: NodeJS.ProcessEnv, name: string, cmd: string): Promise<string> {
  return (await runIo('io', ['ctl', name, cmd], env)).stdout;
}

/** The pid of the io client running in a window (the child of its bash). */
function clientPid(dir: string, t: Tmux, win: string): number {
  const bash = t.display(win, '#{pane_pid}');
  const pid = processesIn(dir).find((p) => readFileSync(`/proc/${p}/stat`, 'latin1').replace(/^.*\) /, '').split(' ')[1] === bash);
  if (pid === undefined) throw new Error(`no io client under ${win}'s bash (${bash})`);
  return pid;
}

/** Back at the terminal's own bash, cooked: a command runs, and stty says isig, icanon, echo. */
async function expectCooked(t: Tmux, win: string): Promise<void> {
  await t.waitCommand(win, 'bash');
  const modes = await t.run(win, 'stty -a');
  for (const m of ['isig', 'icanon', 'echo', 'icrnl', 'opost']) expect(modes).toMatch(new RegExp(`(^|[ ;])${m}( |;|$)`, 'm'));
  expect(await t.run(win, 'echo ok')).toBe('ok');
  expect(t.isAlternate(win)).toBe(false);
}

describe('attach', () => {
  it('Ctrl-\\ detaches; io NAME reattaches with the backlog on screen (node-pty)', async () => {
    const dir = tmpIoDir(scope);
    const env = userEnv(scope, dir);
    const first = new Term(scope, 'io', ['-a', 'demo'], env);
    await first.waitText(SESSION_PROMPT);
    first.write('echo one-$((40+2))\r');
    await first.waitText(/^one-42$/m);
    first.write('\x1c');
    expect(await first.exited()).toBe(0);
    expect(first.text).toContain('io: detached from demo');
    // the session goes on without a client
    expect(await ctl(env, 'demo', 'status')).toMatch(/^trihub 0: session pid \d+, pty/m);

    const second = new Term(scope, 'io', ['demo'], env);
    await second.waitText(/^one-42$/m);
    expect(second.text).toContain(`${SESSION_PROMPT}echo one-$((40+2))`);
    const from = second.text.length;
    second.write('echo two-$((40+3))\r');
    await second.waitText(/^two-43$/m, { from });
    second.write('\x1c');
    expect(await second.exited()).toBe(0);
  });

  it('after the io: prompt, vim is asked to draw its screen again: no trace of the prompt or its reply is left', async () => {
    const { dir, t } = world({ cols: 100, rows: 30 });
    const file = `${dir}/p.txt`;
    writeFileSync(file, `${Array.from({ length: 200 }, (_, i) => `row ${String(i + 1).padStart(3, '0')}`).join('\n')}\n`);
    t.type('t0', 'io -a pv');
    await t.waitRaw('t0');
    t.type('t0', `vim -u NONE -n ${file}`);
    await t.waitScreen('t0', /^row 029\s*$/m);
    // a command: its reply stays to be read; the next key only has vim redraw (an x is not vim's delete)
    t.prompt('t0', 'status');
    await t.waitScreen('t0', /^io: pv: server pid \d+/m);
    t.keys('t0', 'x');
    await waitFor(() => !/io: |server pid/.test(t.screen('t0')) && /^row 002\s*$/m.test(t.screen('t0')), { what: () => `vim redrawn without the reply:\n${t.screen('t0')}` });
    expect(t.screen('t0').split('\n')[0]!.trimEnd()).toBe('row 001');
    // and the key after it is vim's again
    t.keys('t0', 'x');
    await waitFor(() => t.screen('t0').split('\n')[0]!.trimEnd() === 'ow 001', { what: () => `vim's x on row 1:\n${t.screen('t0')}` });
    // two keys in one read after a reply: the first dismisses, the second is vim's
    t.prompt('t0', 'status');
    await t.waitScreen('t0', /^io: pv: server pid \d+/m);
    t.typeRaw('t0', 'xx');
    await waitFor(() => t.screen('t0').split('\n')[0]!.trimEnd() === 'w 001', { what: () => `one x of two on row 1:\n${t.screen('t0')}` });
    // cancelled: redrawn at once
    t.bytes('t0', 0x1d);
    t.keys('t0', 'Escape');
    await waitFor(() => !/io: |cancelled/.test(t.screen('t0')) && /^row 002\s*$/m.test(t.screen('t0')), { what: () => `vim redrawn without the prompt:\n${t.screen('t0')}` });
    // an empty line says nothing: redrawn at once, and the next key is vim's
    t.bytes('t0', 0x1d);
    t.keys('t0', 'Enter');
    t.keys('t0', 'x');
    await waitFor(() => t.screen('t0').split('\n')[0]!.trimEnd() === ' 001', { what: () => `vim's x at once after an empty prompt:\n${t.screen('t0')}` });
    t.type('t0', ':q!');
    await t.waitScreen('t0', SESSION_PROMPT.trim());
  });

  it('a program that draws once and then only what changes (as top does, without the alternate screen) is asked to redraw on reattach once its first drawing has left the ring', async () => {
    const { dir, env, t } = world();
    const script = `${dir}/ticker.sh`;
    writeFileSync(script, '#!/bin/bash\ndraw() { printf "\\033[H\\033[2JHEADER-ROW\\n"; }\ntrap draw WINCH\ndraw\ni=0\nwhile :; do i=$((i+1)); printf "\\r%08d %060d" $i 0; sleep 0.005; done\n', { mode: 0o755 });
    t.type('t0', `io -a --buffer 4k -c ${script} --pty tk`);
    await t.waitScreen('t0', 'HEADER-ROW');
    t.detach('t0');
    await t.waitScreen('t0', /io: detached from tk/);
    // more than the ring since it drew its header: the backlog holds only counters
    await waitFor(async () => Number(/bytes in (\d+)/.exec(await ctl(env, 'tk', 'h1v'))?.[1] ?? 0) > 3 * 4096, { what: 'the ring to wrap', timeoutMs: 15_000 });
    t.type('t0', 'clear; io tk');
    await t.waitScreen('t0', 'HEADER-ROW');
    t.detach('t0');
  });

  it('a full-screen program is redrawn at the new size after reattach, in the alternate screen, after its switch left the ring', async () => {
    const { dir, env, t } = world({ cols: 100, rows: 30 });
    const file = `${dir}/f.txt`;
    const lines = Array.from({ length: 200 }, (_, i) => `line ${String(i + 1).padStart(3, '0')} ${'x'.repeat(50)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    t.type('t0', 'io -a --buffer 4k vt');
    await t.waitRaw('t0');
    await t.waitScreen('t0', SESSION_PROMPT.trim());
    const bytesIn = async (): Promise<number> => Number(/bytes in (\d+)/.exec(await ctl(env, 'vt', 'h1v'))?.[1] ?? NaN);
    const before = await bytesIn();
    t.type('t0', `vim -u NONE -n -c 'set mouse=a' ${file}`);
    await t.waitScreen('t0', /^line 029 x+\s*$/m);
    expect(t.isAlternate('t0')).toBe(true);
    // vim's other modes, as tmux sees them: cursor keys, keypad, mouse
    const MODES = 'cursor keys #{keypad_cursor_flag}, keypad #{keypad_flag}, mouse #{mouse_standard_flag}#{mouse_button_flag}#{mouse_any_flag}';
    const vimModes = t.display('t0', MODES);
    expect(vimModes).toMatch(/^cursor keys 1, keypad 1, mouse (?!000)\d{3}$/);
    // Ctrl-L redraws: keep on until two rings' worth went through since vim started
    await waitFor(async () => {
      if ((await bytesIn()) > before + 2 * 4096) return true;
      t.keys('t0', 'C-l');
      return false;
    }, { what: '8k of redraws', timeoutMs: 10_000 });
    expect(await ctl(env, 'vt', 'h1v')).toMatch(/^hub 1: fast, pace 0 ms, held 4096\/4k/);

    t.detach('t0');
    await t.waitCommand('t0', 'bash');
    expect(t.isAlternate('t0')).toBe(false); // the client switched it off on its way out
    expect(t.display('t0', MODES)).toBe('cursor keys 0, keypad 0, mouse 000');
    t.resize('t0', 70, 20);
    t.type('t0', 'io vt');
    await t.waitRaw('t0');
    // vim redraws for 70x20: rows 1-19 are the file's first 19 lines, nothing from the old 30 rows
    const rows = (): string[] => t.screen('t0').split('\n');
    await waitFor(() => rows().slice(0, 19).every((l, i) => l.trimEnd() === lines[i]) && !rows().some((l) => /^line 0[2-9]\d/.test(l)), {
      what: 'vim redrawn at 70x20',
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n--- t0 shows ---\n${t.screen('t0')}\n---`);
    });
    expect(rows().length).toBeLessThanOrEqual(20);
    expect(t.isAlternate('t0')).toBe(true);
    expect(t.display('t0', MODES)).toBe(vimModes);
    expect(await ctl(env, 'vt', 'status')).toMatch(/^trihub 0: session pid \d+, pty 70x20,/m);
    // and vim is alive at that size: :q leaves the alternate screen, back to the shell
    t.typeRaw('t0', ':q');
    t.keys('t0', 'Enter');
    await waitFor(() => !t.isAlternate('t0'), { what: 'vim to leave the alternate screen' });
    t.type('t0', 'stty size');
    await t.waitScreen('t0', lineOf('20 70'));
  });

  it('a scroll region left as the whole screen by number (as vim leaves it) is the whole screen after a reattach in a taller window, and after detaching', async () => {
    const { t } = world({ cols: 100, rows: 30 });
    const REGION = '#{scroll_region_upper}-#{scroll_region_lower}';
    t.type('t0', 'io -a sr');
    await t.waitRaw('t0');
    await t.waitScreen('t0', SESSION_PROMPT.trim());
    // what vim writes on its way out at 30 rows: the region, 1 to 30, by number
    // (setting a region homes the cursor: the screen is cleared, as vim leaves it)
    t.type('t0', "printf '\\033[1;30r'; clear; echo set-$((1+1))");
    await t.waitScreen('t0', lineOf('set-2'));
    expect(t.display('t0', REGION)).toBe('0-29');
    t.detach('t0');
    await t.waitCommand('t0', 'bash');
    expect(t.display('t0', REGION)).toBe('0-29'); // the client's way out: the whole screen, 30 rows here
    t.resize('t0', 100, 40);
    await waitFor(() => t.display('t0', '#{pane_height}') === '40', { what: 'the window at 40 rows' });
    t.type('t0', 'io sr');
    await t.waitRaw('t0');
    // the backlog replayed its 1;30 at 40 rows; after it the region is the whole screen again
    await waitFor(() => t.display('t0', REGION) === '0-39', { what: () => `the whole screen as region (${t.display('t0', REGION)})` });
    t.type('t0', 'seq 1 60; echo end-$((2+2))');
    await t.waitScreen('t0', lineOf('end-4'));
    const rows = t.screen('t0').split('\n');
    expect(rows.length).toBe(40);
    expect(rows.slice(-3).map((l) => l.trimEnd())).toEqual(['60', 'end-4', SESSION_PROMPT.trim()]);
    // a region set again inside the session, then a detach: the user's shell gets the whole screen
    t.type('t0', "printf '\\033[5;20r'; clear; echo again-$((2+3))");
    await t.waitScreen('t0', lineOf('again-5'));
    expect(t.display('t0', REGION)).toBe('4-19');
    t.detach('t0');
    await t.waitCommand('t0', 'bash');
    expect(t.display('t0', REGION)).toBe('0-39');
  });

  it('at the same size, a full-screen program is nudged to redraw what has left the ring', async () => {
    // While nobody is attached, io write types 4000 cursor moves into vim (j, k): the ring
    // then holds nothing but cursor motion, and only a redraw can show the file again.
    // The kernel sends no SIGWINCH for an unchanged size: the server must resize by one and back.
    const { dir, env, t } = world({ cols: 70, rows: 20 });
    const file = `${dir}/g.txt`;
    writeFileSync(file, `${Array.from({ length: 200 }, (_, i) => `row ${String(i + 1).padStart(3, '0')}`).join('\n')}\n`);
    t.type('t0', 'io -a --buffer 4k ng');
    await t.waitRaw('t0');
    t.type('t0', `vim -u NONE -n ${file}`);
    await t.waitScreen('t0', /^row 019\s*$/m);
    t.detach('t0');
    await t.waitCommand('t0', 'bash');
    const bytesIn = async (): Promise<number> => Number(/bytes in (\d+)/.exec(await ctl(env, 'ng', 'h1v'))?.[1] ?? NaN);
    const before = await bytesIn();
    expect((await runIo('io', ['write', 'ng', '0'], env, 'jk'.repeat(2000))).status).toBe(0);
    await waitFor(async () => (await bytesIn()) > before + 2 * 4096, { what: 'two rings of cursor motion', timeoutMs: 10_000 });
    t.type('t0', 'clear; io ng');
    await t.waitRaw('t0');
    await t.waitScreen('t0', /^row 001\s*\n(row \d{3}\s*\n){17}row 019\s*$/m);
    expect(t.isAlternate('t0')).toBe(true);
  });

  it('a program that asked the terminal things (CSI 6 n, CSI c) and is gone: a reattach types no answers into the shell', async () => {
    // The user's bug: after vim had run, every `io NAME` put 2RR (and more each time) at the
    // prompt. vim asks tmux where the cursor is and what terminal it is; tmux answers. Here a
    // command asks the same and reads the answers (raw, at most a second), so the live answers
    // are used up as with vim. On reattach the backlog still holds the questions: tmux must not
    // see them again, or its answers go to the shell and `echo` runs as garbage.
    const { t } = world({ cols: 100, rows: 30 });
    t.type('t0', 'io -a qs');
    await t.waitRaw('t0');
    await t.waitScreen('t0', SESSION_PROMPT.trim());
    t.type('t0', "stty -icanon -echo min 0 time 10; printf 'asked\\033[6n\\033[c\\n'; dd bs=256 count=2 >/dev/null 2>&1; stty sane; echo answered");
    await t.waitScreen('t0', /^answered\s*$/m);
    t.detach('t0');
    await t.waitCommand('t0', 'bash');
    t.type('t0', 'clear; io qs');
    await t.waitRaw('t0');
    await t.waitScreen('t0', /^answered\s*$/m);
    t.type('t0', 'echo ok-$((40+2))');
    await t.waitScreen('t0', /^ok-42\s*$/m);
    expect(t.screen('t0')).not.toMatch(/R(echo|\s*$)/m);
  });

  it('a client that stops reading is skipped ahead: it prints io: lost N bytes, then the newest output', async () => {
    // SIGSTOP the client, let the session print 2 MB through a 64k ring, SIGCONT: fast pacing
    // (SPEC §2) moves this reader to the oldest byte held, and ioshell says how much it lost.
    const { dir, env, t } = world();
    t.type('t0', 'io -a --buffer 64k gp');
    await t.waitRaw('t0');
    const client = clientPid(dir, t, 't0');
    process.kill(client, 'SIGSTOP');
    scope.defer(() => process.kill(client, 'SIGCONT'));
    const bytesIn = async (): Promise<number> => Number(/bytes in (\d+)/.exec(await ctl(env, 'gp', 'h1v'))?.[1] ?? NaN);
    const before = await bytesIn();
    await runIo('io', ['write', 'gp', '0'], env, 'yes $(printf %0100d 0) | head -n 20000; echo fin-$((1+1))\n');
    await waitFor(async () => (await bytesIn()) > before + 2_000_000, { what: '2 MB of output', timeoutMs: 15_000 });
    process.kill(client, 'SIGCONT');
    const screen = await t.waitScreen('t0', /^fin-2\s*$/m, { history: true, timeoutMs: 15_000 });
    const lost = Number(/^io: lost (\d+) bytes\s*$/m.exec(screen)?.[1] ?? NaN);
    expect(lost).toBeGreaterThan(1_000_000);
    expect(await ctl(env, 'gp', 'h1v')).toMatch(new RegExp(`^ {2}H1out\\d+ conn \\d+ lag 0 lost ${lost}$`, 'm'));
    // and it is a client again: it types and sees
    t.type('t0', 'echo back-$((2+2))');
    await t.waitScreen('t0', lineOf('back-4'));
  });

  it('kill -9 of the server under a client in vim: the client exits and the terminal is restored', async () => {
    const { env, t } = world();
    t.type('t0', 'io -a k9');
    await t.waitRaw('t0');
    t.type('t0', 'vim -u NONE -n');
    await waitFor(() => t.isAlternate('t0'), { what: 'vim in the alternate screen' });
    const pid = Number(/^io k9: pid (\d+)/.exec(await ctl(env, 'k9', 'status'))?.[1]);
    process.kill(pid, 'SIGKILL');
    await t.waitScreen('t0', 'io: k9: connection lost');
    await expectCooked(t, 't0');
  });

  it('io kill from another window: the attached client leaves and the terminal is restored', async () => {
    const { dir, t } = world();
    t.type('t0', 'io -a kq');
    await t.waitRaw('t0');
    t.type('t0', 'less /etc/passwd');
    await waitFor(() => t.isAlternate('t0'), { what: 'less in the alternate screen' });
    const w = t.newWindow();
    expect(await t.run(w, 'io kill kq; echo status=$?')).toMatch(/^status=0$/m);
    // its session hung up, the client gets the end of the stream and leaves, saying why
    await t.waitScreen('t0', /^io: kq: server quit \(ctl quit\)$/m);
    await expectCooked(t, 't0');
    await waitFor(() => processesIn(dir).every((p) => !readFileSync(`/proc/${p}/cmdline`, 'latin1').includes('iosrv')), { what: 'the server gone' });
  });

  it('io kill under a client at its shell prompt: the terminal goes on below the session\'s last line, nothing overwritten', async () => {
    // Leaving the alternate screen restores the cursor saved on entry (tmux, xterm): sent when
    // the session was not on it, that put the user's prompt back where some earlier full-screen
    // program had started, over the screen. Here that is the top: one switches there first.
    const { t } = world();
    t.type('t0', "printf '\\033[?1049h\\033[?1049l'");
    t.type('t0', 'io -a kc');
    await t.waitRaw('t0');
    t.type('t0', 'echo marker-$((6*7))');
    await t.waitScreen('t0', lineOf('marker-42'));
    const w = t.newWindow();
    await t.run(w, 'io kill kc');
    await t.waitScreen('t0', /^io: kc: server quit \(ctl quit\)$/m); // on a line of its own
    await expectCooked(t, 't0');
    t.type('t0', 'echo after-$((1+1))');
    const screen = await t.waitScreen('t0', lineOf('after-2'));
    const lines = screen.split('\n');
    expect(lines.findIndex((l) => /^marker-42$/.test(l))).toBeGreaterThan(0);
    expect(lines.findIndex((l) => /^after-2$/.test(l))).toBeGreaterThan(lines.findIndex((l) => /^marker-42$/.test(l)));
  });

  it('SIGTERM to a client in vim: it says so, leaves, and the terminal is restored; the session goes on', async () => {
    const { dir, env, t } = world();
    t.type('t0', 'io -a tm');
    await t.waitRaw('t0');
    t.type('t0', 'vim -u NONE -n');
    await waitFor(() => t.isAlternate('t0'), { what: 'vim in the alternate screen' });
    process.kill(clientPid(dir, t, 't0'), 'SIGTERM');
    await t.waitScreen('t0', 'io: tm: SIGTERM; detached');
    await expectCooked(t, 't0');
    expect(await ctl(env, 'tm', 'status')).toMatch(/^trihub 0: session pid \d+, pty/m);
  });

  it('Ctrl-] hub quit ends the server: ok, the client leaves, the terminal is restored', async () => {
    const { dir, t } = world();
    t.type('t0', 'io -a hq');
    await t.waitRaw('t0');
    t.type('t0', 'vim -u NONE -n');
    await waitFor(() => t.isAlternate('t0'), { what: 'vim in the alternate screen' });
    t.prompt('t0', 'hub quit');
    await expectCooked(t, 't0');
    expect(t.history('t0')).toMatch(/^ok$/m);
    await waitFor(() => processesIn(dir).every((p) => !readFileSync(`/proc/${p}/cmdline`, 'latin1').includes('iosrv')), { what: 'the server gone' });
  });

  it('Ctrl-] detach leaves; the prompt edits with backspace', async () => {
    const { t } = world();
    t.type('t0', 'io -a dt');
    await t.waitRaw('t0');
    t.bytes('t0', 0x1d);
    t.typeRaw('t0', 'detachx');
    t.bytes('t0', 0x7f);
    t.keys('t0', 'Enter');
    await t.waitScreen('t0', 'io: detached from dt');
    await expectCooked(t, 't0');
  });

  it('the io: prompt is not drawn over: output waits while it is open, comes after it, and is shown if the session ends meanwhile; an arrow key cancels it', async () => {
    const { env, t } = world();
    t.type('t0', 'io -a held');
    await t.waitRaw('t0');
    t.type('t0', 'i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.05; done');
    await t.waitScreen('t0', /^tick-5\s*$/m);
    // a reader of the session's output, to know the session has gone on while the prompt is open
    const reader = spawnIo(scope, 'io', ['read', 'held', '1', '--new'], env);
    let seen = '';
    reader.stdout!.on('data', (b: Buffer) => (seen += b.toString()));
    await waitFor(() => /tick-\d+/.test(seen), { what: 'the reader to see a tick' });
    t.bytes('t0', 0x1d);
    t.typeRaw('t0', 'sta');
    await t.waitScreen('t0', /^io: sta\s*$/m);
    const from = seen.length;
    await waitFor(() => (seen.slice(from).match(/tick-\d+/g) ?? []).length >= 5, { what: 'five more ticks from the session' });
    expect(t.screen('t0')).toMatch(/\nio: sta\s*$/); // none of them drawn over the prompt
    reader.kill();
    t.typeRaw('t0', 'tus');
    t.keys('t0', 'Enter');
    const after = await t.waitScreen('t0', /^io: held: server pid \d+/m);
    const ticks = [...after.matchAll(/^tick-(\d+)\s*$/gm)].map((m) => Number(m[1]));
    // the ticks held back came, in order, with none lost
    expect(ticks.slice(-5)).toEqual(Array.from({ length: 5 }, (_, k) => ticks.at(-5)! + k));
    t.bytes('t0', 0x03);
    // an arrow key cancels the prompt, and nothing of its sequence reaches the session
    // (once the shell has answered: output still to come would wait for the prompt, and be drawn after it)
    t.type('t0', 'echo calm-$((3+3))');
    await t.waitScreen('t0', lineOf('calm-6'));
    t.bytes('t0', 0x1d);
    t.keys('t0', 'Up');
    await t.waitScreen('t0', /io: +\(cancelled\)/);
    t.type('t0', 'echo after-$((2+2))');
    await t.waitScreen('t0', lineOf('after-4'));
    expect(t.screen('t0')).not.toMatch(/\[A|command not found/);
    // the session ends while the prompt is open: its last words are shown, not dropped
    t.bytes('t0', 0x1d);
    t.typeRaw('t0', 'sta');
    await t.waitScreen('t0', /^io: sta\s*$/m);
    await runIo('io', ['write', 'held', '0'], env, 'echo last-words; exit 3\n');
    await t.waitScreen('t0', /io: held: the session on trihub 0 ended \(status 3\)|server quit/);
    expect(t.screen('t0')).toMatch(/^last-words\s*$/m);
  });

  it('Ctrl-] with a bad command prints one line and leaves the client where it was; hist lists the commands', async () => {
    const { t } = world();
    t.type('t0', 'io -a bad');
    await t.waitRaw('t0');
    t.type('t0', 'echo here-$((1+1))');
    await t.waitScreen('t0', lineOf('here-2'));

    expect(await t.ask('t0', 'attach 4')).toBe('io: attach 4: not a multiple of 3 (trihubs are 0, 3, 6 …)');
    expect(await t.ask('t0', 'attach 9')).toBe('io: attach 9: nothing runs on trihub 9 (try: list)');
    expect(await t.ask('t0', 'frobnicate')).toMatch(/^io: unknown command 'frobnicate' \(try: attach N, remote N/);
    expect(await t.ask('t0', 'remote 99999')).toBe('io: remote 99999: trihub 99999 out of range (this server has hubs 0-63)');
    expect(await t.ask('t0', 'attach')).toBe('io: attach: expected one trihub number (attach 3)');
    // one line each: the next line is the session again, which still takes keys
    t.type('t0', 'echo still-$((2+1))');
    const screen = await t.waitScreen('t0', lineOf('still-3'));
    expect(screen).toMatch(/^io: attach 9: nothing runs on trihub 9 \(try: list\)\s*\nio: frobnicate\s*\n/m);
    expect(t.display('t0', '#{pane_current_command}')).toBe('node');

    // Esc cancels the prompt: nothing is run, nothing reaches the shell
    t.bytes('t0', 0x1d);
    t.typeRaw('t0', 'attach 3');
    t.keys('t0', 'Escape');
    await t.waitScreen('t0', /io: attach 3 \(cancelled\)/);

    expect(await t.ask('t0', 'status')).toMatch(/^io: bad: server pid \d+, trihub 0 \(hubs 0 1 2\), fast, raw/);
    t.prompt('t0', 'hist');
    const hist = await t.waitScreen('t0', /^ +\d+ {2}hist\s*$/m);
    const listed = hist.slice(hist.lastIndexOf('io: hist')).split('\n').slice(1).filter((l) => /^ +\d+ {2}/.test(l)).map((l) => l.replace(/^ +\d+ {2}/, '').trimEnd());
    expect(listed).toEqual(expect.arrayContaining(['attach 9', 'status', 'hist']));
    expect(listed).not.toContain('attach 3'); // cancelled
    expect(listed.at(-1)).toBe('hist');
  });

  it('io NAME here: a shell on this machine on the next free trihub, attached; list shows it', async () => {
    const { env, t } = world();
    expect((await runIo('io', ['hr'], env)).status).toBe(0);
    t.type('t0', 'io hr here');
    await t.waitRaw('t0');
    const pid = Number(/^here-(\d+)$/.exec(await t.run('t0', 'echo here-$$'))?.[1] ?? NaN);
    expect(await ctl(env, 'hr', 'status')).toMatch(new RegExp(`^trihub 3: host pid ${pid} `, 'm'));
    expect(await t.ask('t0', 'list')).toBe(`trihub 0: (shell) (pid ${/^trihub 0: session pid (\d+)/m.exec(await ctl(env, 'hr', 'status'))?.[1]}, pty)`);
    expect(t.screen('t0')).toMatch(new RegExp(`^trihub 3: host \\(pid ${pid}, elsewhere\\) \\*$`, 'm'));
  });

  it('a paste the session does not read waits, whole, and Ctrl-\\ still detaches meanwhile', { timeout: 30_000 }, async () => {
    const { dir, env, t } = world();
    t.type('t0', 'io -a held');
    await t.waitRaw('t0');
    t.type('t0', 'echo reads-nothing; sleep 600');
    await t.waitScreen('t0', lineOf('reads-nothing'));
    // 2 MiB of lines: more than the ring, the pty and the server's queues hold
    const paste = join(dir, 'paste.txt');
    writeFileSync(paste, Array.from({ length: 262_144 }, (_, i) => `${String(i).padStart(7, '0')}\n`).join(''));
    t.tmux('load-buffer', paste);
    t.tmux('paste-buffer', '-t', 'io:t0');
    await waitFor(async () => / held 524288\/512k/.test(hubLine(await ctl(env, 'held', 'status'), 0)), { what: 'hub 0 full of the paste', timeoutMs: 15_000 });
    t.detach('t0');
    await t.waitScreen('t0', /io: detached from held/);
    expect(await ctl(env, 'held', 'h0v')).toMatch(/ session \d+ .*lost 0$/m);
  });

  it('a session that ends while attached is said to end, and how, as dtach and tmux do; from a remote N the client goes back where it came from', async () => {
    const { env, t } = world();
    t.type('t0', 'io -a en');
    await t.waitRaw('t0');
    // a clear in trihub 0's backlog: coming back replays it, and must not wipe the notice that says so
    t.type('t0', 'clear; echo cleared-$((1+1))');
    await t.waitScreen('t0', lineOf('cleared-2'));
    t.prompt('t0', 'remote 3');
    await waitFor(async () => /^trihub 3: session/m.test(await ctl(env, 'en', 'status')), { what: 'the shell on trihub 3' });
    t.type('t0', 'kill -9 $$');
    // as screen does when a window's shell exits: back to the one it came from, which still runs
    await t.waitScreen('t0', /io: en: the session on trihub 3 ended \(signal SIGKILL\); back on trihub 0/);
    expect(await ctl(env, 'en', 'status')).toMatch(/^trihub 0: session/m); // the server goes on
    t.type('t0', 'echo back-$((1+2))');
    await t.waitScreen('t0', lineOf('back-3'));
    // the session it started on ends: nowhere to go back to, the client leaves
    t.type('t0', 'exit 5');
    await t.waitScreen('t0', /io: en: the session on trihub 0 ended \(status 5\)|server quit/);
    await expectCooked(t, 't0');
  });

  it('a reply over a program that draws on its own (as top) stays until a key, and what the program drew meanwhile comes after', async () => {
    const { t } = world();
    t.type('t0', 'io -a tk');
    await t.waitRaw('t0');
    // as top: no alternate screen, the cursor hidden, its first row redrawn five times a second
    t.type('t0', "printf '\\033[?25l\\033[H\\033[J'; i=0; while :; do i=$((i+1)); printf '\\033[H\\033[Ktick %d' $i; sleep 0.2; done");
    await t.waitScreen('t0', /^tick \d+/m);
    t.prompt('t0', 'status');
    await t.waitScreen('t0', /^io: tk: server pid \d+/m);
    const tick = (): number => Number(/^tick (\d+)/m.exec(t.screen('t0'))?.[1] ?? NaN);
    const held = tick();
    await new Promise((r) => setTimeout(r, 1000));
    // a second later: the reply is still there to be read, and the program's drawing waits
    expect(t.screen('t0')).toMatch(/^io: tk: server pid \d+/m);
    expect(tick()).toBe(held);
    t.keys('t0', 'Escape');
    await waitFor(() => tick() > held + 3, { what: () => `the program drawing again:\n${t.screen('t0')}` });
    t.keys('t0', 'C-c');
  });

  it('the io: prompt shows the cursor a program hid, and hides it again; a detach leaves insert mode off', async () => {
    const { t } = world();
    t.type('t0', 'io -a cu');
    await t.waitRaw('t0');
    t.type('t0', "printf '\\033[?25l\\033[4h'; echo hidden-$((1+1)); cat");
    await t.waitScreen('t0', lineOf('hidden-2'));
    expect(t.display('t0', '#{cursor_flag} #{insert_flag}')).toBe('0 1');
    t.bytes('t0', 0x1d);
    await t.waitScreen('t0', /^io:/m);
    expect(t.display('t0', '#{cursor_flag}')).toBe('1');
    t.keys('t0', 'Escape');
    await t.waitScreen('t0', /\(cancelled\)/);
    await waitFor(() => t.display('t0', '#{cursor_flag}') === '0', { what: 'the cursor hidden again' });
    t.detach('t0');
    await t.waitCommand('t0', 'bash');
    expect(t.display('t0', '#{cursor_flag} #{insert_flag}')).toBe('1 0');
  });

  it('each trihub has its own modes: moving from a full-screen program to a shell leaves them, coming back sets them again', async () => {
    const { env, t } = world();
    const MODES = 'alt #{alternate_on}, cursor keys #{keypad_cursor_flag}, mouse #{mouse_standard_flag}';
    t.type('t0', 'io -a md');
    await t.waitRaw('t0');
    // what vim and a mouse-using program switch on, with a screen of their own
    t.type('t0', "printf '\\033[?1049h\\033[?1h\\033[?1000h'; echo full-$((1+1)); cat");
    await t.waitScreen('t0', lineOf('full-2'));
    expect(t.display('t0', MODES)).toBe('alt 1, cursor keys 1, mouse 1');
    t.prompt('t0', 'remote 3');
    await waitFor(async () => /^trihub 3: session/m.test(await ctl(env, 'md', 'status')), { what: 'the shell on trihub 3' });
    t.type('t0', 'echo plain-$((1+2))');
    await t.waitScreen('t0', lineOf('plain-3'));
    expect(t.display('t0', MODES)).toBe('alt 0, cursor keys 0, mouse 0');
    t.prompt('t0', 'attach 0');
    await waitFor(() => t.display('t0', MODES) === 'alt 1, cursor keys 1, mouse 1', { what: () => `trihub 0's modes again (${t.display('t0', MODES)})` });
  });

  it('Ctrl-] Ctrl-] and Ctrl-] Ctrl-\\ send those keys themselves to the session', async () => {
    const { t } = world();
    t.type('t0', 'io -a lit');
    await t.waitRaw('t0');
    // with isig off, the session's terminal takes ^\ as a character, not SIGQUIT
    t.type('t0', 'stty -isig; echo ready; cat -v; stty isig');
    await t.waitScreen('t0', /^ready\s*$/m);
    t.bytes('t0', 0x1d, 0x1d);
    t.bytes('t0', 0x1d, 0x1c);
    t.keys('t0', 'Enter');
    await t.waitScreen('t0', /^\^\]\^\\\s*$/m);
    t.keys('t0', 'C-d');
    expect(await t.run('t0', 'echo still-attached')).toBe('still-attached');
  });

  it('io NAME from inside its own session is refused (IO_SESSION); a local shell is marked with its own trihub', async () => {
    const { env, t } = world();
    t.type('t0', 'io -a in');
    await t.waitRaw('t0');
    const serverPid = /^io in: pid (\d+)/.exec(await ctl(env, 'in', 'status'))?.[1];
    expect(await t.run('t0', 'echo "$IO_SESSION"')).toBe(`in,${serverPid},0`);
    t.type('t0', 'io in; echo "rc=$?"');
    await t.waitScreen('t0', /^rc=1\s*$/m);
    expect(t.history('t0')).toContain(`io: in: this terminal is inside it (IO_SESSION=in,${serverPid},0), so its output would come back as its input; unset IO_SESSION to attach all the same`);
    // a local shell is inside trihub 3: attaching to trihub 0 from it is no loop
    t.prompt('t0', 'local 3');
    await t.waitScreen('t0', /^io: local 3\b.*\n/m);
    expect(await t.run('t0', 'echo "$IO_SESSION"')).toBe(`in,${serverPid},3`);
  });

  it('a local shell\'s first words (its banner, its prompt) reach its trihub: ten `io host` at once', async () => {
    // `local N` and `here` run `io host NAME N`: a shell on a pty here, wired to trihub N once
    // the server says ok. Whatever the shell prints before that answer must not be lost
    // (node-pty drops output nobody listens to). Ten at once keep the server busy enough
    // for the shell to speak first.
    const { dir, env } = world();
    const shell = join(dir, 'banner-sh');
    writeFileSync(shell, `#!/bin/sh\necho banner-$$\nPS1='${SESSION_PROMPT}' exec /bin/sh "$@"\n`, { mode: 0o755 });
    expect((await runIo('io', ['-d', 'lo'], env)).status).toBe(0);
    const trihubs = Array.from({ length: 10 }, (_, i) => 3 * (i + 1));
    for (const n of trihubs) spawnIo(scope, 'io', ['host', 'lo', String(n)], { ...env, SHELL: shell });
    await waitFor(async () => (await ctl(env, 'lo', 'status')).match(/^trihub \d+: host pid/gm)?.length === trihubs.length, { what: 'ten hosts' });
    const seen = await Promise.all(trihubs.map(async (n) => {
      const reader = spawnIo(scope, 'io', ['read', 'lo', String(n + 1)], env);
      let text = '';
      reader.stdout!.on('data', (b: Buffer) => (text += b.toString('latin1')));
      await waitFor(() => /banner-\d+\r?\n(.|\n)*% $/.test(text), { timeoutMs: 3000 }).catch(() => {});
      reader.kill();
      return `trihub ${n}: ${JSON.stringify(text)}`;
    }));
    expect(seen.filter((s) => !/banner-\d+/.test(s))).toEqual([]);
  });

  it('intr interrupts the foreground job of the session; clear empties the backlog', async () => {
    const { t } = world();
    t.type('t0', 'io -a in');
    await t.waitRaw('t0');
    t.type('t0', 'sleep 100');
    await t.waitScreen('t0', /^% sleep 100\s*$/m);
    t.prompt('t0', 'intr');
    // the shell is back at its prompt long before 100 s, and takes the next command
    await t.waitScreen('t0', /^io: intr\s*\n%\s*$/m);
    t.type('t0', 'echo after-$((3*3))');
    await t.waitScreen('t0', lineOf('after-9'));
    t.prompt('t0', 'clear');
    await t.waitScreen('t0', /^io: clear\s*$/m);
    t.detach('t0');
    await t.waitCommand('t0', 'bash');
    t.type('t0', 'clear; io in');
    await t.waitRaw('t0');
    t.type('t0', 'echo fresh');
    await t.waitScreen('t0', lineOf('fresh'));
    expect(t.screen('t0')).not.toContain('after-9');
  });

  it('the window size follows the client that attached, typed or resized last, and passes back when it leaves', async () => {
    const { env, t } = world({ cols: 100, rows: 30 });
    t.type('t0', 'io -a sz');
    await t.waitRaw('t0');
    await waitFor(async () => /pty 100x30,/.test(await ctl(env, 'sz', 'status')), { what: 'the session at 100x30' });
    const small = t.newWindow({ cols: 60, rows: 20 });
    expect(t.display(small, '#{pane_width}x#{pane_height}')).toBe('60x20');
    t.type(small, 'io sz');
    await t.waitRaw(small);
    // the newcomer sees the program drawn for its terminal before it types
    await waitFor(async () => /pty 60x20,/.test(await ctl(env, 'sz', 'status')), { what: 'the session at the newcomer\'s 60x20' });

    const sizeSeen = async (win: string, marker: string): Promise<string> => {
      t.type(win, `echo ${marker} $(stty size)`);
      const s = await t.waitScreen(win, new RegExp(`^${marker} (\\d+ \\d+)\\s*$`, 'm'));
      return new RegExp(`^${marker} (\\d+ \\d+)\\s*$`, 'm').exec(s)![1]!;
    };
    expect(await sizeSeen(small, 'a')).toBe('20 60');
    expect(await sizeSeen('t0', 'b')).toBe('30 100');
    expect(await sizeSeen(small, 'c')).toBe('20 60');
    expect(await ctl(env, 'sz', 'status')).toMatch(/^trihub 0: session pid \d+, pty 60x20,/m);
    // a client's own resize counts while it is the one typing
    t.resize(small, 70, 22);
    await waitFor(async () => /pty 70x22,/.test(await ctl(env, 'sz', 'status')), { what: 'the session at 70x22' });
    expect(await sizeSeen(small, 'd')).toBe('22 70');
    // coming back to trihub 0 from another is attaching again: the window is the newcomer's
    expect(await sizeSeen('t0', 'e')).toBe('30 100');
    expect(hubLine(await ctl(env, 'sz', 'status'), 0)).toMatch(/, inputs 2,/);
    t.prompt(small, 'remote 3');
    await waitFor(async () => /^trihub 3: session/m.test(await ctl(env, 'sz', 'status')), { what: 'the shell on trihub 3' });
    // gone from trihub 0, it no longer writes there: its input on hub 0 is let go
    await waitFor(async () => /, inputs 1,/.test(hubLine(await ctl(env, 'sz', 'status'), 0)), { what: 'one input left on hub 0' });
    t.prompt(small, 'attach 0');
    await waitFor(async () => /^trihub 0: session pid \d+, pty 70x22,/m.test(await ctl(env, 'sz', 'status')), { what: 'trihub 0 at 70x22 again' });
    // a client that resizes its own window takes the size, whoever typed last (dtach; tmux's latest)
    t.resize('t0', 90, 28);
    await waitFor(async () => /^trihub 0: session pid \d+, pty 90x28,/m.test(await ctl(env, 'sz', 'status')), { what: 'the session at the resized 90x28' });
    expect(await sizeSeen(small, 'f')).toBe('22 70');
    // the client whose size it is leaves: the size goes to the one active before it
    t.bytes(small, 0x1c);
    await waitFor(async () => /^trihub 0: session pid \d+, pty 90x28,/m.test(await ctl(env, 'sz', 'status')), { what: 'the size back at 90x28 when the small client left' });
    expect(await sizeSeen('t0', 'g')).toBe('28 90');
  });
});
