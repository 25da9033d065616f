// connect.ts — from a target to a greeted Client.
//
// A target is a session name (its socket in IO_DIR) or a socket path. The
// connection is greeted with the framed protocol (sys/handshake.ts): a server
// that speaks another version is named in one line, never garbled.

import { resolveIoDir, socketPath } from '../sys/iodir.js';
import { connectUnix } from '../sys/socket.js';
import { handshake } from '../sys/handshake.js';
import { Client } from './client.js';

export interface AttachOptions {
  ioDir?: string;
}

/** The socket path of a target: a name in IO_DIR, or a path given as is. */
export function targetPath(target: string, opts: AttachOptions = {}): string {
  return target.includes('/') ? target : socketPath(opts.ioDir ?? resolveIoDir(), target);
}

/** Connect and greet; reject with an IoError naming the target and the reason. */
export async function attach(target: string, opts: AttachOptions = {}): Promise<Client> {
  const path = targetPath(target, opts);
  const socket = await connectUnix(path, target);
  try {
    const { hello, decoder, frames } = await handshake(socket, target);
    return new Client(socket, target, hello, decoder, frames);
  } catch (err) {
    socket.destroy();
    throw err;
  }
}
