// tokens.ts — the token file: one `ROLE TOKEN` a line, for WebSocket clients.
//
// Roles: watch (read hubs), write (read and write hubs), control (also ctl,
// remote and local). Blank lines and lines starting with # are skipped. A bad
// line, or a token given twice, is an error naming its number; no token is
// ever echoed back.

import { IoError } from './errors.js';

export const ROLES = ['watch', 'write', 'control'] as const;
export type TokenRole = (typeof ROLES)[number];
/** Shorter tokens are guessable; refuse them. */
export const TOKEN_MIN_CHARS = 16;
export const TOKEN_MAX_CHARS = 256;

export interface TokenEntry {
  role: TokenRole;
  token: string;
}

export function parseTokenFile(text: string, source = 'token file'): TokenEntry[] | IoError {
  const entries: TokenEntry[] = [];
  const lineOf = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const [role, token] = words;
    const where = `io: ${source}: line ${i + 1}`;
    if (words.length !== 2 || role === undefined || token === undefined) return new IoError('IO_ERR_AUTH', `${where}: expected ROLE TOKEN`);
    // The role is not echoed: a line written TOKEN ROLE would put the token in the message.
    if (!(ROLES as readonly string[]).includes(role)) return new IoError('IO_ERR_AUTH', `${where}: the first word is not a role (try: ${ROLES.join(' ')})`);
    if (token.length < TOKEN_MIN_CHARS || token.length > TOKEN_MAX_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
      return new IoError('IO_ERR_AUTH', `${where}: a token is ${TOKEN_MIN_CHARS}-${TOKEN_MAX_CHARS} printable characters`);
    }
    // one token, one role: a token under two would get the first's, whatever the second line meant
    const first = lineOf.get(token);
    if (first !== undefined) return new IoError('IO_ERR_AUTH', `${where}: the token of line ${first} again (one token, one role)`);
    lineOf.set(token, i + 1);
    entries.push({ role: role as TokenRole, token });
  }
  return entries;
}

/** May a client of this role do this? */
export function roleAllows(role: TokenRole, need: TokenRole): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(need);
}
