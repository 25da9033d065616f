// errors.ts — the one error type of io, with a stable code per kind.
//
// Pure parsers return these as values (parseCtl, FrameDecoder, sniffGreeting);
// the OS edges throw them. The message is the one line the user sees:
// `io: <what>: <why>`, lower case, no trailing period, no stack.
//
// Not here: printing, exit codes (cli/), logging (server/log.ts).

export type IoErrorCode =
  | 'IO_ERR_USAGE'
  | 'IO_ERR_CTL'
  | 'IO_ERR_FRAME'
  | 'IO_ERR_GREETING'
  | 'IO_ERR_VERSION'
  | 'IO_ERR_NO_SERVER'
  | 'IO_ERR_RUNNING'
  | 'IO_ERR_IODIR'
  | 'IO_ERR_AUTH'
  | 'IO_ERR_SPAWN'
  | 'IO_ERR_HUB'
  | 'IO_ERR_CLOSED';

export class IoError extends Error {
  readonly code: IoErrorCode;
  constructor(code: IoErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A command line that makes no sense: the cli prints it and exits 2. */
export class UsageError extends IoError {
  constructor(message: string) {
    super('IO_ERR_USAGE', message);
  }
}

/** A ctl command that does not parse or cannot be done: becomes the reply line. */
export class CtlError extends IoError {
  constructor(message: string) {
    super('IO_ERR_CTL', message);
  }
}

/** Bytes on the wire that break the protocol: that connection is closed. */
export class ProtocolError extends IoError {}

/** Assert at compile time that every case of a union is handled. */
export function assertNever(value: never): never {
  throw new Error(`io: internal error: unhandled case ${JSON.stringify(value)}`);
}
