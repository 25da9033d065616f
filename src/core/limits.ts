// limits.ts — the server's limits that are options, with their defaults and why.
//
// Every limit is a named option (--max-clients, --stall-timeout, …); the
// defaults live here so the cli can show them without loading the server.

/** Connections served at once: far above any real use, far below the fd limit. */
export const DEFAULT_MAX_CLIENTS = 1024;
/** Paranoid pacing waits for the slowest reader, but not forever: 30 s, then it is dropped. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;
/** The smallest ring (--buffer): under it a hub cannot hold one screenful, and every reader is a gap. */
export const MIN_BUFFER_BYTES = 1024;
/** The largest ring (--buffer), and the largest --max-frame: past it a hub's ring is not one Buffer on every Node. */
export const MAX_BUFFER_BYTES = 1024 ** 3;
/** The smallest --max-frame: a frame must hold a client's spawn and resize requests with room to spare. */
export const MIN_FRAME_BYTES = 1024;
/**
 * A WebSocket connection silent this long is probed by the kernel (TCP
 * keepalive), at both ends; a peer gone without a word (a dropped network)
 * does not answer, and the connection fails when the kernel gives up. A ping
 * of our own would not do: a live peer that is not reading (a paused reader,
 * backpressure) cannot answer one, and would be dropped.
 */
export const TCP_KEEPALIVE_MS = 30_000;
