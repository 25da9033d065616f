// size.ts — byte sizes as people write them: 512k, 4m, 1g, 65536.
//
// Pure: returns a number or an error message; the cli turns the message into a
// UsageError naming the flag.

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** '512k' → 524288; a string explaining the problem when it is not a size. */
export function parseSize(text: string): number | string {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined) return `'${text}' is not a size (try 512k, 4m, 1g)`;
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < 1) return `'${text}' is not a positive size`;
  return bytes;
}

/** 524288 → '512k'; exact multiples only, else plain bytes. */
export function formatSize(bytes: number): string {
  for (const [unit, n] of [['g', 1024 ** 3], ['m', 1024 ** 2], ['k', 1024]] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return String(bytes);
}
