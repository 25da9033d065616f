// queries.test.ts — QueryFilter: terminal queries out, every other byte as it was.
//
// Table-driven: each query kind a terminal answers is removed from between two
// bits of text; each look-alike that is not a query (colours, cursor moves,
// kitty's CSI > 1 u, the title stack CSI 22 t, titles, the alternate screen)
// comes through byte for byte. A mixed stream is then cut at every byte, and
// in two places at once, and must come out the same; fast-check cuts random
// streams of these pieces at random places. Bytes are latin1 strings here.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isQuery, MAX_QUERY_BYTES, QueryFilter } from '../../src/core/queries.js';
import { params } from '../helpers/fuzz.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const ESC = '\x1b';
const ST = '\x1b\\';

/** Run chunks through one filter and join what comes out, held bytes included. */
function filter(chunks: string[]): string {
  const f = new QueryFilter();
  const out = chunks.map((c) => f.push(b(c)).toString('latin1'));
  return out.join('') + f.end().toString('latin1');
}

const QUERIES: [string, string][] = [
  ['DSR cursor position', `${ESC}[6n`],
  ['DSR status', `${ESC}[5n`],
  ['DSR, DEC form', `${ESC}[?6n`],
  ['DSR colour scheme', `${ESC}[?996n`],
  ['DA1', `${ESC}[c`],
  ['DA1 with 0', `${ESC}[0c`],
  ['DA2', `${ESC}[>c`],
  ['DA2 with 0', `${ESC}[>0c`],
  ['DA3', `${ESC}[=c`],
  ['XTVERSION', `${ESC}[>q`],
  ['XTVERSION with 0', `${ESC}[>0q`],
  ['DECRQM, ANSI mode', `${ESC}[4$p`],
  ['DECRQM, private mode', `${ESC}[?12$p`],
  ['DECRQM, synchronized output', `${ESC}[?2026$p`],
  ['kitty keyboard query', `${ESC}[?u`],
  ...['11', '13', '14', '15', '16', '18', '19', '20', '21'].map((ps): [string, string] => [`window report ${ps}`, `${ESC}[${ps}t`]),
  ['window report with a parameter', `${ESC}[14;2t`],
  ['DECREQTPARM', `${ESC}[x`],
  ['DECREQTPARM 1', `${ESC}[1x`],
  ['DECRQPSR', `${ESC}[1$w`],
  ['DECRQTSR', `${ESC}[1$u`],
  ['DECRQCRA', `${ESC}[1;1;1;1;10;10*y`],
  ['XTQMODKEYS', `${ESC}[?4m`],
  ['XTSMGRAPHICS read', `${ESC}[?1;1;0S`],
  ['OSC 10 foreground, BEL', `${ESC}]10;?\x07`],
  ['OSC 11 background, ST', `${ESC}]11;?${ST}`],
  ['OSC 12 cursor colour', `${ESC}]12;?\x07`],
  ['OSC 4 palette entry', `${ESC}]4;1;?\x07`],
  ['OSC 4 two entries', `${ESC}]4;1;?;2;?\x07`],
  ['OSC 52 clipboard', `${ESC}]52;c;?\x07`],
  ['DECRQSS', `${ESC}P$q"p${ST}`],
  ['DECRQSS, SGR', `${ESC}P$qm${ST}`],
  ['XTGETTCAP', `${ESC}P+q544e;524742${ST}`],
  ['kitty graphics query', `${ESC}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA${ST}`],
  ['ENQ', '\x05'],
];

const NOT_QUERIES: [string, string][] = [
  ['colour', `${ESC}[31m`],
  ['reset', `${ESC}[0m`],
  ['cursor move', `${ESC}[2;2H`],
  ['erase', `${ESC}[2J`],
  ['kitty keyboard push', `${ESC}[>1u`],
  ['kitty keyboard set', `${ESC}[=1;1u`],
  ['kitty keyboard pop', `${ESC}[<u`],
  ['restore cursor (SCORC)', `${ESC}[u`],
  ['title stack push', `${ESC}[22;0t`],
  ['title stack pop', `${ESC}[23;0t`],
  ['window resize', `${ESC}[8;24;80t`],
  ['title, BEL', `${ESC}]0;title\x07`],
  ['title, ST', `${ESC}]2;what?${ST}`],
  ['title that is a question mark', `${ESC}]0;?\x07`],
  ['OSC 10 set', `${ESC}]10;#ffffff\x07`],
  ['OSC 8 hyperlink', `${ESC}]8;;http://x/?a=1\x07`],
  ['alternate screen', `${ESC}[?1049h`],
  ['bracketed paste off', `${ESC}[?2004l`],
  ['DA1 answer', `${ESC}[?62;22c`],
  ['cursor position answer', `${ESC}[2;2R`],
  ['cursor style (DECSCUSR)', `${ESC}[2 q`],
  ['soft reset (DECSTR)', `${ESC}[!p`],
  ['DECSCL', `${ESC}[62;1"p`],
  ['XTMODKEYS', `${ESC}[>4;2m`],
  ['XTSMGRAPHICS set', `${ESC}[?1;3;256S`],
  ['DECSACE', `${ESC}[2*x`],
  ['XTSETTCAP', `${ESC}P+p544e${ST}`],
  ['sixel', `${ESC}Pq#0;2;0;0;0#0~~${ST}`],
  ['kitty graphics transmit', `${ESC}_Gf=24,a=T;AAAA${ST}`],
  ['keypad', `${ESC}=`],
  ['charset', `${ESC}(B`],
  ['save cursor', `${ESC}7`],
  ['UTF-8 text', 'h\xc3\xa9\xe2\x82\xac'],
  ['a C1 byte (7-bit only)', '\x9b6n'],
  ['CSI broken by a control', `${ESC}[6\rn`],
  ['OSC broken by ESC', `${ESC}]11;?${ESC}[31m`],
];

