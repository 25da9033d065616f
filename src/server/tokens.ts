// tokens.ts — who may use the WebSocket listener, and as what.
//
// At start the server writes a control token to $IO_DIR/NAME.token (0600), so
// its owner's clients find it, and once listening its address to
// $IO_DIR/NAME.listen, so they give that token to this server alone (not to
// whatever else listens on a loopback port); --token-file adds more
// (core/tokens.ts). A
// presented token is compared with every known one in constant time (both
// sides hashed to one length first, then timingSafeEqual), so its length
// and content leak nothing through timing.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { unlinkSync, writeFileSync } from 'node:fs';
import { IoError } from '../core/errors.js';
import { readSecretFile } from '../sys/files.js';
import { parseTokenFile, type TokenEntry, type TokenRole } from '../core/tokens.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export class Tokens {
  private readonly entries: { role: TokenRole; hash: Buffer }[] = [];
  private readonly ownFile: string;
  private readonly listenFile: string;

  /** Make the control token (written to SOCKET.token) and load the token file, if any. */
  constructor(socketPath: string, tokenFile: string | null) {
    this.ownFile = `${socketPath}.token`;
    this.listenFile = `${socketPath}.listen`;
    if (tokenFile) {
      const parsed = parseTokenFile(readSecretFile('--token-file', tokenFile, 'IO_ERR_AUTH').toString('utf8'), tokenFile);
      if (parsed instanceof IoError) throw parsed;
      parsed.forEach((e) => this.add(e));
    }
    // Written last: a bad --token-file leaves nothing behind.
    const control = randomBytes(24).toString('base64url');
    writeFileSync(this.ownFile, `${control}\n`, { mode: 0o600 });
    this.add({ role: 'control', token: control });
  }

  private add(e: TokenEntry): void {
    this.entries.push({ role: e.role, hash: digest(e.token) });
  }

  /** The role of a presented token, or null. Every entry is compared, match or not. */
  roleOf(token: string | null): TokenRole | null {
    if (!token) return null;
    const h = digest(token);
    let role: TokenRole | null = null;
    for (const e of this.entries) if (timingSafeEqual(h, e.hash) && role === null) role = e.role;
    return role;
  }

  /** Say where the token is good: the URL this server listens at (ws://HOST:PORT/NAME). */
  publish(url: string): void {
    writeFileSync(this.listenFile, `${url}\n`, { mode: 0o600 });
  }

  /** Remove the token file and the address beside it (at quit). */
  remove(): void {
    for (const file of [this.ownFile, this.listenFile]) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  }
}
