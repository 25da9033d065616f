// files.ts — a file a flag names, read whole (a certificate, a key, a token
// file), or one line naming the flag, the file and why it cannot be read. A
// file of secrets others may read is refused, as ssh refuses such a key.
//
// Not here: what is in the file (its reader's).

import { readFileSync, statSync } from 'node:fs';
import { IoError, type IoErrorCode } from '../core/errors.js';

export function readFlagFile(flag: string, file: string, code: IoErrorCode = 'IO_ERR_USAGE'): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new IoError(code, `io: ${flag} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** A file of secrets (tokens): refused when its group or others may read it, since then they have them. */
export function readSecretFile(flag: string, file: string, code: IoErrorCode = 'IO_ERR_USAGE'): Buffer {
  const bytes = readFlagFile(flag, file, code);
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o044) throw new IoError(code, `io: ${flag} ${file}: readable by group or others (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 ${file}`);
  return bytes;
}
