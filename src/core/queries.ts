// queries.ts — terminal queries taken out of a stream of terminal output.
//
// A query is a sequence a terminal answers by sending bytes back, which the
// program reads as if the user typed them: where is the cursor (CSI 6 n),
// what terminal is this (CSI c), what colour is the background (OSC 11;?).
// When a new client replays the backlog, the program that asked is long gone;
// the client's terminal answers all the same, and the answers land in the
// shell as keystrokes (`2RR` at the prompt). QueryFilter passes a stream on
// with the queries removed and every other byte as it was, holding a sequence
// split between chunks until it can tell.
//
// Pure: bytes in, bytes out. Not here: which bytes are the backlog
// (server/pump.ts). 7-bit sequences only, as escapes.ts reads them.

import { ESC, LONG, MORE, readEscape, type Escape } from './escapes.js';

/** ENQ: the terminal sends its answerback message. */
const ENQ = 0x05;
/**
 * The longest sequence held while deciding. The longest query in use is an
 * XTGETTCAP with a few hex-encoded names, well under this; a longer sequence
 * (a title, an image) is passed on as it is.
 */
export const MAX_QUERY_BYTES = 256;

/** CSI Ps t: the window reports (state, position, sizes, title); 22/23 (title stack) and the rest act. */
const WINDOW_REPORTS: ReadonlySet<string> = new Set(['11', '13', '14', '15', '16', '18', '19', '20', '21']);
/** OSC numbers that answer a `?` parameter: palette, special and dynamic colours, font, clipboard. */
const OSC_QUERIES: ReadonlySet<string> = new Set(['4', '5', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '50', '52']);

/** True when a terminal answers this sequence by sending bytes back. */
export function isQuery(e: Escape): boolean {
  switch (e.kind) {
    case 'csi':
      return isCsiQuery(e.prefix, e.params, e.inter, e.final);
    case 'osc': {
      const [num = '', ...params] = e.text.split(';');
      return OSC_QUERIES.has(num) && params.includes('?');
    }
    case 'dcs':
      return e.text.startsWith('$q') || e.text.startsWith('+q'); // DECRQSS, XTGETTCAP
    case 'apc':
      return /^G([^;]*,)?a=q(,|;|$)/.test(e.text); // kitty graphics: a=q asks whether an image would work
    default:
      return false;
  }
}

function isCsiQuery(prefix: string, params: string, inter: string, final: string): boolean {
  const sequence = `${prefix} ${inter}${final}`;
  switch (sequence) {
    case ' n': // DSR: status, cursor position
    case '? n': // DSR, DEC forms
    case ' $p': // DECRQM: ANSI mode
    case '? $p': // DECRQM: private mode
    case ' $w': // DECRQPSR: cursor or tab-stop report
    case ' $u': // DECRQTSR: terminal state report
    case ' *y': // DECRQCRA: checksum of an area
    case '> q': // XTVERSION
    case '? m': // XTQMODKEYS
      return true;
    case ' c': // DA1
    case '> c': // DA2
    case '= c': // DA3
      return /^\d*$/.test(params);
    case '? u': // kitty keyboard flags; CSI > 1 u and the rest set them
      return params === '';
    case ' t':
      return WINDOW_REPORTS.has(params.split(';')[0]!);
    case ' x': // DECREQTPARM
      return params === '' || params === '0' || params === '1';
    case '? S': {
      const action = params.split(';')[1]; // XTSMGRAPHICS: 1 reads, 4 reads the maximum
      return action === '1' || action === '4';
    }
    default:
      return false;
  }
}

export class QueryFilter {
  /** The start of a sequence cut short by the end of the last chunk (at most MAX_QUERY_BYTES). */
  private held: Buffer | null = null;

  /** The chunk without its queries; the start of a sequence it ends in is held for the next. */
  push(chunk: Buffer): Buffer {
    const buf = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    const wasHeld = this.held !== null;
    this.held = null;
    const kept: Buffer[] = [];
    let from = 0;
    let to = buf.length;
    let esc = buf.indexOf(ESC);
    let enq = buf.indexOf(ENQ);
    while (esc >= 0 || enq >= 0) {
      if (enq >= 0 && (esc < 0 || enq < esc)) {
        kept.push(buf.subarray(from, enq));
        from = enq + 1;
        enq = buf.indexOf(ENQ, from);
        continue;
      }
      const e = readEscape(buf, esc, MAX_QUERY_BYTES);
      if (e === MORE) {
        this.held = Buffer.from(buf.subarray(esc));
        to = esc;
        break;
      }
      const next = e === LONG ? esc + 1 : e.end;
      if (e !== LONG && isQuery(e)) {
        kept.push(buf.subarray(from, esc));
        from = next;
      }
      esc = buf.indexOf(ESC, next);
      if (enq >= 0 && enq < next) enq = buf.indexOf(ENQ, next);
    }
    if (kept.length === 0 && !wasHeld && to === buf.length) return chunk;
    kept.push(buf.subarray(from, to));
    return Buffer.concat(kept);
  }

  /** What is held, as it is (not a query, or not one to drop now); the filter starts afresh. */
  end(): Buffer {
    const held = this.held ?? Buffer.alloc(0);
    this.held = null;
    return held;
  }
}
