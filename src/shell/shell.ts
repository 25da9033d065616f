// shell.ts — ioshell: a terminal (or any stdin/stdout) on a trihub.
//
// The bucket brigade: stdin → the input hub, the output hubs → stdout and
// stderr. Where the session has a pty and stdin is a terminal, the terminal
// is raw and every key goes through, but Ctrl-\ (detach) and Ctrl-] (an `io:`
// prompt for one command). A terminal on a session without a pty is read as
// lines, and a line that is exactly a client command (core/words.ts) is done
// here, not sent. Input that is not a terminal (a pipe, a file) is data: it
// goes to the input hub untouched, commands and all.
//
// Not here: starting servers or host processes (cli/), the terminal's modes
// (terminal.ts).

import type { Client } from '../client/client.js';
import { CtlError } from '../core/errors.js';
import { scanKeys } from '../core/keys.js';
import { isInside } from '../core/inside.js';
import { parseWord, promptRefusal, type Word } from '../core/words.js';
import { GapNotices } from '../client/gaps.js';
import { writeDirect } from '../sys/direct.js';
import { PromptOverlay } from './overlay.js';
import { Terminal, type TtyIn, type TtyOut } from './terminal.js';
import { fromHello, fromStatus, howEnded, type Status, type TrihubInfo } from './trihubs.js';
import { runWord } from './words.js';

export interface ShellIo {
  input: TtyIn;
  output: TtyOut;
  errors: NodeJS.WritableStream;
}

export interface ShellOptions {
  trihub: number;
  /** Explicit hubs (ioshell NAME in out err) instead of a trihub's three. */
  hubs?: { in: number; out: number; err: number };
  /** local N: start a host process on this machine for trihub N. */
  startHost?: (trihub: number) => Promise<void>;
  /** IO_SESSION: the session this client runs inside, if any (core/inside.ts). */
  inside?: string;
}

/** What ended the shell: a message to print (or null), and the exit status. */
export interface ShellEnd {
  message: string | null;
  status: number;
  /** The terminal has shown the session, so the cursor may be anywhere on a line: say message on a line of its own. */
  isAfterSession: boolean;
}

const HIST_MAX = 1000;
/** Keys a raw terminal may have queued for a session that does not read them before ioshell stops reading it. */
const TYPED_AHEAD_MAX_BYTES = 4 * 1024 * 1024;
/** Session output held back while the io: prompt is open (so a full-screen program does not draw over it); past it, shown. */
const PROMPT_HOLD_MAX_BYTES = 1024 * 1024;
/** How long a redraw nudge keeps the window one column wider (as the server's on attach). */
const REDRAW_NUDGE_MS = 50;
/** A trihub come back to has drawn its backlog once its output is quiet this long (or after SETTLED_MAX_MS). */
const SETTLED_QUIET_MS = 150;
const SETTLED_MAX_MS = 2000;
/** The most bytes one key sends (an escape sequence for an arrow or F12, a UTF-8 character): more is a paste. */
const ONE_KEY_MAX_BYTES = 8;
const SHOW_CURSOR = '\x1b[?25h';
const HIDE_CURSOR = '\x1b[?25l';
/** Erase from the cursor to the end of the line (EL). */
const CLEAR_TO_EOL = '\x1b[K';

