// address.ts — HOST:PORT as --listen takes it, and ws:// targets as io takes them.
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
