// limits.ts — the server's limits that are options, with their defaults and why.
//
// Every limit is a named option (--max-clients, --stall-timeout, …); the
// defaults live here so the cli can show them without loading the server.

/** Connections served at once: far above any real use, far below the fd limit. */
export const DEFAULT_MAX_CLIENTS = 1024;
/** Paranoid pacing waits for the slowest reader, but not forever: 30 s, then it is dropped. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;
