// page.ts — a terminal in the browser on one trihub of a session.
//
// The token comes from the URL fragment (#token=T&trihub=N), which the
// browser never sends to the server; ?token= works too. The page speaks the
// framed protocol over a WebSocket (docs/protocol.md): greets, subscribes to
// the trihub's outputs with acknowledgements, and acks what xterm.js has
// drawn, so the server never holds more than a bounded amount for a page
// that draws slower than the session writes. It follows the window's size,
// reconnects after a drop (the backlog redraws the screen), stops when the
// server quits, and is read-only for watch tokens. On a session without a
// pty it edits lines itself, as a cooked terminal would (lines.ts).

import type { Terminal as XTerm } from '@xterm/xterm';
import type { FitAddon as XFit } from '@xterm/addon-fit';
import type { Unicode11Addon as XUnicode11 } from '@xterm/addon-unicode11';
import { LineEditor } from './lines.js';

const PROTOCOL_VERSION = 1;
const F = { hello: 1, data: 2, subscribe: 3, eof: 5, gap: 6, resize: 9, error: 10, ack: 13 } as const;
const FLAG_ACKS = 4;
const RECONNECT_MAX_MS = 5000;

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const fragment = new URLSearchParams(location.hash.slice(1));
const query = new URLSearchParams(location.search);
const token = fragment.get('token') ?? query.get('token') ?? '';
const name = decodeURIComponent(location.pathname.split('/').filter(Boolean)[0] ?? '');
/** A trihub from what was typed or linked: 4 is trihub 3's, as the picker has it. */
const asTrihub = (text: string): number => Math.max(0, Math.floor((Number(text) || 0) / 3) * 3);
let trihub = asTrihub(fragment.get('trihub') ?? query.get('trihub') ?? '0');

