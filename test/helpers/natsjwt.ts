// natsjwt.ts — a nats-server in operator mode, for --nats-creds: an operator,
// an account with JetStream, a system account and one user, signed here with
// nkeys (the decentralised JWT auth that `nsc` would set up), and the user's
// creds file.
//
// natsOperator() returns the config text for startNats({ extra }) (a memory
// resolver preloaded with both accounts) and writes the creds file into dir.
// Not here: starting the server (nats.ts).

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';

/** RFC 4648 base32, no padding: how NATS writes a JWT's id. */
function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + alphabet[(value << (5 - bits)) & 31] : out;
}

/** A NATS JWT (v2): claims about subject, signed by issuer's nkey. */
function jwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = { iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject, nats: { ...nats, version: 2 } };
  claims['jti'] = base32(createHash('sha256').update(JSON.stringify(claims)).digest());
  const b64 = (text: string): string => Buffer.from(text).toString('base64url');
  const body = `${b64(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }))}.${b64(JSON.stringify(claims))}`;
  return `${body}.${Buffer.from(issuer.sign(Buffer.from(body))).toString('base64url')}`;
}

/** Operator-mode config for a node, and the path of a creds file (written into dir) for a user with JetStream. */
export function natsOperator(dir: string): { config: string; creds: string } {
  const operator = createOperator();
  const account = createAccount();
  const system = createAccount();
  const user = createUser();
  const open = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const accountJwt = jwt(operator, account.getPublicKey(), 'io', { type: 'account', limits: { ...open, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } });
  const systemJwt = jwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits: open });
  const userJwt = jwt(account, user.getPublicKey(), 'io-user', { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
  const creds = join(dir, 'io-user.creds');
  const seed = new TextDecoder().decode(user.getSeed());
  writeFileSync(creds, `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`, { mode: 0o600 });
  const config = [
    `operator: ${jwt(operator, operator.getPublicKey(), 'io-test', { type: 'operator', system_account: system.getPublicKey() })}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    `resolver_preload: {\n  ${account.getPublicKey()}: ${accountJwt}\n  ${system.getPublicKey()}: ${systemJwt}\n}`,
  ].join('\n');
  return { config, creds };
}
