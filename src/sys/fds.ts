// fds.ts — how many file descriptors this process has open, and may have.
//
// Linux only (/proc); elsewhere null, and callers go on without the check.

import { readdirSync, readFileSync } from 'node:fs';

export function fdUse(): { used: number; limit: number } | null {
  try {
    const limit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'))?.[1]);
    if (!Number.isFinite(limit)) return null;
    return { used: readdirSync('/proc/self/fd').length, limit };
  } catch {
    return null;
  }
}
