// scope.ts — cleanups registered as a test goes, run in reverse after it.
//
// useScope() hooks afterEach: every defer(fn) runs (awaited, newest first),
// even when the test failed, so processes, sockets and temp dirs never leak
// into the next test.

import { afterEach } from 'vitest';

export interface Scope {
  defer(fn: () => unknown): void;
}

export function useScope(): Scope {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) {
      const fn = cleanups.pop()!;
      try {
        await fn();
      } catch {
        // a cleanup that fails must not hide the test's own result
      }
    }
  });
  return { defer: (fn) => void cleanups.push(fn) };
}
