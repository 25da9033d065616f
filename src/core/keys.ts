// keys.ts — the keys ioshell keeps for itself in raw mode.
//
// Ctrl-\ detaches at once; Ctrl-] opens the `io:` prompt for one command
// (where either key, typed again, goes to the session itself: shell.ts).
// Every other byte goes through to the session untouched, in order. scanKeys
// splits a chunk at the first such key.

export const DETACH_KEY = 0x1c; // Ctrl-\
export const PROMPT_KEY = 0x1d; // Ctrl-]

export type KeyScan = { pass: Buffer; key: 'detach' | 'prompt' | null; rest: Buffer };

/** Bytes to pass through, then the key found (if any), then what follows it. */
export function scanKeys(chunk: Buffer): KeyScan {
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i];
    if (b === DETACH_KEY || b === PROMPT_KEY) {
      return { pass: chunk.subarray(0, i), key: b === DETACH_KEY ? 'detach' : 'prompt', rest: chunk.subarray(i + 1) };
    }
  }
  return { pass: chunk, key: null, rest: Buffer.alloc(0) };
}