describe('QueryFilter', () => {
  it.each(QUERIES)('removes %s', (_name, q) => {
    expect(filter([`a${q}b`])).toBe('ab');
    expect(filter([q])).toBe('');
  });

  it.each(NOT_QUERIES)('keeps %s', (_name, s) => {
    expect(filter([`a${s}b`])).toBe(`a${s}b`);
  });

  it('removes vim\'s start-up queries from a screenful and keeps the drawing', () => {
    const drawn = `${ESC}[?1049h${ESC}[22;0t${ESC}[?1h${ESC}=${ESC}[H${ESC}[2J${ESC}[1;1H~${ESC}]0;f.txt - VIM\x07`;
    const asked = `${ESC}[6n${ESC}[>c${ESC}]10;?\x07${ESC}]11;?\x07${ESC}[?12$p${ESC}P$q q${ST}`;
    expect(filter([`$ vim f.txt\r\n${asked}${drawn}${asked}`])).toBe(`$ vim f.txt\r\n${drawn}`);
  });

  it('hands back the very chunk when it holds no query', () => {
    const chunk = b(`plain ${ESC}[31mred${ESC}[0m`);
    expect(new QueryFilter().push(chunk)).toBe(chunk);
  });

  const MIXED = ['x', ...QUERIES.map(([, q]) => q), 'y', ...NOT_QUERIES.map(([, s]) => s), 'z'].join('');
  const KEPT = ['x', 'y', ...NOT_QUERIES.map(([, s]) => s), 'z'].join('');

  it('a mixed stream cut at any byte comes out the same', () => {
    expect(filter([MIXED])).toBe(KEPT);
    for (let cut = 0; cut <= MIXED.length; cut++) {
      expect(filter([MIXED.slice(0, cut), MIXED.slice(cut)]), `cut at ${cut}`).toBe(KEPT);
    }
  });

  it('a mixed stream cut in two places at once, and byte by byte, comes out the same', () => {
    const s = MIXED.slice(0, 400);
    const kept = filter([s]);
    for (let i = 0; i <= s.length; i += 3) {
      for (let j = i; j <= s.length; j += 5) expect(filter([s.slice(0, i), s.slice(i, j), s.slice(j)]), `cuts at ${i}, ${j}`).toBe(kept);
    }
    expect(filter([...MIXED])).toBe(KEPT);
  });

  it('passes a sequence longer than MAX_QUERY_BYTES as it is, and holds at most that much', () => {
    const long = `${ESC}]11;${'x'.repeat(MAX_QUERY_BYTES)};?\x07`;
    expect(filter([`a${long}b`])).toBe(`a${long}b`);
    const f = new QueryFilter();
    const out = [f.push(b(long.slice(0, MAX_QUERY_BYTES - 1))), f.push(b(long.slice(MAX_QUERY_BYTES - 1))), f.end()];
    expect(Buffer.concat(out).toString('latin1')).toBe(long);
    f.push(b(`${ESC}]0;${'t'.repeat(MAX_QUERY_BYTES * 4)}`));
    expect(f.end().length).toBe(0);
  });

  it('an unterminated string does not hide the queries after it', () => {
    expect(filter([`${ESC}]0;${'t'.repeat(MAX_QUERY_BYTES)} then ${ESC}[6n!`])).toBe(`${ESC}]0;${'t'.repeat(MAX_QUERY_BYTES)} then !`);
  });

  it('end() gives back a sequence cut short, as it is', () => {
    const f = new QueryFilter();
    expect(f.push(b(`ok${ESC}[6`)).toString('latin1')).toBe('ok');
    expect(f.end().toString('latin1')).toBe(`${ESC}[6`);
    expect(f.push(b('n')).toString('latin1')).toBe('n');
  });

  it('isQuery is what push() goes by', () => {
    expect(isQuery({ kind: 'csi', end: 0, prefix: '', params: '6', inter: '', final: 'n' })).toBe(true);
    expect(isQuery({ kind: 'csi', end: 0, prefix: '>', params: '1', inter: '', final: 'u' })).toBe(false);
  });

  it('property: any stream of these pieces, cut anywhere, comes out as the pieces that are not queries', () => {
    const piece = fc.oneof(
      fc.constantFrom(...QUERIES.map(([, q]) => ({ s: q, kept: '' }))),
      fc.constantFrom(...NOT_QUERIES.map(([, s]) => ({ s, kept: s }))),
      fc.string({ unit: fc.constantFrom('a', ' ', '\r', '\n', '?', ';', '[', ']', '\\', 'c', 'n', '\x07') }).map((s) => ({ s, kept: s })),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 6 }), (pieces, cuts) => {
        const s = pieces.map((p) => p.s).join('');
        const at = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((x, y) => x - y);
        const chunks = [0, ...at].map((from, k) => s.slice(from, [...at, s.length][k]));
        expect(filter(chunks)).toBe(pieces.map((p) => p.kept).join(''));
      }),
      params(0.1),
    );
  });
});