export class Shell {
  private readonly client: Client;
  private readonly io: ShellIo;
  private readonly term: Terminal;
  private readonly opts: ShellOptions;
  private hubs: { in: number; out: number; err: number };
  private trihub: number;
  private isRawMode = false;
  /** Input is paused until the connection drains (the server is not taking it as fast as it comes). */
  private isInputHeld = false;
  /** A watch client has been told, once, that its keys go nowhere. */
  private isToldReadOnly = false;
  /** A trihub has been entered: the terminal shows a session. */
  private hasEntered = false;
  /** The server's word that it is quitting, said when this client leaves. */
  private quitWord: string | null = null;
  /** The trihub entered had ended before: said when its output ends. */
  private endedWord: string | null = null;
  /** The hubs of this trihub that have reached their end. */
  private readonly endedHubs = new Set<number>();
  /** The io: prompt, and the output held back while it is open. */
  private readonly overlay: PromptOverlay;
  private readonly gaps = new GapNotices((lost) => this.sayLost(lost));
  /** The prompt or a reply was drawn over the program's screen: the next key asks it to redraw first. */
  private isScreenDirty = false;
  /** Lines said to the user so far (say): whether a prompt's command printed a reply to be read. */
  private said = 0;
  /** When the session's output last came (Date.now()). */
  private lastOutputAt = 0;
  /** The trihub this client was on before the one it is on (attach, remote, local): where it goes back when that ends. */
  private cameFrom: number | null = null;
  private pendingLine = '';
  private readonly history: string[] = [];
  /** Lines and commands in the order typed: a line after `remote 3` goes to trihub 3. */
  private queue: Promise<void> = Promise.resolve();
  private resolveEnd!: (end: ShellEnd) => void;
  private isEnded = false;
  private offResize: () => void = () => {};
  readonly ended = new Promise<ShellEnd>((resolve) => (this.resolveEnd = resolve));

  constructor(client: Client, io: ShellIo, opts: ShellOptions) {
    this.client = client;
    this.io = io;
    this.opts = opts;
    this.term = new Terminal(io.input, io.output);
    this.overlay = new PromptOverlay((text) => this.io.output.write(text), (h) => ('lost' in h ? this.onGap(h.hub, h.lost) : this.onData(h.hub, h.pieces)), PROMPT_HOLD_MAX_BYTES);
    this.trihub = opts.trihub;
    this.hubs = opts.hubs ?? { in: opts.trihub, out: opts.trihub + 1, err: opts.trihub + 2 };
  }

  async start(): Promise<ShellEnd> {
    this.client.on({
      dataPieces: (hub, pieces) => this.onData(hub, pieces),
      gap: (hub, lost) => this.onGap(hub, lost),
      eof: (hub) => {
        this.endedHubs.add(hub);
        // A session that had ended: both its outputs are backlog, and its stderr may come after stdout's end.
        const isAllOut = this.endedWord ? this.endedHubs.has(this.hubs.out) && this.endedHubs.has(this.hubs.err) : hub === this.hubs.out;
        if (!isAllOut) return;
        if (this.quitWord || this.endedWord) return this.finish(this.quitWord ?? this.endedWord, 0);
        // it ended while we watched: say so (and how, when we may ask), as dtach and tmux do
        void this.endWord().then((word) => this.afterEnd(word));
      },
      error: (_hub, message) => {
        // The server says it is quitting before its sessions hang up: that is
        // said once this client has left, after the session's last output.
        if (/^io: [^:]+: server quit/.test(message)) this.quitWord = message;
        else if (!this.isEnded) this.say(message);
      },
      close: (reason) => this.finish(reason ?? `io: ${this.client.name}: connection lost`, reason ? 0 : 1),
    });
    this.io.input.on('data', (b: Buffer) => this.onInput(b));
    this.client.onDrain(() => {
      if (!this.isInputHeld || this.isEnded) return;
      this.isInputHeld = false;
      this.io.input.resume();
    });
    this.io.input.on('end', () => this.onInputEnd());
    this.offResize = this.term.onResize(() => this.sendSize());
    // Input typed (or ended) before the attach is decided waits for it: input
    // that ends at once must not turn a failed attach into a clean exit.
    const entered = (async () => this.enter(this.trihub, this.opts.hubs === undefined ? (fromHello(this.client.hello, this.trihub) ?? (await this.info(this.trihub))) : { trihub: this.trihub, pty: false, cmd: '' }))();
    this.queue = entered.catch(() => {});
    await entered;
    return this.ended;
  }

