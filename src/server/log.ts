// log.ts — the server's log: one timestamped line per event, never to clients.
//
// Events (start, quit, errors, refusals) are always written; details
// (connects, ctl commands, gaps, hubs started) only while verbose (-v, ctl
// debug; shutup stops it). The sink is a file (-l) or a stream (stderr for
// -i). A sink that fails is reported once on stderr and then dropped: a full
// disk must not stop the server. What a client sent (a ctl command, a name)
// is logged with its control characters escaped: one event, one line.

import { openSync, writeSync } from 'node:fs';

export interface LogSink {
  write(line: string): void;
  /** The file, to name when it fails. */
  readonly path?: string;
}

/** Append to a file, opened once (0600); a failure to open shows at the first line, as a failed write would. */
export function fileSink(path: string): LogSink {
  let fd: number | null = null;
  return {
    path,
    write: (line) => {
      fd ??= openSync(path, 'a', 0o600);
      writeSync(fd, line);
    },
  };
}

/**
 * A time as Date#toISOString writes it, made from the UTC fields: toISOString
 * itself has V8 look up the local time zone first, which loads ICU's zone
 * data and code, 0.9 MB of a logging server's RSS.
 */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}Z`;
}

/** Control characters (C0, DEL and C1) as \\xNN, a tab aside: nothing a client sends can start a log line of its own, or move a terminal's cursor. */
export function oneLine(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function streamSink(stream: NodeJS.WritableStream): LogSink {
  return { write: (line) => void stream.write(line) };
}

export class Log {
  verbose: boolean;
  private sink: LogSink | null;

  constructor(sink: LogSink | null, verbose = false) {
    this.sink = sink;
    this.verbose = verbose;
  }

  /** Always logged. */
  event(text: string): void {
    this.emit(text);
  }

  /** Logged while verbose. */
  debug(text: string): void {
    if (this.verbose) this.emit(text);
  }

  private emit(text: string): void {
    if (!this.sink) return;
    try {
      this.sink.write(`${isoTime(Date.now())} ${oneLine(text)}\n`);
    } catch (err) {
      const what = this.sink.path === undefined ? 'log' : `log ${this.sink.path}`;
      this.sink = null;
      process.stderr.write(`io: ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}: logging stopped, the server goes on\n`);
    }
  }
}
