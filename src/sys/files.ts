// files.ts — a file a flag names, read whole (a certificate, a key, a token
// file), or one line naming the flag, the file and why it cannot be read.
//
// Not here: what is in the file (its reader's).

import { readFileSync } from 'node:fs';
import { IoError, type IoErrorCode } from '../core/errors.js';

export function readFlagFile(flag: string, file: string, code: IoErrorCode = 'IO_ERR_USAGE'): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new IoError(code, `io: ${flag} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