  /** Leave: the terminal restored, the connection closed; the session goes on. */
  finish(message: string | null, status: number): void {
    if (this.isEnded) return;
    this.gaps.flush();
    // what came while the prompt was open (or a reply was read) is shown, not dropped: it may be the session's last words
    if (this.overlay.isOpen) this.io.output.write('\r\n');
    this.overlay.close();
    this.isEnded = true;
    this.offResize();
    this.term.restore();
    this.io.input.removeAllListeners('data');
    this.io.input.pause();
    this.client.close();
    this.resolveEnd({ message, status, isAfterSession: this.hasEntered && this.term.isTTY });
  }

  /**
   * The session watched has ended: back to the trihub this client came from,
   * if it still runs (as screen goes to another window when one exits); else
   * this client leaves.
   */
  private async afterEnd(word: string): Promise<void> {
    const back = this.cameFrom;
    const info = back === null ? null : await this.info(back).catch(() => null);
    if (back === null || !info || info.ended || this.isEnded) return this.finish(word, 0);
    await this.enter(back, info);
    // said once that trihub's backlog is drawn: a clear in it would wipe it
    await this.settled(SETTLED_QUIET_MS, SETTLED_MAX_MS);
    if (!this.isEnded) this.say(`${word}; back on trihub ${back}`);
  }

  /** Once the output has been quiet for quietMs since now (a backlog drawn), or after maxMs. */
  private async settled(quietMs: number, maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    this.lastOutputAt = Date.now();
    for (;;) {
      const idle = Date.now() - this.lastOutputAt;
      if (idle >= quietMs || Date.now() >= until || this.isEnded) return;
      await new Promise((r) => setTimeout(r, quietMs - idle));
    }
  }

  /** The line for a session that ended while attached: how it ended, when this client may ask. */
  private async endWord(): Promise<string> {
    const name = this.client.name;
    if (this.opts.hubs !== undefined && this.trihub === this.opts.trihub) return `io: ${name}: hub ${this.hubs.out} ended`;
    const said = `io: ${name}: the session on trihub ${this.trihub} ended`;
    if (this.client.hello.role !== 'control') return said;
    try {
      const e = (await this.statusOf())?.ended?.find((x) => x.trihub === this.trihub);
      return e ? `${said} (${howEnded(e)})` : said;
    } catch {
      return said; // the server went too
    }
  }

  /** The server's status, or null (said) when this client may not ask: a watch or write token. */
  private async statusOf(): Promise<Status | null> {
    const reply = await this.client.ctl('status', { json: true });
    if (!reply.startsWith('io:')) return JSON.parse(reply) as Status;
    this.say(reply);
    return null;
  }

  private async info(trihub: number): Promise<TrihubInfo | null> {
    // a client that may not ask knows what the hello named
    const s = this.client.hello.role === 'control' ? await this.statusOf() : null;
    return s ? fromStatus(s, trihub) : fromHello(this.client.hello, trihub);
  }

