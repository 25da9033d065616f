// connect.ts — from a target to a greeted Client.
//
// A target is a session name (its socket in IO_DIR), a socket path, or
// ws://HOST:PORT/NAME (wss:// with TLS). Over WebSocket the client presents a
// token: --token, else $IO_TOKEN, else — for a loopback address — the token
// file its owner's server wrote in IO_DIR, when the address that server wrote
// beside it (NAME.listen) is the one dialled: another user's program on
// another loopback port gets nothing. Either way the connection is a byte
// stream greeted with the framed protocol (sys/handshake.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { dialFor, isLoopbackAddress, parseWsTarget } from '../core/address.js';
import { IoError, UsageError } from '../core/errors.js';
import { checkIoDir, isName, resolveIoDir, socketPath } from '../sys/iodir.js';
import { readFlagFile } from '../sys/files.js';
import { connectUnix } from '../sys/socket.js';
import { HANDSHAKE_TIMEOUT_MS, handshake } from '../sys/handshake.js';
import { TCP_KEEPALIVE_MS } from '../core/limits.js';
import { Client } from './client.js';

export interface AttachOptions {
  ioDir?: string;
  /** The WebSocket token (else $IO_TOKEN, else the local token file). */
  token?: string;
  /** Accept a TLS certificate no CA vouches for (a self-signed test server). */
  insecure?: boolean;
  /** Extra CA certificate (PEM) to trust for wss://. */
  ca?: string;
}

/** A URL that is not a ws:// target is no socket path: say what io takes. */
function checkNotUrl(target: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target)?.[1]?.toLowerCase();
  if (scheme === undefined) return;
  const why =
    scheme === 'ws' || scheme === 'wss' ? `which session? (${scheme}://HOST:PORT/NAME)`
    : scheme === 'http' || scheme === 'https' ? `that is the page's address; attach with ${scheme === 'https' ? 'wss' : 'ws'}://HOST:PORT/NAME`
    : scheme === 'nats' ? 'not carried over NATS (io read nats://HOST:PORT/NAME/N and io nats://HOST:PORT/NAME are)'
    : 'not an io address (a name, a socket path, ws://HOST:PORT/NAME, wss://…, nats://HOST:PORT/NAME)';
  throw new UsageError(`io: ${target}: ${why}`);
}

/** The socket path of a target: a name in IO_DIR, or a path given as is. */
export function targetPath(target: string, opts: AttachOptions = {}): string {
  if (target.includes('/')) return target;
  const dir = opts.ioDir ?? resolveIoDir();
  checkIoDir(dir);
  return socketPath(dir, target);
}

/**
 * The token for a WebSocket target, and the URL to dial with it: --token, or
 * $IO_TOKEN, as given; else, for a loopback address, the owner's token file,
 * only when the address its server wrote beside it (NAME.listen) is the one
 * dialled (core/address.ts dialFor).
 */
export function credentialsFor(ws: { url: string; name: string; host: string }, opts: AttachOptions): { token: string | null; url: string } {
  const given = opts.token || process.env['IO_TOKEN'];
  if (given) return { token: given, url: ws.url };
  if (!isLoopbackAddress(ws.host) || !isName(ws.name)) return { token: null, url: ws.url };
  const base = join(opts.ioDir ?? resolveIoDir(), ws.name);
  try {
    const listening = parseWsTarget(readFileSync(`${base}.listen`, 'utf8').trim());
    const dial = listening ? dialFor(ws.host, listening.host) : null;
    if (!dial) return { token: null, url: ws.url };
    // (wss:// keeps its name: the certificate is checked against it, and says whose server it is)
    const url = ws.url.startsWith('ws://') ? ws.url.replace(`//${ws.host}/`, `//${dial}/`) : ws.url;
    return { token: readFileSync(`${base}.token`, 'utf8').trim(), url };
  } catch {
    return { token: null, url: ws.url };
  }
}

/** What a failed WebSocket connection says, with a hint where the cause is a usual one. */
function wsError(url: string, err: NodeJS.ErrnoException): IoError {
  if (/handshake has timed out/.test(err.message)) return new IoError('IO_ERR_NO_SERVER', `io: ${url}: no answer from the server in ${HANDSHAKE_TIMEOUT_MS} ms`);
  const code = err.code ?? err.message;
  if (/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) return new IoError('IO_ERR_AUTH', `io: ${url}: ${code} (a certificate no CA vouches for: trust it with --ca FILE, or --insecure)`);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return new IoError('IO_ERR_AUTH', `io: ${url}: ${code} (the certificate does not name this host: use a name it does, or --insecure)`);
  if (code === 'ECONNRESET' || code === 'EPROTO') return new IoError('IO_ERR_NO_SERVER', `io: ${url}: ${code} (hung up in the handshake: wss:// to a ws:// server, or the other way round?)`);
  return new IoError('IO_ERR_NO_SERVER', `io: ${url}: ${code}`);
}

/** --ca FILE: a certificate, or one line saying it is not one (else TLS would say only that it is self-signed). */
function readCa(file: string): Buffer {
  const pem = readFlagFile('--ca', file);
  const { X509Certificate } = require('node:crypto') as typeof import('node:crypto');
  try {
    new X509Certificate(pem);
  } catch {
    throw new IoError('IO_ERR_USAGE', `io: --ca ${file}: not a certificate (PEM or DER)`);
  }
  return pem;
}

async function connectWs(url: string, token: string | null, opts: AttachOptions): Promise<Duplex> {
  const { WebSocket, createWebSocketStream } = require('ws') as typeof import('ws');
  const ca = opts.ca ? readCa(opts.ca) : null;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/ws`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      ...(opts.insecure ? { rejectUnauthorized: false } : {}),
      ...(ca ? { ca } : {}),
    });
    ws.once('open', () => {
      ws.removeAllListeners('error');
      resolve(createWebSocketStream(ws));
    });
    // a server gone without a word (a dropped network) is found by the kernel's probes, as it finds us
    ws.once('upgrade', (res) => res.socket.setKeepAlive(true, TCP_KEEPALIVE_MS));
    ws.once('unexpected-response', (_req, res) => {
      const why = res.statusCode === 401 ? `no valid token (401)${token ? '' : '; give --token or set IO_TOKEN'}` : res.statusCode === 403 ? 'forbidden (403)' : res.statusCode === 404 ? 'no such session there (404)' : `HTTP ${res.statusCode}`;
      ws.terminate();
      reject(new IoError(res.statusCode === 401 || res.statusCode === 403 ? 'IO_ERR_AUTH' : 'IO_ERR_NO_SERVER', `io: ${url}: ${why}`));
    });
    ws.once('error', (err: NodeJS.ErrnoException) => reject(wsError(url, err)));
  });
}

/** Connect and greet; reject with an IoError naming the target and the reason. */
export async function attach(target: string, opts: AttachOptions = {}): Promise<Client> {
  const ws = parseWsTarget(target);
  if (!ws) {
    checkNotUrl(target);
    return greet(await connectUnix(targetPath(target, opts), target), target);
  }
  const { token, url } = credentialsFor(ws, opts);
  return greet(await connectWs(url, token, opts), target);
}

/** Greet the server on a connected stream; on failure the stream is destroyed. */
export async function greet(stream: Duplex, target: string): Promise<Client> {
  // a server that refuses us (too many clients) may close while our greeting is still being written:
  // that error is the refusal's echo, and the handshake reports the refusal itself
  stream.on('error', () => {});
  try {
    const { hello, decoder, frames } = await handshake(stream, target);
    return new Client(stream, target, hello, decoder, frames);
  } catch (err) {
    stream.destroy();
    throw err;
  }
}
