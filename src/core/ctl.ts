// ctl.ts — the control grammar of SPEC §3: one parser, one usage line.
//
// parseCtl(line) returns a CtlCommand or a CtlError whose message is the reply
// the user sees. Every verb is a row in a table, so a new verb is one row here
// and one case in server/control.ts (the compiler finds a missing case).
//
// Not here: doing anything. server/control.ts acts on the parsed command.

import { CtlError } from './errors.js';

export const CTL_USAGE = 'fear calm quit debug shutup trunc notrunc status eof signal hN[tcsoeifkxvyz]M';
export const CTL_MAX_BYTES = 4096;
export const PACE_MAX_MS = 60_000;

/** Signals `signal N SIG` may send: names without SIG, as kill(1) lists them. */
export const SIGNALS = ['HUP', 'INT', 'QUIT', 'KILL', 'USR1', 'USR2', 'TERM', 'CONT', 'STOP', 'TSTP', 'WINCH', 'ALRM'] as const;
export type SignalName = (typeof SIGNALS)[number];

type Plain = 'fear' | 'calm' | 'quit' | 'debug' | 'shutup' | 'trunc' | 'notrunc' | 'status';
type HubOnly = 'clear' | 'remove' | 'view';
type HubEndpoint = 'start' | 'addOutput' | 'addError' | 'addInput' | 'free' | 'kill' | 'killReader' | 'killWriter';

export type CtlCommand =
  | { verb: Plain }
  | { verb: 'eof'; hub: number }
  | { verb: 'signal'; trihub: number; signal: SignalName }
  | { verb: 'pace'; hub: number; ms: number }
  | { verb: HubOnly; hub: number }
  | { verb: HubEndpoint; hub: number; n: number };

const PLAIN: readonly Plain[] = ['fear', 'calm', 'quit', 'debug', 'shutup', 'trunc', 'notrunc', 'status'];

/** The hN verbs: letter → what it does, and whether it takes the number M. */
const HUB_VERBS = {
  t: { verb: 'pace', takesM: true, help: 'pace M ms' },
  c: { verb: 'clear', takesM: false, help: 'clear the buffer' },
  s: { verb: 'start', takesM: true, help: 'start, with input M' },
  o: { verb: 'addOutput', takesM: true, help: 'add output M' },
  e: { verb: 'addError', takesM: true, help: 'add error output M' },
  i: { verb: 'addInput', takesM: true, help: 'add input M' },
  f: { verb: 'free', takesM: true, help: 'free endpoint M' },
  k: { verb: 'kill', takesM: true, help: 'kill endpoint M and its client' },
  x: { verb: 'remove', takesM: false, help: 'remove the hub' },
  v: { verb: 'view', takesM: false, help: 'view the hub' },
  y: { verb: 'killReader', takesM: true, help: 'kill reading process M' },
  z: { verb: 'killWriter', takesM: true, help: 'kill writing process M' },
} as const;
type HubLetter = keyof typeof HUB_VERBS;

function unknown(line: string): CtlError {
  return new CtlError(`io: unknown command '${line}' (try: ${CTL_USAGE})`);
}

function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,9}$/.test(text)) return undefined;
  return Number(text);
}

function checkHub(line: string, hub: number, maxHubs: number): CtlError | undefined {
  if (hub < maxHubs) return undefined;
  return new CtlError(`io: ${line}: hub ${hub} out of range (0-${maxHubs - 1})`);
}

/** Parse one control line. maxHubs bounds every hub number. */
export function parseCtl(input: string, maxHubs: number): CtlCommand | CtlError {
  const bytes = Buffer.byteLength(input);
  if (bytes > CTL_MAX_BYTES) return new CtlError(`io: command too long (${bytes} bytes, limit ${CTL_MAX_BYTES})`);
  const line = input.trim();
  // Every reply is one line, and echoes the command: a command may not hold line breaks or other controls.
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) {
    const shown = line.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '?');
    return new CtlError(`io: '${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}': control characters in a command (try: ${CTL_USAGE})`);
  }
  const words = line.split(/\s+/);
  const head = words[0] ?? '';
  if (words.length === 1 && (PLAIN as readonly string[]).includes(head)) return { verb: head as Plain };
  if (head === 'eof') return parseEof(line, words, maxHubs);
  if (head === 'signal') return parseSignal(line, words, maxHubs);
  if (words.length === 1) return parseHub(line, maxHubs);
  if ((PLAIN as readonly string[]).includes(head)) return new CtlError(`io: ${head}: takes no arguments`);
  return unknown(line);
}

function parseEof(line: string, words: string[], maxHubs: number): CtlCommand | CtlError {
  const hub = parseNumber(words[1]);
  if (words.length !== 2 || hub === undefined) return new CtlError(`io: ${line}: expected eof N (a hub number)`);
  return checkHub(line, hub, maxHubs) ?? { verb: 'eof', hub };
}

function parseSignal(line: string, words: string[], maxHubs: number): CtlCommand | CtlError {
  const trihub = parseNumber(words[1]);
  const name = (words[2] ?? '').toUpperCase().replace(/^SIG/, '');
  if (words.length !== 3 || trihub === undefined) return new CtlError(`io: ${line}: expected signal N SIG (signal 0 INT)`);
  if (trihub + 2 >= maxHubs) return new CtlError(`io: ${line}: trihub ${trihub} out of range (0-${maxHubs - 3})`);
  if (trihub % 3 !== 0) return new CtlError(`io: ${line}: trihub ${trihub} is not a multiple of 3`);
  if (!(SIGNALS as readonly string[]).includes(name)) {
    return new CtlError(`io: ${line}: unknown signal '${words[2]}' (try: ${SIGNALS.join(' ')})`);
  }
  return { verb: 'signal', trihub, signal: name as SignalName };
}

function parseHub(line: string, maxHubs: number): CtlCommand | CtlError {
  const m = /^h(\d{1,9})([a-z])(.*)$/.exec(line);
  if (!m) return unknown(line);
  const hub = Number(m[1]);
  const letter = m[2] as string;
  const rest = m[3] as string;
  if (!(letter in HUB_VERBS)) return unknown(line);
  const row = HUB_VERBS[letter as HubLetter];
  const bad = checkHub(line, hub, maxHubs);
  if (bad) return bad;
  if (!row.takesM) {
    if (rest !== '') return new CtlError(`io: ${line}: verb ${letter} (${row.help}) takes no number`);
    return { verb: row.verb, hub };
  }
  const example = `h${hub}${letter}${letter === 't' ? 50 : 3}`;
  if (/^\d{10,}$/.test(rest)) return new CtlError(`io: ${line}: ${rest} is too large for verb ${letter} (${row.help}), as in ${example}`);
  const n = parseNumber(rest);
  if (n === undefined) return new CtlError(`io: ${line}: verb ${letter} (${row.help}) needs a whole number, as in ${example}`);
  if (row.verb === 'pace') {
    if (n > PACE_MAX_MS) return new CtlError(`io: ${line}: pace ${n} ms over limit ${PACE_MAX_MS}`);
    return { verb: 'pace', hub, ms: n };
  }
  return { verb: row.verb, hub, n };
}