  /** Move to a trihub: say our size, subscribe its outputs, set the input mode. */
  private async enter(trihub: number, info: TrihubInfo | null): Promise<void> {
    if (!info) {
      this.say(`io: attach ${trihub}: nothing runs on trihub ${trihub} (try: list)`);
      if (this.trihub === trihub) this.finish(null, 1);
      return;
    }
    if (isInside(this.opts.inside, this.client.hello.name, this.client.hello.pid, trihub)) {
      const what = this.hasEntered ? `attach ${trihub}` : this.client.name;
      this.say(`io: ${what}: this terminal is inside it (IO_SESSION=${this.opts.inside}), so its output would come back as its input; unset IO_SESSION to attach all the same`);
      if (this.trihub === trihub) this.finish(null, 1);
      return;
    }
    this.client.unsubscribe(this.hubs.out);
    this.client.unsubscribe(this.hubs.err);
    if (this.hasEntered && trihub !== this.trihub) {
      this.cameFrom = this.trihub;
      // each trihub its own screen: vim's modes on trihub 0 are not the shell's on trihub 3
      this.term.leaveModes();
      // and lets go of the input it typed into there (after all it sent): status counts it no more
      this.client.endInput(this.hubs.in);
    }
    this.trihub = trihub;
    if (this.opts.hubs === undefined || trihub !== this.opts.trihub) this.hubs = { in: trihub, out: trihub + 1, err: trihub + 2 };
    this.sendSize();
    // Together: a server whose session has ended counts readers to know when it may end.
    this.client.subscribe([this.hubs.out, this.hubs.err]);
    // After the subscribe, so the server sends while the terminal's mode is set
    // (stty, a child process); nothing is written before: that is synchronous.
    this.hasEntered = true;
    this.endedHubs.clear();
    this.endedWord = info.ended ? `io: ${this.client.name}: the session on trihub ${trihub} had ended (${info.ended})` : null;
    // An ended session takes no keys: the terminal stays cooked (Ctrl-C leaves).
    this.isRawMode = info.pty && !info.ended && this.term.isTTY;
    this.term.setRaw(this.isRawMode);
  }

  private sendSize(): void {
    const size = this.term.size();
    // hubs wired by hand that are not one trihub's three (ioshell NAME 4 5 6, or 3 10 11) have no window to size
    const h = this.hubs;
    if (size && h.in % 3 === 0 && h.out === h.in + 1 && h.err === h.in + 2) this.client.resize(h.in, size.cols, size.rows);
  }

  private onData(hub: number, pieces: Buffer[]): void {
    this.lastOutputAt = Date.now();
    if (this.overlay.hold({ hub, pieces })) return;
    const out = hub === this.hubs.out ? this.io.output : hub === this.hubs.err ? this.io.errors : null;
    if (out === this.io.output) this.term.saw(pieces);
    if (out && !writeDirect(out, pieces)) {
      this.client.pause();
      out.once('drain', () => this.client.resume());
    }
  }

  private onInput(chunk: Buffer): void {
    if (this.isEnded) return;
    if (this.overlay.isOpen) return this.onPromptKeys(chunk);
    if (this.isRawMode) return this.onRawKeys(chunk);
    // Piped input is data, sent as it is: a log with a line `hub quit` in it must not stop the server.
    if (!this.term.isTTY) return this.pipe(chunk);
    this.pendingLine += chunk.toString('utf8');
    let nl: number;
    while ((nl = this.pendingLine.indexOf('\n')) >= 0 && !this.isEnded) {
      const line = this.pendingLine.slice(0, nl);
      this.pendingLine = this.pendingLine.slice(nl + 1);
      this.onLine(line);
    }
    // A cooked terminal hands over a line without its newline only at Ctrl-D: what was typed goes now,
    // as it would to a program reading the terminal.
    if (this.pendingLine !== '') {
      const partial = this.pendingLine;
      this.pendingLine = '';
      this.queue = this.queue.then(() => {
        if (!this.isEnded) this.send(Buffer.from(partial));
      });
    }
  }

  /** Input that is not a terminal's, into the input hub untouched, in order with what the attach was waiting on. */
  private pipe(chunk: Buffer): void {
    this.queue = this.queue.then(() => {
      if (!this.isEnded) this.send(chunk);
    });
  }

  private onInputEnd(): void {
    const rest = this.pendingLine;
    this.pendingLine = '';
    // Ctrl-D on an empty line (or the end of piped input): this client leaves,
    // once what was typed before it is done and in the server's hub (a paste
    // into a paranoid session may wait there for room). Asked once the attach
    // is decided: an ended session takes no input, and the end of its output
    // is the end.
    this.queue = this.queue.then(async () => {
      if (this.endedWord) return;
      if (rest !== '') this.send(Buffer.from(rest));
      await this.client.flushed().catch(() => {});
      // said on a terminal, as Ctrl-C and Ctrl-\ say it; piped input ends quietly
      this.finish(this.term.isTTY ? `io: detached from ${this.client.name}` : null, 0);
    });
  }