function frame(type: number, hub: number, payload: Uint8Array = new Uint8Array(0), flags = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(8 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint8(0, type);
  v.setUint8(1, flags);
  v.setUint16(2, hub);
  v.setUint32(4, payload.length);
  out.set(payload, 8);
  return out;
}

/** Bytes in, frames out: the greeting line first, then 8-byte headers and payloads. */
class Reader {
  private buf = new Uint8Array(0);
  private greeted = false;
  push(chunk: Uint8Array, onLine: (line: string) => void, onFrame: (type: number, hub: number, payload: Uint8Array) => void): void {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    let at = 0;
    if (!this.greeted) {
      const nl = joined.indexOf(0x0a);
      if (nl < 0) {
        this.buf = joined;
        return;
      }
      this.greeted = true;
      onLine(new TextDecoder().decode(joined.subarray(0, nl)));
      at = nl + 1;
    }
    const v = new DataView(joined.buffer);
    while (joined.length - at >= 8) {
      const len = v.getUint32(at + 4);
      if (joined.length - at < 8 + len) break;
      onFrame(v.getUint8(at), v.getUint16(at + 2), joined.subarray(at + 8, at + 8 + len));
      at += 8 + len;
    }
    this.buf = joined.slice(at);
  }
}

async function main(): Promise<void> {
  const { Terminal } = (await import('./xterm.mjs' as string)) as { Terminal: typeof XTerm };
  const { FitAddon } = (await import('./addon-fit.mjs' as string)) as { FitAddon: typeof XFit };
  const { Unicode11Addon } = (await import('./addon-unicode11.mjs' as string)) as { Unicode11Addon: typeof XUnicode11 };
  document.title = `io ${name}`;
  $('name').textContent = name;
  const picker = $('trihub') as HTMLInputElement;
  picker.value = String(trihub);
  // allowProposedApi: the unicode API, so that emoji take two columns as the session's wcwidth says
  const term = new Terminal({ cursorBlink: true, scrollback: 5000, fontFamily: 'monospace', allowProposedApi: true });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.loadAddon(new Unicode11Addon());
  term.unicode.activeVersion = '11';
  term.open($('term'));
  fit.fit();

  let ws: WebSocket | null = null;
  let isWatch = false;
  let isToldReadOnly = false;
  /** Subscribed to a trihub where something runs: keys have somewhere to go. */
  let isAttached = false;
  /** The session on this trihub has no pty: lines are edited here (null: every key goes as it is). */
  let lines: LineEditor | null = null;
  /** The server said it quits: no retrying, the last word stays. */
  let quitWord: string | null = null;
  let retryMs = 500;

  const send = (bytes: Uint8Array<ArrayBuffer>): void => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(bytes);
  };
  const sendSize = (): void => {
    const p = new Uint8Array(4);
    new DataView(p.buffer).setUint16(0, term.cols);
    new DataView(p.buffer).setUint16(2, term.rows);
    send(frame(F.resize, trihub, p));
  };
  const setState = (text: string, down = false): void => {
    $('state').textContent = text;
    $('state').classList.toggle('down', down);
  };

  term.onData((text) => {
    if (isWatch) {
      // as ioshell: said once, in the header, so the screen watched stays as it is
      if (!isToldReadOnly) $('ro').textContent = 'read-only (a watch token): keys are not sent';
      isToldReadOnly = true;
      return;
    }
    // keys that would go nowhere (no connection, nothing on this trihub, the server gone) are not taken
    if (ws?.readyState !== WebSocket.OPEN || !isAttached) return;
    const keys = lines ? lines.feed(text) : { echo: '', send: text };
    if (keys.echo) term.write(keys.echo);
    if (keys.send) send(frame(F.data, trihub, new TextEncoder().encode(keys.send)));
  });
  term.onResize(() => sendSize());
  new ResizeObserver(() => fit.fit()).observe($('term'));
  picker.addEventListener('change', () => {
    trihub = asTrihub(picker.value);
    picker.value = String(trihub);
    fragment.set('trihub', String(trihub));
    history.replaceState(null, '', `#${fragment.toString()}`);
    ws?.close();
  });

  const connect = (): void => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const sock = new WebSocket(`${proto}//${location.host}/${encodeURIComponent(name)}/ws?token=${encodeURIComponent(token)}`);
    sock.binaryType = 'arraybuffer';
    ws = sock;
    const reader = new Reader();
    sock.onopen = () => sock.send(new TextEncoder().encode(`IO ${PROTOCOL_VERSION}\n`));
    sock.onmessage = (ev: MessageEvent<ArrayBuffer>) => {
      reader.push(new Uint8Array(ev.data), (line) => {
        if (line !== `IO ${PROTOCOL_VERSION}`) setState(line.startsWith('io:') ? line : `server speaks ${line}, this page IO ${PROTOCOL_VERSION}`, true);
      }, (type, hub, payload) => {
        if (type === F.hello) {
          const hello = JSON.parse(new TextDecoder().decode(payload)) as { role: string; sessions: { trihub: number; pty: boolean }[]; ended?: { trihub: number; pty: boolean }[]; hosts?: { trihub: number }[] };
          isWatch = hello.role === 'watch';
          $('ro').classList.toggle('on', isWatch);
          term.reset();
          // a session on pipes writes '\n' alone and echoes nothing: this page is its cooked terminal
          const here = [...hello.sessions, ...(hello.ended ?? [])].find((s) => s.trihub === trihub);
          lines = here && !here.pty ? new LineEditor() : null;
          term.options.convertEol = lines !== null;
          // reverse wraparound: Backspace at a line's start goes back up a wrapped line it typed
          if (lines) term.write('\x1b[?45h');
          retryMs = 500;
          // as ioshell: a trihub with nothing on it is said so, not shown blank (nor started by subscribing)
          const runs = [...hello.sessions, ...(hello.hosts ?? []), ...(hello.ended ?? [])].map((x) => x.trihub);
          isAttached = runs.includes(trihub);
          if (!isAttached) {
            setState(`trihub ${trihub}: nothing runs there${runs.length > 0 ? ` (try ${[...new Set(runs)].sort((a, b) => a - b).join(', ')})` : ''}`, true);
            return;
          }
          setState(`trihub ${trihub}`);
          sendSize();
          send(frame(F.subscribe, trihub + 1, undefined, FLAG_ACKS));
          send(frame(F.subscribe, trihub + 2, undefined, FLAG_ACKS));
        } else if (type === F.data && (hub === trihub + 1 || hub === trihub + 2)) {
          const n = payload.length;
          // a line being typed (no pty): out of the way of the output, then typed again below it, as readline does
          if (lines?.isTyping) term.write(lines.hide());
          term.write(payload.slice(), () => {
            const p = new Uint8Array(4);
            new DataView(p.buffer).setUint32(0, n);
            send(frame(F.ack, hub, p));
          });
          if (lines?.isTyping) term.write(lines.show());
        } else if (type === F.gap) {
          const lost = Number(new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0));
          term.write(`\r\n\x1b[33m[io: lost ${lost} bytes]\x1b[0m\r\n`);
        } else if (type === F.eof && hub === trihub + 1) {
          isAttached = false;
          setState(`trihub ${trihub}: ended`, true);
        } else if (type === F.error) {
          const text = new TextDecoder().decode(payload);
          term.write(`\r\n\x1b[31m${text}\x1b[0m\r\n`);
          if (/^io: [^:]+: server quit/.test(text)) quitWord = text.replace(/^io: [^:]+: /, '');
        }
      });
    };
    let wasOpen = false;
    sock.addEventListener('open', () => (wasOpen = true));
    sock.onclose = () => {
      if (ws !== sock) return;
      if (quitWord) {
        setState(`${quitWord}; reload to connect again`, true);
        term.options.cursorBlink = false;
        return;
      }
      const retry = (): void => {
        setState(`disconnected; retrying in ${retryMs / 1000}s`, true);
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, RECONNECT_MAX_MS);
      };
      if (wasOpen) return retry();
      // Refused before it opened: a browser does not say why, so ask the same path plainly.
      // A token that is not valid will not become so, nor a name this server does not serve: say so, and stop.
      fetch(`/${encodeURIComponent(name)}/ws?token=${encodeURIComponent(token)}`).then((res) => {
        if (res.status === 401) setState(`no valid token (401): open this page with #token=… from the server's ${name}.token`, true);
        else if (res.status === 404) setState(`no session named ${name} here (404)`, true);
        else retry();
      }, retry);
    };
  };
  // a new #token=… pasted into this tab (the server restarted with a new one): the page starts again with it
  window.addEventListener('hashchange', () => {
    if (new URLSearchParams(location.hash.slice(1)).get('token') !== (fragment.get('token') ?? null)) location.reload();
  });
  connect();
  term.focus();
}

void main();
