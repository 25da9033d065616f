// address.ts — HOST:PORT as --listen takes it, ws:// and nats:// targets as io
// takes them, and whether a dialled address reaches a listening one.
//
// Pure: returns the parts, or a string saying what is wrong.

export function parseListen(text: string): { host: string; port: number } | string {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) return `'${text}' is not HOST:PORT (try 127.0.0.1:7000)`;
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** ws://HOST:PORT/NAME or wss://…: the URL base and the session name. */
export function parseWsTarget(text: string): { url: string; name: string; host: string } | null {
  const m = /^(wss?):\/\/([^/]+)\/([^/?#]+)\/?$/.exec(text);
  if (!m) return null;
  return { url: `${m[1]}://${m[2]}/${m[3]}`, name: m[3]!, host: m[2]! };
}

/** HOST:PORT (HOST may be [v6]) as host and port. */
function splitHostPort(hostPort: string): { host: string; port: string } {
  const m = /^(.*):(\d+)$/.exec(hostPort);
  return { host: (m?.[1] ?? hostPort).replace(/^\[|\]$/g, ''), port: m?.[2] ?? '' };
}

/** A host on this machine only: localhost, 127.x, ::1. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** HOST:PORT on this machine only (localhost, 127.x, ::1). */
export function isLoopbackAddress(hostPort: string): boolean {
  return isLoopback(splitHostPort(hostPort).host);
}

/**
 * Where to dial to reach, on this machine, the server listening at
 * `listening` (HOST:PORT, as it bound it) when a URL says `dialled`; null when
 * that address may reach another program. The same loopback address and port;
 * a wildcard listener on the loopback of its family (0.0.0.0 is IPv4 only, so
 * [::1] on that port is anyone's); `localhost` is dialled as the listener's own
 * address, since it may resolve to the other family first.
 */
export function dialFor(dialled: string, listening: string): string | null {
  const d = splitHostPort(dialled);
  const l = splitHostPort(listening);
  if (d.port !== l.port || !isLoopback(d.host)) return null;
  const v4 = d.host.startsWith('127.');
  if (d.host === 'localhost') {
    if (l.host === '0.0.0.0') return `127.0.0.1:${l.port}`;
    if (l.host === '::') return `[::1]:${l.port}`;
    return isLoopback(l.host) ? (l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`) : null;
  }
  if (d.host === l.host || (l.host === '0.0.0.0' && v4) || l.host === '::') return dialled;
  return null;
}

/** The JetStream stream of a session: stream names may not hold '.', so every odd character becomes '_'. */
export function natsStream(name: string): string {
  return `io_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** The subject hub N of a session is published on. */
export function natsSubject(name: string, hub: number): string {
  return `io.${name}.hub.${hub}`;
}

/** Does a NATS subject pattern take this subject? `*` is one token, `>` the rest (a stream of an older server holds `io.NAME.hub.>`). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** The subject writes into hub N come on (with --nats-write); '*' for all. */
export function natsInSubject(name: string, hub: number | '*'): string {
  return `io.${name}.in.${hub}`;
}

/** nats://[user:pass@]HOST:PORT[,HOST:PORT…]/NAME/N: the servers, the session and the hub. */
export function parseNatsTarget(text: string): { servers: string[]; name: string; hub: number } | null {
  const m = /^nats:\/\/([^/]+)\/([A-Za-z0-9_][A-Za-z0-9_.+@-]{0,63})\/(\d{1,5})$/.exec(text);
  if (!m) return null;
  return { servers: m[1]!.split(',').map((s) => `nats://${s}`), name: m[2]!, hub: Number(m[3]) };
}

/**
 * User and password (nats://USER:PASS@HOST:PORT) or a token (nats://TOKEN@HOST:PORT)
 * taken out of NATS URLs, since the client library ignores them there; the
 * URLs come back without them, fit to log and show in status.
 */
export function natsAuth(servers: string[]): { servers: string[]; auth: { user?: string; pass?: string; token?: string } } {
  let auth: { user?: string; pass?: string; token?: string } = {};
  const bare = servers.map((url) => {
    const m = /^(nats|tls):\/\/([^@/]*)@(.*)$/.exec(url);
    if (!m) return url;
    const cred = m[2]!;
    const colon = cred.indexOf(':');
    if (Object.keys(auth).length === 0) {
      auth = colon >= 0 ? { user: decodeURIComponent(cred.slice(0, colon)), pass: decodeURIComponent(cred.slice(colon + 1)) } : { token: decodeURIComponent(cred) };
    }
    return `${m[1]}://${m[3]}`;
  });
  return { servers: bare, auth };
}