  private onLine(line: string): void {
    this.queue = this.queue.then(async () => {
      if (this.isEnded) return;
      // Ctrl-] first, as in raw mode: the line is a command, whatever it says
      if (line.startsWith('\x1d')) {
        const typed = line.slice(1);
        const word = parseWord(typed);
        if (word instanceof CtlError) return this.say(word.message);
        if (!word) return typed.trim() === '' ? undefined : this.say(promptRefusal(typed));
        this.remember(typed);
        return this.run(word);
      }
      const word = parseWord(line);
      if (word instanceof CtlError) return this.say(word.message);
      this.remember(line);
      if (word) return this.run(word);
      this.send(Buffer.from(`${line}\n`));
    });
  }

  /**
   * Ask the program on the pty to draw its screen again. A full-screen one
   * (the alternate screen: vim, less) redraws only for a new size, so the
   * window is one column wider for a moment; any other (top, a shell) is sent
   * SIGWINCH alone, so that a command typed at once never sees that moment.
   */
  private redraw(): void {
    this.isScreenDirty = false;
    const size = this.term.size();
    if (!this.isRawMode || !size) return;
    if (!this.term.isFullScreen) {
      if (this.client.hello.role === 'control') void this.client.ctl(`signal ${this.trihub} WINCH`).catch(() => {});
      return;
    }
    this.client.resize(this.trihub, size.cols + 1, size.rows);
    setTimeout(() => {
      if (!this.isEnded) this.sendSize();
    }, REDRAW_NUDGE_MS).unref();
  }

  private onRawKeys(chunk: Buffer): void {
    // Over a full-screen program, the key after a reply only puts its screen back, as screen's "any key":
    // passed on, an 'a' would start vim's insert, an 'x' delete. A shell's next key is its own.
    const isDismissal = this.isScreenDirty && this.term.isFullScreen;
    if (this.isScreenDirty) {
      // what the program wrote while the reply was read, then its screen drawn again
      this.overlay.resume();
      this.redraw();
    }
    const { pass, key, rest } = scanKeys(chunk);
    // one key is swallowed (a byte, a character, an arrow's sequence), never a paste; keys after it are the program's
    const swallowed = isDismissal && pass.length <= ONE_KEY_MAX_BYTES ? firstKeyBytes(pass) : 0;
    if (pass.length > swallowed) this.send(pass.subarray(swallowed));
    if (key === 'detach') return this.finish(`io: detached from ${this.client.name}`, 0);
    if (key === 'prompt') {
      this.overlay.open();
      // over top, which hides the cursor, the prompt shows one while it is open
      if (this.term.isCursorHidden) this.io.output.write(SHOW_CURSOR);
      if (rest.length > 0) this.onPromptKeys(rest);
    }
  }

  /** Keys while the io: prompt is open: its echo; once it is done, what it asked for, then the keys after it. */
  private onPromptKeys(chunk: Buffer): void {
    const step = this.overlay.feed(chunk);
    const end = step.end;
    if (!end) return;
    if (this.term.isCursorHidden) this.io.output.write(HIDE_CURSOR);
    // The prompt was drawn over the program's screen (a full-screen one scrolls with it): it is asked to
    // redraw, at once when nothing was said, else at the next key, so a reply can be read first.
    if (end.kind !== 'line') this.redraw();
    if (end.kind === 'key') this.send(Buffer.from([end.key]));
    if (end.kind === 'line') {
      const saidBefore = this.said;
      const trihubBefore = this.trihub;
      const word = parseWord(end.line);
      if (word instanceof CtlError) this.say(word.message);
      else if (word) {
        this.remember(end.line);
        this.queue = this.queue.then(() => this.run(word));
      } else if (end.line.trim() !== '') this.say(promptRefusal(end.line));
      // nothing said (an empty line, intr, clear): redrawn at once; moved to another trihub: its own backlog draws
      this.queue = this.queue.then(() => {
        if (this.isEnded) return;
        // the overlay holds the program's output until here (a reply goes under the prompt line, not
        // where the program left its cursor); over a full-screen program, which draws on its own (top),
        // until the key that says the reply was read
        if (this.said > saidBefore) {
          this.isScreenDirty = true;
          if (!this.term.isFullScreen) this.overlay.resume();
        } else {
          this.overlay.resume();
          if (this.trihub === trihubBefore) this.redraw();
        }
      });
    }
    if (step.rest && step.rest.length > 0) this.onInput(step.rest);
  }

