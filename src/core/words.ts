// words.ts — the ioshell client commands: a typed line that is exactly one of
// these is intercepted (SPEC §5); anything else goes to the session.
//
// parseWord() returns the command, null for a line that is not a command, or
// a CtlError for a command word with a bad argument (`attach x`).

import { CtlError } from './errors.js';

export type Word =
  | { word: 'attach' | 'remote' | 'local'; n: number }
  | { word: 'detach' | 'clear' | 'hist' | 'intr' | 'status' | 'list' }
  | { word: 'hub'; cmd: string };

export const WORDS_USAGE = 'attach N, remote N, local N, detach, clear, hist, hub CMD, intr, status, list';

const BARE = ['detach', 'clear', 'hist', 'intr', 'status', 'list'] as const;
const NUMBERED = ['attach', 'remote', 'local'] as const;

export function parseWord(input: string): Word | CtlError | null {
  const line = input.trim();
  const [head = '', ...rest] = line.split(/\s+/);
  if ((BARE as readonly string[]).includes(head)) {
    return rest.length === 0 ? { word: head as (typeof BARE)[number] } : null;
  }
  if ((NUMBERED as readonly string[]).includes(head)) {
    if (rest.length !== 1) return null;
    const arg = rest[0]!;
    if (!/^\d{1,5}$/.test(arg)) return new CtlError(`io: ${head} ${arg}: expected a trihub number (0, 3, 6 …)`);
    const n = Number(arg);
    if (n % 3 !== 0) return new CtlError(`io: ${head} ${n}: not a multiple of 3 (trihubs are 0, 3, 6 …)`);
    return { word: head as (typeof NUMBERED)[number], n };
  }
  if (head === 'hub' && rest.length > 0) return { word: 'hub', cmd: line.slice(3).trim() };
  return null;
}

/**
 * Why a line typed at the Ctrl-] prompt is not a command: there every line is
 * meant as one, so a command word with the wrong arguments says what it takes.
 */
export function promptRefusal(input: string): string {
  const line = input.trim();
  const [head = '', ...rest] = line.split(/\s+/);
  if ((NUMBERED as readonly string[]).includes(head)) return `io: ${head}: expected one trihub number (${head} 3)`;
  if ((BARE as readonly string[]).includes(head) && rest.length > 0) return `io: ${head}: takes nothing after it`;
  if (head === 'hub') return 'io: hub: expected a command for the server (hub status)';
  return `io: unknown command '${line}' (try: ${WORDS_USAGE})`;
}

/** The client words of `io NAME [zap] [slow|fast] [here]`. */
export type StartWord = 'zap' | 'slow' | 'fast' | 'here';
export const START_WORDS: readonly StartWord[] = ['zap', 'slow', 'fast', 'here'];
export const SLOW_PACE_MS = 50;