  /** Bytes this client lost (it fell a ring behind): said in its place among the output, after what was held. */
  private onGap(hub: number, lost: number): void {
    if (this.overlay.hold({ hub, lost })) return;
    if (hub === this.hubs.out) this.term.lost(lost);
    if (hub === this.hubs.out || hub === this.hubs.err) this.gaps.lost(lost);
  }

  /** A notice of loss (gaps.ts sums them, a second apart): on stderr, or held with the output while the prompt is open. */
  private sayLost(lost: number): void {
    if (this.isEnded) return;
    const notice = Buffer.from(`\r\nio: lost ${lost} bytes\r\n`);
    if (!this.overlay.hold({ hub: this.hubs.err, pieces: [notice] })) this.io.errors.write(notice);
  }

  /**
   * Into the input hub; past the connection's mark, input waits for its drain
   * (one listener, set in start). A terminal in raw mode is read on up to
   * TYPED_AHEAD_MAX_BYTES queued: while a session does not read a paste, its
   * user can still detach (Ctrl-\) or reach the io: prompt (Ctrl-]).
   */
  private send(bytes: Buffer): void {
    if (this.client.hello.role === 'watch') {
      // the server would refuse every key, each with a line over the screen watched: said once, here
      if (!this.isToldReadOnly) this.say(`io: ${this.client.name}: read-only (a watch token): keys are not sent; Ctrl-\\ detaches`);
      this.isToldReadOnly = true;
      return;
    }
    if (this.client.write(this.hubs.in, bytes) || this.isInputHeld) return;
    if (this.isRawMode && this.client.queuedBytes < TYPED_AHEAD_MAX_BYTES) return;
    this.isInputHeld = true;
    this.io.input.pause();
  }

  private remember(line: string): void {
    this.history.push(line);
    if (this.history.length > HIST_MAX) this.history.shift();
  }

  /** One line to the user, on stderr, fit for a raw terminal too: there each line clears what the program drew on it. */
  private say(text: string): void {
    this.said++;
    this.io.errors.write(this.isRawMode ? `${text.replace(/\n/g, `${CLEAR_TO_EOL}\r\n`)}${CLEAR_TO_EOL}\r\n` : `${text}\n`);
  }

  private async run(w: Word): Promise<void> {
    try {
      await runWord(w, {
        client: this.client,
        trihub: this.trihub,
        hubs: this.hubs,
        isRawMode: this.isRawMode,
        history: this.history,
        startHost: this.opts.startHost,
        say: (text) => this.say(text),
        detach: () => this.finish(`io: detached from ${this.client.name}`, 0),
        enter: async (trihub) => this.enter(trihub, await this.info(trihub)),
        statusOf: () => this.statusOf(),
      });
    } catch (err) {
      this.say((err as Error).message);
    }
  }
}

/** The bytes of the first key in keys: an escape sequence (an arrow) whole, else one UTF-8 character. */
function firstKeyBytes(keys: Buffer): number {
  const c = keys[0]!;
  if (c === 0x1b) return keys.length;
  return Math.min(keys.length, c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1);
}
